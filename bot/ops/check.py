"""``python -m bot check``: can this configuration run? One line per thing checked.

Each check is an independent coroutine function of the settings that returns its
:class:`Line` (``ok``, ``warn`` or ``FAIL``); :data:`CHECKS` lists them in the order they are
printed. They run concurrently and write nothing (the data folder's probe file is removed at
once; the database is opened read-only). Adding a check is one function and one entry.
The exit code is 0 only when no line is ``FAIL``: the bot can run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import asyncpg
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.config import ConfigError, Settings, load_settings
from bot.desk.drawing import cjk_face
from bot.media.paths import media_file, sha256_of
from bot.ops.logs import redact
from bot.ptb.request import AiohttpRequest, EnvironmentProxies
from bot.storage import maintenance
from bot.storage.db import latest_schema_version

T = TypeVar("T")
OK, WARN, FAIL = "ok", "warn", "FAIL"
CLOUD_API = "https://api.telegram.org/bot"
NETWORK_TIMEOUT = 10.0
MEDIA_SAMPLE = 50
FREE_SPACE_FAIL = 100 * 1024**2     # below: the week's photos would not fit
FREE_SPACE_WARN = 1024**3


@dataclass(frozen=True)
class Line:
    status: str
    subject: str
    text: str

    def render(self) -> str:
        return f"[{self.status:<4}] {self.subject}: {self.text}"


Check = Callable[[Settings], Awaitable[Line]]


async def token(settings: Settings) -> Line:
    """getMe with the token: the bot's username, or Telegram's refusal."""
    request = AiohttpRequest(connection_pool_size=1, read_timeout=NETWORK_TIMEOUT,
                             connect_timeout=NETWORK_TIMEOUT)
    bot = Bot(settings.token, base_url=settings.api_base_url or CLOUD_API, request=request,
              get_updates_request=request)
    try:
        await bot.initialize()          # asks getMe
        me = bot.bot
    except InvalidToken:
        return Line(FAIL, "token", "refused by Telegram (Unauthorized): the token was revoked "
                                   "or mistyped; ask @BotFather for the current one")
    except TelegramError as error:
        return Line(FAIL, "token", f"Telegram did not answer getMe: "
                                   f"{redact(str(error), [settings.token])}")
    finally:
        await request.shutdown()
    return Line(OK, "token", f"@{me.username} ({me.first_name}, id {me.id})")


def _existing(folder: Path) -> Path:
    """The folder, or its nearest ancestor that exists (where it would be created)."""
    folder = folder.resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _writable(folder: Path) -> str | None:
    """None when a file can be created in the folder, else why not (what the OS said: a
    read-only file system or an immutable folder refuses even root)."""
    try:
        handle, name = tempfile.mkstemp(prefix=".check-", dir=folder)
    except OSError as error:
        return error.strerror or type(error).__name__
    os.close(handle)
    os.unlink(name)
    return None


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


async def data_folder(settings: Settings) -> Line:
    """The data folder (and the media store in it) writable, and its free space."""
    folder = settings.data_dir.resolve()
    where = _existing(folder)
    free = shutil.disk_usage(where).free
    state = "" if where == folder else f" (does not exist yet: created in {where} at the " \
                                       "first start)"
    for probed in (where, settings.media_dir):
        if probed.is_dir() and (problem := _writable(probed)):
            return Line(FAIL, "data folder", f"{probed} is not writable: {problem}")
    if free < FREE_SPACE_FAIL:
        return Line(FAIL, "data folder", f"{folder}: only {_size(free)} free{state}")
    status = WARN if free < FREE_SPACE_WARN else OK
    return Line(status, "data folder", f"{folder} writable, {_size(free)} free{state}")


def _open(settings: Settings) -> sqlite3.Connection:
    """The database, read-only (in a folder that refuses new files, as it is: see the data
    folder's line)."""
    return maintenance.open_read_only(settings.database_path,
                                      _writable(settings.data_dir) is None)


async def _read_postgres(settings: Settings, work: Callable[[Any], T]) -> T:
    """``work(conn)`` (a maintenance function) on a read-only PostgreSQL connection."""
    from bot.storage.pg import PgDatabase

    db = PgDatabase(settings.database_url, read_only=True)
    await db.open()
    try:
        return await db.run(work)
    finally:
        await db.close()


async def _postgres(settings: Settings) -> Line:
    """The server, the schema version and what the database holds (PostgreSQL)."""
    from bot.storage.pg import PgDatabase

    latest = latest_schema_version()
    db = PgDatabase(settings.database_url, read_only=True)
    try:
        await db.open()
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return Line(FAIL, "database", f"PostgreSQL at {redact(settings.database_url)} "
                                      f"not reachable: {error}")
    try:
        server = await db.server()
        version = await db.schema_version()
        if version > latest:
            return Line(FAIL, "database", f"{server}: schema {version} is newer than this "
                                          f"bot's ({latest}): install the newer version")
        if version < latest:
            state = "empty" if version == 0 else f"schema {version}"
            return Line(OK, "database", f"{server}: {state}, migrated to {latest} at the "
                                        "next start")
        held = await db.run(maintenance.counts)
        return Line(OK, "database", f"{server}: schema {version}; {held.units} units, "
                                    f"{held.liaisons} liaisons, {held.submissions} "
                                    f"submissions, {held.pending_outbox} messages waiting "
                                    "in the outbox")
    finally:
        await db.close()


async def database(settings: Settings) -> Line:
    """The backend; the schema version and ``PRAGMA quick_check`` (SQLite), and what the
    database holds."""
    if settings.uses_postgres:
        return await _postgres(settings)
    path = settings.database_path
    latest = latest_schema_version()
    if not path.exists():
        return Line(OK, "database", f"none yet: {path} is created (schema {latest}) at the "
                                    "first start")

    def inspect() -> Line:
        conn = _open(settings)
        try:
            version = maintenance.schema_version(conn)
            if version > latest:
                return Line(FAIL, "database", f"schema {version} is newer than this bot's "
                                              f"({latest}): install the newer version")
            problems = maintenance.quick_check(conn)
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                return Line(FAIL, "database", f"quick_check found damage: {problems[0]}{more}")
            state = f"schema {version}" + ("" if version == latest else
                                           f", migrated to {latest} at the next start")
            if version < latest:
                return Line(OK, "database", f"{state}, quick_check ok; SQLite {path}")
            held = maintenance.counts(conn)
            return Line(OK, "database", f"{state}, quick_check ok; {held.units} units, "
                                        f"{held.liaisons} liaisons, {held.submissions} "
                                        f"submissions, {held.pending_outbox} messages waiting "
                                        f"in the outbox; SQLite {path}")
        finally:
            conn.close()

    try:
        return await asyncio.to_thread(inspect)
    except sqlite3.Error as error:
        return Line(FAIL, "database", f"{path} cannot be read: {error}")


def _damaged(media_dir: Path, names: Sequence[str]) -> list[str]:
    problems = []
    for sha in names:
        try:
            found = sha256_of(media_file(media_dir, sha))
        except FileNotFoundError:
            problems.append(f"{sha[:12]}… missing")
            continue
        except OSError as error:
            problems.append(f"{sha[:12]}… unreadable ({error.strerror})")
            continue
        if found != sha:
            problems.append(f"{sha[:12]}… damaged (its sha256 differs)")
    return problems


async def media_store(settings: Settings) -> Line:
    """A random sample of the files the database names, read back against their sha256."""
    path = settings.database_path
    if not settings.uses_postgres and not path.exists():
        return Line(OK, "media store", "empty (no database yet)")

    def named(conn) -> tuple[list[str], int]:
        return (maintenance.sample_media(conn, MEDIA_SAMPLE),
                len(maintenance.referenced_media(conn)))

    def sample() -> tuple[list[str], int]:
        conn = _open(settings)
        try:
            return named(conn)
        finally:
            conn.close()

    try:
        if settings.uses_postgres:
            try:
                names, total = await _read_postgres(settings, named)
            except asyncpg.UndefinedTableError:
                return Line(OK, "media store", "empty (no tables yet)")
        else:
            names, total = await asyncio.to_thread(sample)
    except (sqlite3.Error, OSError, asyncpg.PostgresError) as error:
        return Line(FAIL, "media store", f"the database cannot say which files it holds: "
                                         f"{error}")
    problems = await asyncio.to_thread(_damaged, settings.media_dir, names)
    if problems:
        return Line(FAIL, "media store", f"{len(problems)} of {len(names)} sampled files: "
                                         + ", ".join(problems[:5]))
    return Line(OK, "media store", f"{len(names)} of {total} files read back against their "
                                   f"sha256, all intact")


async def time_zone(settings: Settings) -> Line:
    """BOT_TIMEZONE, the time it is there, and a campaign that runs in another zone."""
    zone = settings.timezone
    now = datetime.now(zone)
    text = f"{zone.key}, now {now:%Y-%m-%d %H:%M} (UTC{now:%z})"
    if settings.uses_postgres or settings.database_path.exists():
        def zones() -> list[tuple[int, str]]:
            conn = _open(settings)
            try:
                return maintenance.campaign_timezones(conn)
            finally:
                conn.close()
        try:
            found = await _read_postgres(settings, maintenance.campaign_timezones) \
                if settings.uses_postgres else await asyncio.to_thread(zones)
            others = [(year, other) for year, other in found if other != zone.key]
        except (sqlite3.Error, OSError, asyncpg.PostgresError):
            others = []      # the database line says why
        if others:
            year, other = others[-1]
            return Line(WARN, "time zone", f"{text}; the {year} campaign's deadlines are in "
                                           f"{other}")
    return Line(OK, "time zone", text)


async def processes(settings: Settings) -> Line:
    """The bot processes on this database (their heartbeat rows) and which one leads."""
    from datetime import UTC, timedelta

    from bot.kernel.clock import from_iso, to_iso
    from bot.storage.processes import GONE_AFTER

    now = datetime.now(UTC)
    since = to_iso(now - timedelta(days=1))

    def read(conn) -> list[tuple]:
        return maintenance.recent_processes(conn, since)

    def read_file() -> list[tuple]:
        conn = _open(settings)
        try:
            return read(conn)
        finally:
            conn.close()

    if settings.uses_postgres:
        try:
            rows = await _read_postgres(settings, read)
        except asyncpg.UndefinedTableError:
            rows = []
    elif settings.database_path.exists():
        rows = await asyncio.to_thread(read_file)
    else:
        rows = []
    running, gone = [], []
    leader = None
    for process_id, leads, handled, beat_at, stopped_at in rows:
        age = int((now - from_iso(beat_at)).total_seconds())
        if stopped_at is not None:
            continue
        if now - from_iso(beat_at) > GONE_AFTER:
            gone.append(f"{process_id} (last beat {age // 60} min ago)")
            continue
        if leads:
            leader = process_id
        running.append(f"{process_id}{' leader' if leads else ''} (beat {age} s ago, "
                       f"{handled} updates)")
    if not running:
        text = "none running"
        return Line(OK, "processes", text + (f"; gone without stopping: {', '.join(gone)}"
                                             if gone else ""))
    text = f"{len(running)} running: " + ", ".join(running)
    if gone:
        text += f"; gone without stopping: {', '.join(gone)}"
    if leader is None:
        return Line(WARN, "processes", text + "; none leads (a takeover under way?)")
    return Line(OK, "processes", text)


async def _answers(url: str, proxies: EnvironmentProxies) -> str:
    """The HTTP status a URL answers with (any status: the server is there)."""
    timeout = aiohttp.ClientTimeout(total=NETWORK_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session, \
            session.get(url, proxy=proxies.for_url(url)) as response:
        return f"HTTP {response.status}"


async def local_api(settings: Settings) -> Line:
    """The local Bot API server, when one is configured: its API and its file downloads."""
    if not settings.api_base_url:
        return Line(OK, "Bot API server", "Telegram's cloud (files over 20 MB are recorded, "
                                          "not archived)")
    proxies = EnvironmentProxies()
    reached = []
    for name, base in (("API", settings.api_base_url), ("files", settings.download_base_url)):
        if base is None:
            return Line(FAIL, "Bot API server", f"{settings.api_base_url} does not end in /bot: "
                                                "set TELEGRAM_FILE_BASE_URL too")
        try:
            status = await _answers(f"{base}{settings.token}/getMe" if name == "API"
                                    else f"{base}{settings.token}/", proxies)
        except (aiohttp.ClientError, TimeoutError) as error:
            reason = redact(str(error) or type(error).__name__, [settings.token])
            return Line(FAIL, "Bot API server", f"{name} at {base} not reachable: {reason}")
        reached.append(f"{name} at {base} ({status})")
    return Line(OK, "Bot API server", "local: " + ", ".join(reached))


async def proxy(settings: Settings) -> Line:
    """The proxy the environment names for the Bot API, and whether it takes connections."""
    proxies = EnvironmentProxies()
    api = settings.api_base_url or CLOUD_API
    host = urlsplit(api).hostname or api
    if not proxies.named:
        return Line(OK, "proxy", "none set")
    chosen = proxies.for_url(api)
    if chosen is None:
        return Line(OK, "proxy", f"{host} is reached directly (NO_PROXY, or no proxy for its "
                                 "scheme)")
    shown = redact(chosen)
    parts = urlsplit(chosen)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, port), NETWORK_TIMEOUT)
    except (OSError, TimeoutError) as error:
        return Line(FAIL, "proxy", f"{shown} (for {host}) takes no connections: "
                                   f"{getattr(error, 'strerror', None) or type(error).__name__}")
    writer.close()
    return Line(OK, "proxy", f"{shown} for {host}, takes connections")


