"""PostgreSQL through asyncpg behind the very API of :class:`bot.storage.db.Database`.

The repositories are written against SQLite (``?`` parameters, ``cursor.lastrowid``,
``Database.run(work)`` with a synchronous ``work(conn)``); this class runs them unchanged:

- SQL is translated once per statement text (:mod:`bot.storage.dialect`), parameters are
  rendered as literals;
- ``lastrowid``: an ``INSERT`` into a table with an identity column gets ``RETURNING id``;
- ``run(work)``: ``work`` runs in a greenlet on the event loop's thread; its
  ``conn.execute`` switches back to the loop, which awaits asyncpg and switches in again
  (a few microseconds a statement, no thread);
- a write transaction (``transaction()``, ``run(..., write=True)``, ``executemany``) takes a
  transaction-scoped advisory lock first, so write transactions are serialised across all
  processes exactly as SQLite's ``BEGIN IMMEDIATE`` serialises them: a repository's
  read-then-write stays atomic on both;
- constraint violations are raised as ``sqlite3.IntegrityError``, which callers catch.

Numerics (``sum`` of integers) come back as ``int`` (or ``float``), as from SQLite.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

import asyncpg
import greenlet

from bot.storage import dialect
from bot.storage.db import MIGRATIONS_DIR, migration_files, split_sql

log = logging.getLogger(__name__)

T = TypeVar("T")
POOL_SIZE = 10
WRITE_LOCK = 1          # advisory lock classes (the second key is the schema's)
MIGRATION_LOCK = 2
LEADER_LOCK = 3

_current: contextvars.ContextVar[tuple[PgDatabase, asyncpg.Connection] | None] = \
    contextvars.ContextVar("pg_connection", default=None)


def schema_key(schema: str) -> int:
    """A 31-bit number naming the schema, the advisory locks' second key: two bots on one
    server but in different schemas (the tests) never share a lock."""
    return int.from_bytes(hashlib.sha256(schema.encode()).digest()[:4], "big") >> 1


def _numeric(text: str) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", encoder=str, decoder=_numeric,
                              schema="pg_catalog", format="text")


def _integrity(error: asyncpg.PostgresError) -> BaseException:
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return sqlite3.IntegrityError(str(error))
    return error


class Cursor:
    """What a repository reads of a sqlite3 cursor: rows, ``lastrowid``, ``rowcount``."""

    __slots__ = ("_index", "_rows", "lastrowid", "rowcount")

    def __init__(self, rows: list, rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows
        self._index = 0
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self):
        if self._index >= len(self._rows):
            return None
        self._index += 1
        return self._rows[self._index - 1]

    def fetchall(self) -> list:
        rows = self._rows[self._index:]
        self._index = len(self._rows)
        return rows

    def close(self) -> None:
        pass

    def __iter__(self):
        return iter(self.fetchall())


class AsyncCursor:
    """The aiosqlite cursor's shape (awaitable fetches) over a :class:`Cursor`."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: Cursor) -> None:
        self._cursor = cursor

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def fetchone(self):
        return self._cursor.fetchone()

    async def fetchall(self) -> list:
        return self._cursor.fetchall()

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> AsyncCursor:
        return self

    async def __aexit__(self, *exc) -> None:
        pass


def _status_count(status: str) -> int:
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


class PgDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, migrations_dir: Traversable = MIGRATIONS_DIR, *,
                 read_only: bool = False) -> None:
        """``read_only``: the operator's commands (check): no migration, every transaction
        read-only (``default_transaction_read_only``), one connection."""
        self.url = url
        self.read_only = read_only
        self.migrations_dir = migrations_dir
        self._pool: asyncpg.Pool | None = None
        self._open_lock = asyncio.Lock()
        self._identity: frozenset[tuple[str, str]] = frozenset()
        self.schema = "public"
        self.lock_key = 0

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    @property
    def in_transaction(self) -> bool:
        current = _current.get()
        return current is not None and current[0] is self

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database is not open")
        return self._pool

    async def connect(self) -> asyncpg.Connection:
        """A connection of its own, outside the pool (the leader's lock holds one)."""
        conn = await asyncpg.connect(self.url, statement_cache_size=0)
        await _init_connection(conn)
        return conn

    async def open(self) -> None:
        async with self._open_lock:
            if self._pool is not None:
                return
            settings = {"default_transaction_read_only": "on"} if self.read_only else None
            self._pool = await asyncpg.create_pool(
                self.url, min_size=1, max_size=1 if self.read_only else POOL_SIZE,
                statement_cache_size=0, init=_init_connection, server_settings=settings)
            self.schema = await self._pool.fetchval("SELECT current_schema()") or "public"
            self.lock_key = schema_key(self.schema)
            if not self.read_only:
                await self._migrate()

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def replaced(self) -> bool:
        """A server's database cannot be swapped under the bot as a file can."""
        return False

    async def server(self) -> str:
        """``PostgreSQL 15.20 at host:port/database, schema s`` (for check and the log)."""
        async with self.pool.acquire() as conn:
            version = await conn.fetchval("SHOW server_version")
            where = await conn.fetchrow(
                "SELECT coalesce(host(inet_server_addr()), 'socket') AS host, "
                "inet_server_port() AS port, current_database() AS db")
        port = f":{where['port']}" if where["port"] else ""
        return (f"PostgreSQL {version.split()[0]} at {where['host']}{port}/{where['db']}, "
                f"schema {self.schema}")

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return await self._version(conn)

    @staticmethod
    async def _version(conn: asyncpg.Connection) -> int:
        exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists:
            return 0
        return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))

    async def _migrate(self) -> None:
        """Apply pending migrations under an advisory lock (N processes start together);
        the version is a row of ``schema_version`` (SQLite: ``PRAGMA user_version``)."""
        identity: set[tuple[str, str]] = set()
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1, $2)", MIGRATION_LOCK, self.lock_key)
            try:
                await conn.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                                   "version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ "
                                   "NOT NULL DEFAULT now())")
                current = await self._version(conn)
                for number, path in migration_files(self.migrations_dir):
                    script = path.read_text(encoding="utf-8")
                    statements = [dialect.migration_statement(statement) for statement
                                  in dialect.creation_order(split_sql(script))]
                    identity.update(found for _, found in statements if found)
                    if number <= current:
                        continue
                    log.info("applying migration %s", path.name)
                    async with conn.transaction():
                        for statement, _ in statements:
                            await conn.execute(statement)
                        await conn.execute("INSERT INTO schema_version (version) VALUES ($1)",
                                           number)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1, $2)", MIGRATION_LOCK,
                                   self.lock_key)
        self._identity = frozenset(identity)

    # -- running statements ------------------------------------------------------------

    async def _run_statement(self, conn: asyncpg.Connection, sql: str,
                             params: Sequence[Any] | Mapping[str, Any]) -> Cursor:
        statement = dialect.translate(sql, self._identity)
        text = statement.sql(params)
        try:
            if statement.returns_rows:
                rows = await conn.fetch(text)
                if statement.added_returning:
                    return Cursor([], len(rows), rows[0][0] if rows else None)
                return Cursor(rows, len(rows) if statement.is_insert or
                              not text.lstrip()[:6].upper().startswith("SELECT") else -1, None)
            status = await conn.execute(text)
        except asyncpg.PostgresError as error:
            raise _integrity(error) from error
        return Cursor([], _status_count(status), None)

    async def _in_write(self, conn: asyncpg.Connection, body: Callable[[], Any]):
        """``body()`` (a coroutine function) in a transaction holding the write lock."""
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK}, {self.lock_key})")
            result = await body()
        except BaseException:
            await transaction.rollback()
            raise
        await transaction.commit()
        return result

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (SQLite: ``BEGIN IMMEDIATE``); rolled back on any exception.
        Nestable; the task's other statements meanwhile go through its connection."""
        current = _current.get()
        if current is not None and current[0] is self:
            yield AsyncConnection(self, current[1])
            return
        async with self.pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            token = _current.set((self, conn))
            try:
                try:
                    await conn.execute(
                        f"SELECT pg_advisory_xact_lock({WRITE_LOCK}, {self.lock_key})")
                    yield AsyncConnection(self, conn)
                except BaseException:
                    await transaction.rollback()
                    raise
                await transaction.commit()
            finally:
                _current.reset(token)

    async def run(self, work: Callable[[Any], T], *, write: bool = False) -> T:
        """``work(conn)`` as on SQLite: ``conn.execute(sql, params)`` returns a cursor at
        once. ``work`` runs in a greenlet; each statement switches to the loop to await."""
        current = _current.get()
        if current is not None and current[0] is self:
            return await self._in_greenlet(work, current[1])
        async with self.pool.acquire() as conn:
            token = _current.set((self, conn))
            try:
                if write:
                    return await self._in_write(conn, lambda: self._in_greenlet(work, conn))
                return await self._in_greenlet(work, conn)
            finally:
                _current.reset(token)

    async def _in_greenlet(self, work: Callable[[Any], T], conn: asyncpg.Connection) -> T:
        facade = SyncConnection(self, conn)
        child = greenlet.greenlet(work, parent=greenlet.getcurrent())
        result = child.switch(facade)
        while not child.dead:
            try:
                value = await result
            except BaseException as error:      # raised inside work, where it came from
                result = child.throw(error)
            else:
                result = child.switch(value)
        return result

    async def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        """Run one statement; returns lastrowid (for inserts) or rowcount."""
        cursor = await self._statement(sql, params)
        if cursor.lastrowid and sql.lstrip().upper().startswith("INSERT"):
            return int(cursor.lastrowid)
        return cursor.rowcount

    async def _statement(self, sql: str, params) -> Cursor:
        current = _current.get()
        if current is not None and current[0] is self:
            return await self._run_statement(current[1], sql, params)
        async with self.pool.acquire() as conn:
            return await self._run_statement(conn, sql, params)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return

        async def body() -> None:
            for row in rows:
                await self._run_statement(conn, sql, row)

        current = _current.get()
        if current is not None and current[0] is self:
            conn = current[1]
            await body()
            return
        async with self.pool.acquire() as conn:
            await self._in_write(conn, body)

    async def fetchone(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()):
        return (await self._statement(sql, params)).fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list:
        return (await self._statement(sql, params)).fetchall()

    async def fetch_values(self, sql: str,
                           params: Sequence[Any] | Mapping[str, Any] = ()) -> list[tuple]:
        return [tuple(row) for row in (await self._statement(sql, params)).fetchall()]


