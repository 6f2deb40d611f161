"""Settings from the environment or a ``.env`` file, validated once at start-up."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{8,}$")
LANGUAGES = ("zh", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DATABASE_FILE = "bot.sqlite3"     # in the data folder
MEDIA_FOLDER = "media"            # in the data folder
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def database_url_from(merged: Mapping[str, str]) -> str | None:
    """``BOT_DATABASE_URL``: unset or ``sqlite:///path`` (SQLite), ``postgresql://…``."""
    url = merged.get("BOT_DATABASE_URL", "").strip()
    if not url:
        return None
    if not url.startswith(("sqlite:///", *POSTGRES_SCHEMES)):
        raise ConfigError("BOT_DATABASE_URL must start with sqlite:/// or postgresql://, "
                          f"got {url.split(':', 1)[0]!r}")
    return url


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line for the operator."""


@dataclass(frozen=True)
class Settings:
    token: str
    data_dir: Path = Path("data")
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    admin_ids: frozenset[int] = frozenset()
    language: str = "zh"
    api_base_url: str | None = None
    file_base_url: str | None = None
    send_rate: float = 30.0   # messages a second, all chats together (Telegram: about 30)
    office_name: str | None = None   # the organising office: the 落款 of the bot's documents
    database_url: str | None = None  # BOT_DATABASE_URL: sqlite:///path or postgresql://…

    @property
    def database_path(self) -> Path:
        """The SQLite file (``sqlite:///path`` or the data folder's); see ``database``."""
        if self.database_url and self.database_url.startswith("sqlite:///"):
            return Path(self.database_url[len("sqlite:///"):])
        return self.data_dir / DATABASE_FILE

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url) and self.database_url.startswith(POSTGRES_SCHEMES)

    @property
    def database(self) -> Path | str:
        """What :class:`bot.storage.Storage` opens: the PostgreSQL URL or the SQLite file."""
        return self.database_url if self.uses_postgres else self.database_path

    @property
    def media_dir(self) -> Path:
        return self.data_dir / MEDIA_FOLDER

    @property
    def download_base_url(self) -> str | None:
        """The file URL given, or derived from a local API URL ending in ``/bot``."""
        if self.file_base_url:
            return self.file_base_url
        if self.api_base_url and self.api_base_url.rstrip("/").endswith("/bot"):
            return self.api_base_url.rstrip("/")[: -len("/bot")] + "/file/bot"
        return None

    @property
    def local_api(self) -> bool:
        """A local Bot API server hands out files of any size (the cloud caps at 20 MB)."""
        return self.api_base_url is not None


def read_env_file(path: Path) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines; blank lines and ``#`` comments are ignored."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def environment(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> dict[str, str]:
    """The settings' sources merged: the process environment wins over the ``.env`` file."""
    merged: dict[str, str] = dict(read_env_file(env_file)) if env_file else {}
    merged.update(os.environ if environ is None else environ)
    return merged


def data_dir_from(merged: Mapping[str, str]) -> Path:
    """``BOT_DATA_DIR``: all that backup and restore need (no token)."""
    return Path(merged.get("BOT_DATA_DIR", "").strip() or "data")


def log_level_from(merged: Mapping[str, str]) -> int:
    """``BOT_LOG_LEVEL``: DEBUG, INFO (the default), WARNING or ERROR."""
    name = merged.get("BOT_LOG_LEVEL", "").strip().upper() or "INFO"
    if name not in LOG_LEVELS:
        raise ConfigError(f"BOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {name!r}")
    return logging.getLevelName(name)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Build settings; the process environment wins over the ``.env`` file."""
    merged = environment(environ, env_file)

    token = merged.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather "
                          "and put it in the environment or .env (or try: python -m bot demo)")
    if not TOKEN_PATTERN.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN is malformed: expected <digits>:<letters> "
                          "as given by @BotFather")

    tz_name = merged.get("BOT_TIMEZONE", "").strip() or "Asia/Shanghai"
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(f"BOT_TIMEZONE={tz_name!r} is not a known time zone") from error

    admin_ids: set[int] = set()
    for part in merged.get("BOT_ADMIN_IDS", "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ConfigError(f"BOT_ADMIN_IDS must be numeric Telegram user ids, got {part!r}")
        admin_ids.add(int(part))

    language = merged.get("BOT_LANGUAGE", "").strip() or "zh"
    if language not in LANGUAGES:
        raise ConfigError(f"BOT_LANGUAGE must be one of {', '.join(LANGUAGES)}, got {language!r}")

    raw_rate = merged.get("BOT_SEND_RATE", "").strip() or "30"
    try:
        send_rate = float(raw_rate)
    except ValueError:
        send_rate = 0.0
    if not 1 <= send_rate <= 1000:
        raise ConfigError(f"BOT_SEND_RATE must be a number of messages a second from 1 to 1000, "
                          f"got {raw_rate!r}")

    return Settings(
        token=token,
        send_rate=send_rate,
        data_dir=data_dir_from(merged),
        timezone=timezone,
        admin_ids=frozenset(admin_ids),
        language=language,
        api_base_url=merged.get("TELEGRAM_API_BASE_URL", "").strip() or None,
        file_base_url=merged.get("TELEGRAM_FILE_BASE_URL", "").strip() or None,
        office_name=merged.get("BOT_OFFICE_NAME", "").strip() or None,
        database_url=database_url_from(merged),
    )