async def cjk_font(settings: Settings) -> Line:
    """A CJK font for the unit names on the contact sheets' tiles and the heatmap."""
    found = await asyncio.to_thread(cjk_face)
    if found is None:
        return Line(WARN, "CJK font", "none found: contact sheets number their tiles and name "
                                      "the units in the caption only (install fonts-noto-cjk)")
    return Line(OK, "CJK font", found[0])


async def webhook(settings: Settings) -> Line:
    """getWebhookInfo: what Telegram does with the updates against what ``run`` will do."""
    request = AiohttpRequest(connection_pool_size=1, read_timeout=NETWORK_TIMEOUT,
                             connect_timeout=NETWORK_TIMEOUT)
    bot = Bot(settings.token, base_url=settings.api_base_url or CLOUD_API, request=request,
              get_updates_request=request)
    try:
        await request.initialize()
        info = await bot.get_webhook_info()
    except TelegramError as error:
        return Line(WARN, "webhook", f"Telegram did not answer getWebhookInfo: "
                                     f"{redact(str(error), [settings.token])}")
    finally:
        await request.shutdown()
    waiting = f"{info.pending_update_count} update(s) waiting"
    error = f"; last error: {info.last_error_message}" if info.last_error_message else ""
    if settings.webhook_url is None:
        if not info.url:
            return Line(OK, "webhook", f"none: long polling ({waiting})")
        return Line(WARN, "webhook", f"set on this token to {info.url} ({waiting}{error}); "
                                     "run deletes it before polling, so a deployment that "
                                     "uses it would hear nothing more")
    if info.url == settings.webhook_url:
        status = WARN if error and info.pending_update_count else OK
        return Line(status, "webhook", f"{info.url}, served on "
                                       f"{settings.webhook_listen[0]}:"
                                       f"{settings.webhook_listen[1]} ({waiting}{error})")
    now = f"to {info.url}" if info.url else "none"
    return Line(WARN, "webhook", f"Telegram's is {now} ({waiting}); run sets "
                                 f"{settings.webhook_url}")


CHECKS: tuple[Check, ...] = (token, data_folder, database, processes, media_store, time_zone,
                             local_api, proxy, cjk_font, webhook)


async def run_checks(settings: Settings, checks: Sequence[Check] = CHECKS) -> list[Line]:
    """Every check's line, in order; a check that raises is a FAIL line of its own."""
    found = await asyncio.gather(*(check(settings) for check in checks), return_exceptions=True)
    lines = []
    for check, result in zip(checks, found, strict=True):
        if isinstance(result, BaseException):
            reason = redact(f"{type(result).__name__}: {result}", [settings.token])
            result = Line(FAIL, check.__name__.replace("_", " "), f"could not check: {reason}")
        lines.append(result)
    return lines


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(Line(FAIL, "settings", str(error)).render())
        return 1
    print(Line(OK, "settings", "read (the environment, then .env)").render())
    lines = asyncio.run(run_checks(settings))
    for line in lines:
        print(line.render())
    failed = [line for line in lines if line.status == FAIL]
    if failed:
        print(f"the bot cannot run: {len(failed)} problem(s) above")
        return 1
    print("the bot can run")
    return 0
