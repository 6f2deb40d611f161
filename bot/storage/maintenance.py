"""The database as a whole, for the operator's commands (check, backup, restore) and the
start-up line: counts, integrity, the media it names, and SQLite's online backup.

Plain ``sqlite3`` and synchronous: the commands run these in a worker thread on their own
connection (:func:`open_read_only`, which never writes to a running bot's database), the bot
on its own connection through ``Database.run``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Counts:
    units: int
    liaisons: int          # active
    pending_outbox: int    # pending or being sent
    submissions: int
    items: int


def counts(conn: sqlite3.Connection) -> Counts:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM unit),"
        " (SELECT count(*) FROM liaison WHERE status = 'active'),"
        " (SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')),"
        " (SELECT count(*) FROM submission), (SELECT count(*) FROM item)").fetchone()
    return Counts(*(int(value) for value in row))


def open_read_only(path: Path, folder_writable: bool = True) -> sqlite3.Connection:
    """A connection that cannot write (a missing file is an error, not a new database).

    A reader of a WAL database needs its ``-shm`` file, which a read-only folder cannot
    take: there (``folder_writable=False``) the file is read as it is, without locks —
    right only because nothing can be writing to that folder either."""
    options = "mode=ro" if folder_writable else "mode=ro&immutable=1"
    return sqlite3.connect(f"{path.resolve().as_uri()}?{options}", uri=True,
                           timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA quick_check``: ``[]`` when the file is sound, else what SQLite found."""
    found = [str(row[0]) for row in conn.execute("PRAGMA quick_check").fetchall()]
    return [] if found == ["ok"] else found


def sample_media(conn: sqlite3.Connection, limit: int) -> list[str]:
    """Up to ``limit`` sha256 names, picked at random, of the files the items say are in the
    media store (originals and thumbnails)."""
    return [row[0] for row in conn.execute(
        "SELECT sha FROM (SELECT media_sha256 AS sha FROM item WHERE archived = 'yes'"
        " AND media_sha256 IS NOT NULL UNION SELECT thumb_sha256 FROM item"
        " WHERE thumb_sha256 IS NOT NULL) AS named ORDER BY random() LIMIT ?",
        (limit,)).fetchall()]


def referenced_media(conn: sqlite3.Connection) -> set[str]:
    """Every sha256 the items name (originals and thumbnails)."""
    return {row[0] for row in conn.execute(
        "SELECT media_sha256 FROM item WHERE archived = 'yes' AND media_sha256 IS NOT NULL"
        " UNION SELECT thumb_sha256 FROM item WHERE thumb_sha256 IS NOT NULL").fetchall()}


def campaign_timezones(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(year, time zone) of every campaign."""
    return [(int(year), str(zone)) for year, zone in conn.execute(
        "SELECT year, timezone FROM campaign ORDER BY year").fetchall()]


def online_backup(source: Path, target: Path) -> None:
    """A consistent copy of a database that may be in use: SQLite's online backup API, in
    one step (one read transaction: a snapshot that the bot's writes meanwhile do not touch).
    The copy is made a single self-contained file (rollback journal, no ``-wal``)."""
    src = open_read_only(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def recent_processes(conn: sqlite3.Connection, since: str) -> list[tuple]:
    """(id, leader, handled, beat_at, stopped_at) of the processes that beat since ``since``
    (issue 18's heartbeat rows); [] before the table exists."""
    try:
        return [tuple(row) for row in conn.execute(
            "SELECT id, leader, handled, beat_at, stopped_at FROM bot_process "
            "WHERE beat_at >= ? ORDER BY started_at", (since,)).fetchall()]
    except sqlite3.OperationalError:        # no such table: migrated at the next start
        return []
