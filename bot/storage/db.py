"""One aiosqlite connection, the migration runner and transactions.

All statements go through :class:`Database` so that one task's transaction is never
interleaved with another task's statements on the shared connection.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
MIGRATION_NAME = re.compile(r"^(\d{4})_[\w-]+\.sql$")
BUSY_TIMEOUT_MS = 15_000

_in_transaction: contextvars.ContextVar[Database | None] = contextvars.ContextVar(
    "in_transaction", default=None
)


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """Numbered migration files in order; a gap or duplicate number is an error."""
    found: list[tuple[int, Path]] = []
    for path in sorted(directory.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file name not understood: {path.name}")
        found.append((int(match.group(1)), path))
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, ... without gaps: {numbers}")
    return found


class Database:
    def __init__(self, path: Path, migrations_dir: Path = MIGRATIONS_DIR) -> None:
        self.path = path
        self.migrations_dir = migrations_dir
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()

    @property
    def is_open(self) -> bool:
        return self._conn is not None

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
            await self._migrate()

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

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[aiosqlite.Connection]:
        if _in_transaction.get() is self:
            yield self.conn
        else:
            async with self._lock:
                yield self.conn

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement; returns lastrowid (for inserts) or rowcount."""
        async with self._statement() as conn:
            # one trip to the connection's thread: the cursor is read here, not closed there
            # (a finished statement holds nothing; the cursor goes when it is dropped)
            cursor = await conn.execute(sql, params)
            result = cursor.lastrowid if sql.lstrip().upper().startswith("INSERT") else None
            rowcount = cursor.rowcount
        return int(result) if result else rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self._statement() as conn:
            await conn.executemany(sql, rows)

    async def fetchone(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> aiosqlite.Row | None:
        """The first row (the statements asked this way give at most one, or say LIMIT)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[aiosqlite.Row]:
        """Every row, in one trip to the connection's thread (not three: execute, fetch,
        close)."""
        async with self._statement() as conn:
            return list(await conn.execute_fetchall(sql, params))


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