class SyncConnection:
    """The sqlite3 connection ``run(work)`` hands to ``work``: each call switches to the
    event loop's greenlet, which awaits the statement."""

    __slots__ = ("_conn", "_db", "row_factory")

    def __init__(self, db: PgDatabase, conn: asyncpg.Connection) -> None:
        self._db = db
        self._conn = conn
        self.row_factory = None

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Cursor:
        return _await(self._db._run_statement(self._conn, sql, params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        count = 0
        for row in rows:
            count += max(0, self.execute(sql, row).rowcount)
        return Cursor([], count, None)

    def cursor(self) -> SyncConnection:
        return self


def _await(awaitable):
    current = greenlet.getcurrent()
    if current.parent is None:
        raise RuntimeError("a PostgreSQL statement outside Database.run")
    return current.parent.switch(awaitable)


class AsyncConnection:
    """The aiosqlite connection ``transaction()`` yields: ``await conn.execute(...)``."""

    __slots__ = ("_conn", "_db")

    def __init__(self, db: PgDatabase, conn: asyncpg.Connection) -> None:
        self._db = db
        self._conn = conn

    async def execute(self, sql: str,
                      params: Sequence[Any] | Mapping[str, Any] = ()) -> AsyncCursor:
        return AsyncCursor(await self._db._run_statement(self._conn, sql, params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            await self._db._run_statement(self._conn, sql, row)
