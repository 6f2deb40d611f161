"""The database file under the bot's feet (issue 13 point 3).

While the bot runs, its database path must keep naming the file it opened: deleted, or
replaced by another file (a restore or a copy over it), every write would go into a file
nobody will read again, and the next start would find an empty or an older database. The
poller checks before every ``getUpdates`` (which confirms the previous batch to Telegram),
intake before recording, and a job every :data:`WATCH_SECONDS`; on the first sign the bot
logs one critical line, takes no more submissions, stops polling (Telegram keeps the updates
not confirmed) and exits with :data:`EXIT_DATABASE_LOST`.

At start-up an empty database beside a media store that holds files is refused (the
database was lost, or the data folder is the wrong one), unless ``BOT_ALLOW_EMPTY_DATABASE=1``
or ``run --allow-empty-database`` says to start afresh.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import Settings
from bot.storage import Storage, maintenance

log = logging.getLogger(__name__)

WATCH_SECONDS = 2.0
EXIT_DATABASE_LOST = 3
EXIT_REFUSED = 4


class StartRefused(Exception):
    """The bot must not start on this data folder as it is; the message says why."""


def media_holds_files(media_dir: Path) -> bool:
    """Any stored file (the temporary folder does not count); stops at the first."""
    if not media_dir.is_dir():
        return False
    tmp = media_dir / "tmp"
    return any(path.is_file() and path.parent != tmp for path in media_dir.rglob("*"))


def _refusal(settings: Settings, why: str) -> StartRefused:
    return StartRefused(
        f"{why}, but the media store {settings.media_dir} holds files: the database was lost "
        f"or replaced, or this is not the bot's data folder. Restore the database (python -m "
        f"bot restore BACKUP), or to start afresh on purpose set BOT_ALLOW_EMPTY_DATABASE=1 "
        f"(or run --allow-empty-database)")


def refuse_missing_database(settings: Settings) -> None:
    """Before the database is opened (opening would create it)."""
    path = settings.database_path
    if settings.uses_postgres:      # nothing to lose as a file; the check after opening holds
        return
    if settings.allow_empty_database or (path.exists() and path.stat().st_size > 0):
        return
    if media_holds_files(settings.media_dir):
        raise _refusal(settings, f"there is no database at {path}")


async def refuse_empty_database(settings: Settings, storage: Storage) -> None:
    """After it is opened: a database with no unit and no submission counts as empty."""
    if settings.allow_empty_database:
        return
    held = await storage.db.run(maintenance.counts)
    if held.units == 0 and held.submissions == 0 and held.items == 0 and \
            media_holds_files(settings.media_dir):
        where = "on the PostgreSQL server" if settings.uses_postgres else \
            str(settings.database_path)
        raise _refusal(settings, f"the database {where} is empty")


def lost(services, where: str) -> bool:
    """Whether the database file was deleted or replaced; logs it (once) and asks the bot to
    stop. ``where``: what noticed it, for the log line."""
    storage = services.storage
    if storage is None or not storage.db.is_open or not storage.db.replaced():
        return False
    if not services.halted.is_set():
        log.critical("the database file %s was deleted or replaced while the bot ran (the "
                     "path no longer names the open file; noticed by %s): no submissions are "
                     "taken, polling stops and the bot exits. Put the database back (or "
                     "restore a backup) and start the bot again", storage.db.path, where)
        services.halted.set()
    return True


async def watch(context) -> None:
    """The job: every :data:`WATCH_SECONDS`."""
    lost(context.bot_data, "the watch")


def start_watch(app) -> None:
    app.job_queue.run_repeating(watch, interval=WATCH_SECONDS, first=WATCH_SECONDS,
                                name="record database watch")
