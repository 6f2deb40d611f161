"""Settings from the environment or a ``.env`` file, validated once at start-up."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TOKEN_PATTERN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{8,}$")
LANGUAGES = ("zh", "en")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FREE_SEND_RATE = 30               # Telegram's overall limit, messages a second
PAID_SEND_RATE = 1000             # with paid broadcasts (allow_paid_broadcast)
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")   # Telegram's secret_token
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
    # issue 13: how often files left pending are retried (and lapsed albums picked up)
    retry_seconds: float = 60.0
    # issue 13: start on an empty database although the media store holds files
    allow_empty_database: bool = False
    paid_broadcast: bool = False     # outbox sends carry allow_paid_broadcast (up to 1,000/s)
    webhook_url: str | None = None   # set: Telegram pushes updates here instead of polling
    webhook_listen: tuple[str, int] = ("127.0.0.1", 8080)   # where this process serves it
    webhook_secret: str | None = None   # X-Telegram-Bot-Api-Secret-Token, checked

    @property
    def webhook_path(self) -> str:
        """The path this process serves the webhook on: the URL's own path."""
        return urlsplit(self.webhook_url or "").path or "/"

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

    raw_paid = merged.get("BOT_PAID_BROADCAST", "").strip().lower() or "false"
    if raw_paid not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigError(f"BOT_PAID_BROADCAST must be true or false, got {raw_paid!r}")
    paid_broadcast = raw_paid in ("true", "1", "yes")
    ceiling = PAID_SEND_RATE if paid_broadcast else FREE_SEND_RATE
    raw_rate = merged.get("BOT_SEND_RATE", "").strip() or "30"
    try:
        send_rate = float(raw_rate)
    except ValueError:
        send_rate = 0.0
    if not 1 <= send_rate <= ceiling:
        more = ("" if paid_broadcast else
                " (up to 1000 with BOT_PAID_BROADCAST=true, at 0.1 Star a message)")
        raise ConfigError(f"BOT_SEND_RATE must be a number of messages a second from 1 to "
                          f"{ceiling}{more}, got {raw_rate!r}")

    webhook_url = merged.get("BOT_WEBHOOK_URL", "").strip() or None
    webhook_secret = merged.get("BOT_WEBHOOK_SECRET", "").strip() or None
    webhook_listen = _listen(merged.get("BOT_WEBHOOK_LISTEN", "").strip() or "127.0.0.1:8080")
    if webhook_url is not None:
        parts = urlsplit(webhook_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigError(f"BOT_WEBHOOK_URL must be the https:// address Telegram posts "
                              f"updates to, got {webhook_url!r}")
        if webhook_secret is None:
            raise ConfigError("BOT_WEBHOOK_SECRET must be set with BOT_WEBHOOK_URL: 1 to 256 "
                              "characters A-Z, a-z, 0-9, _ and -, the same for every process")
    if webhook_secret is not None and not SECRET_PATTERN.match(webhook_secret):
        raise ConfigError("BOT_WEBHOOK_SECRET must be 1 to 256 characters A-Z, a-z, 0-9, _ "
                          "and -")

    raw_retry = merged.get("BOT_RETRY_SECONDS", "").strip() or "60"
    try:
        retry_seconds = float(raw_retry)
    except ValueError:
        retry_seconds = 0.0
    if not 0.5 <= retry_seconds <= 86400:
        raise ConfigError(f"BOT_RETRY_SECONDS must be a number of seconds from 0.5 to 86400, "
                          f"got {raw_retry!r}")
    raw_allow = merged.get("BOT_ALLOW_EMPTY_DATABASE", "").strip().lower() or "0"
    if raw_allow not in ("0", "1", "no", "yes", "false", "true"):
        raise ConfigError(f"BOT_ALLOW_EMPTY_DATABASE must be 1 or 0, got {raw_allow!r}")

    return Settings(
        token=token,
        send_rate=send_rate,
        retry_seconds=retry_seconds,
        allow_empty_database=raw_allow in ("1", "yes", "true"),
        data_dir=data_dir_from(merged),
        timezone=timezone,
        admin_ids=frozenset(admin_ids),
        language=language,
        api_base_url=merged.get("TELEGRAM_API_BASE_URL", "").strip() or None,
        file_base_url=merged.get("TELEGRAM_FILE_BASE_URL", "").strip() or None,
        office_name=merged.get("BOT_OFFICE_NAME", "").strip() or None,
        database_url=database_url_from(merged),
        paid_broadcast=paid_broadcast,
        webhook_url=webhook_url,
        webhook_listen=webhook_listen,
        webhook_secret=webhook_secret,
    )


def _listen(raw: str) -> tuple[str, int]:
    """``BOT_WEBHOOK_LISTEN``: host:port (``[::1]:8080`` for IPv6)."""
    host, _, port = raw.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"BOT_WEBHOOK_LISTEN must be host:port (e.g. 127.0.0.1:8080), "
                          f"got {raw!r}")
    return host, int(port)
