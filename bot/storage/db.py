"""One aiosqlite connection, the migration runner and transactions.

All statements go through :class:`Database` so that one task's transaction is never
interleaved with another task's statements on the shared connection.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

# Package data: ``bot/storage/migrations`` is a link to the repository's top-level
# ``migrations/`` folder (their one copy), followed when a wheel is built.
MIGRATIONS_DIR = resources.files("bot.storage") / "migrations"
MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
BUSY_TIMEOUT_MS = 15_000

T = TypeVar("T")

_in_transaction: contextvars.ContextVar[Database | None] = contextvars.ContextVar(
    "in_transaction", default=None
)


def migration_files(directory: Traversable = MIGRATIONS_DIR) -> list[tuple[int, Traversable]]:
    """Numbered migration files in order; a gap or a duplicate number is an error (a
    database at version N applies only the numbers above N, so a lower number landing
    later would never be applied)."""
    found: list[tuple[int, Traversable]] = []
    if not directory.is_dir():
        raise RuntimeError(f"the migrations are missing: {directory} is not a folder")
    for path in sorted((entry for entry in directory.iterdir() if entry.name.endswith(".sql")),
                       key=lambda entry: entry.name):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file name not understood: {path.name}")
        found.append((int(match.group(1)), path))
    numbers = [number for number, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, ... without gaps: {numbers}")
    return found


def padded(values: Sequence[T], limit: int) -> list[T]:
    """``values`` (not empty) lengthened to the next power of two, at most ``limit``, by
    repeating the last: an ``IN (…)`` list, or the rows of an ``INSERT … ON CONFLICT DO
    NOTHING``, means the same with the repeats, and a statement built for a batch then takes
    a few texts rather than one per length (PostgreSQL prepares each text once per
    connection, after sending it with literals the first time; SQLite caches it)."""
    size = 1
    while size < len(values):
        size *= 2
    size = max(len(values), min(size, limit))
    return [*values, *[values[-1]] * (size - len(values))]


def latest_schema_version() -> int:
    """The schema version this code migrates a database to (its last migration's number)."""
    found = migration_files()
    return found[-1][0] if found else 0


def connect_database(target: Path | str) -> Database:
    """The database for ``target``: a ``postgresql://`` URL (asyncpg, :mod:`bot.storage.pg`)
    or a SQLite file. Both have this class's API; ``dialect`` tells them apart."""
    if isinstance(target, str) and target.startswith(("postgresql://", "postgres://")):
        from bot.storage.pg import PgDatabase

        return PgDatabase(target)  # type: ignore[return-value]
    if isinstance(target, str) and target.startswith("sqlite:///"):
        target = target[len("sqlite:///"):]
    return Database(Path(target))


class Database:
    dialect = "sqlite"

    def __init__(self, path: Path, migrations_dir: Traversable = MIGRATIONS_DIR) -> None:
        self.path = path
        self.migrations_dir = migrations_dir
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()
        self._identity: tuple[int, int] | None = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def in_transaction(self) -> bool:
        """Whether the running task is inside one of this database's transactions."""
        return _in_transaction.get() is self

    async def open(self) -> None:
        """Open the file and apply pending migrations; calling it again does nothing."""
        async with self._open_lock:
            if self._conn is not None:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            self._conn = conn
            self._identity = _identity(self.path)
            await self._migrate()

    def replaced(self) -> bool:
        """Whether the path no longer names the open file (deleted, or another file moved
        in its place: a restore, a copy): writes would go where no one reads them."""
        if self._identity is None:
            return False
        return _identity(self.path) != self._identity

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        for number, path in migration_files(self.migrations_dir):
            if number <= current:
                continue
            script = path.read_text(encoding="utf-8")
            log.info("applying migration %s", path.name)
            async with self.transaction() as conn:
                # executescript would commit on its own; run statement by statement instead
                for statement in split_sql(script):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number}")

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception. Nestable."""
        if _in_transaction.get() is self:
            yield self.conn
            return
        async with self._lock:
            token = _in_transaction.set(self)
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    await self.conn.execute("ROLLBACK")
                    raise
                await self.conn.execute("COMMIT")
            finally:
                _in_transaction.reset(token)

    async def run(self, work: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """Run ``work`` with the plain connection on the connection's own thread: several
        statements for one await (``write``: inside ``BEGIN IMMEDIATE`` … ``COMMIT``).

        Every await of aiosqlite is a trip to its thread and back (~0.1 ms of CPU); this is
        how a repository does an update's reads or writes in one. ``Connection._execute`` is
        the call aiosqlite's own methods are built on; it has no public name.
        """
        if _in_transaction.get() is self:
            return await self.conn._execute(work, self.conn._conn)
        async with self._lock:
            if write:
                return await self.conn._execute(_in_immediate_transaction, work,
                                                self.conn._conn)
            return await self.conn._execute(work, self.conn._conn)

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement; returns lastrowid (for inserts) or rowcount."""
        def statement(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(sql, params)
            if cursor.lastrowid and sql.lstrip().upper().startswith("INSERT"):
                return int(cursor.lastrowid)
            return cursor.rowcount
        return await self.run(statement)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for many rows, in one transaction."""
        rows = list(rows)
        await self.run(lambda conn: conn.executemany(sql, rows), write=True)

    async def fetchone(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Row | None:
        return await self.run(lambda conn: conn.execute(sql, params).fetchone())

    async def fetchall(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        return await self.run(lambda conn: conn.execute(sql, params).fetchall())

    async def fetch_values(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[tuple]:
        """Rows as plain tuples, in the SELECT's column order: for loads of thousands of
        rows. The collector stops tracking a tuple of plain values at its first pass, where a
        Row object per row lives on into the old generation and brings on its full passes."""
        def plain_rows(conn: sqlite3.Connection) -> list[tuple]:
            cursor = conn.cursor()
            cursor.row_factory = None
            return cursor.execute(sql, params).fetchall()
        return await self.run(plain_rows)


def _identity(path: Path) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the file the path names; None when it names none."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def _in_immediate_transaction(work: Callable[[sqlite3.Connection], T],
                              conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def split_sql(script: str) -> list[str]:
    """Split a migration into statements: ``;`` and ``--`` comments count outside quotes only."""
    statements: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(script):
        char = script[index]
        if char == "'":
            quoted = not quoted
        elif not quoted and script.startswith("--", index):
            end = script.find("\n", index)
            index = len(script) if end == -1 else end
            continue
        elif not quoted and char == ";":
            statements.append("".join(current).strip())
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    statements.append("".join(current).strip())
    return [statement for statement in statements if statement]
