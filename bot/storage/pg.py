"""PostgreSQL through asyncpg behind the very API of :class:`bot.storage.db.Database`.

The repositories are written against SQLite (``?`` parameters, ``cursor.lastrowid``,
``Database.run(work)`` with a synchronous ``work(conn)``); this class runs them unchanged:

- SQL is translated once per statement text (:mod:`bot.storage.dialect`); from its second
  use on a statement is prepared (once per connection) and its parameters bound, where
  every value is of the type PostgreSQL inferred for its place (an ``int`` for a bigint, a
  ``str`` for a text …); anything else (``'5'`` for a bigint, a statement whose parameter
  types cannot be inferred) is sent as text with the parameters rendered as literals,
  which PostgreSQL types by their context as SQLite's affinity does — the same result
  either way (:func:`_accepting`);
- ``executemany``: a one-row ``INSERT … VALUES`` becomes one statement over parameter
  arrays (``unnest``) per 5,000 rows; any other statement is bound once and run for every
  row in one pipelined trip (asyncpg's ``executemany``);
- ``lastrowid``: an ``INSERT`` into a table with an identity column gets ``RETURNING id``;
- ``run(work)``: ``work`` runs in a greenlet on the event loop's thread; its
  ``conn.execute`` switches back to the loop, which awaits asyncpg and switches in again
  (a few microseconds a statement, no thread);
- a write transaction (``transaction()``, ``run(..., write=True)``, ``executemany``) takes a
  transaction-scoped advisory lock first (``BEGIN`` and the lock in one trip), so write
  transactions are serialised across all processes exactly as SQLite's ``BEGIN IMMEDIATE``
  serialises them: a repository's read-then-write stays atomic on both;
- constraint violations are raised as ``sqlite3.IntegrityError``, which callers catch.

Numerics (``sum`` of integers) come back as ``int`` (or ``float``), as from SQLite.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import math
import sqlite3
import time
from collections import OrderedDict
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
IDLE_CLOSE_SECONDS = 300.0          # a pooled connection unused this long is closed
MAX_LIFETIME_SECONDS = 3600.0       # ... and one this old, when it is given back
STATEMENTS_PER_CONNECTION = 512     # prepared statements kept per connection (least recent out)
ROWS_PER_INSERT = 5000              # executemany's rows per multi-row INSERT
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


def _accepting(type_name: str) -> Callable[[Any], bool] | None:
    """Which values a parameter PostgreSQL typed ``type_name`` takes bound, with the very
    result their literal would give (None: no value is bound there; the statement goes as
    text). A ``float`` for a bigint would be truncated bound and rounded as a literal, a
    ``str`` for a bigint or an ``int`` for a text refused bound and cast as a literal."""
    if type_name in ("int2", "int4", "int8"):
        limit = {"int2": 2 ** 15, "int4": 2 ** 31, "int8": 2 ** 63}[type_name]
        return lambda value: isinstance(value, int) and -limit <= value < limit
    if type_name in ("text", "varchar", "bpchar", "name"):
        return lambda value: type(value) is str and "\x00" not in value
    if type_name == "float8":
        return lambda value: type(value) is float or (
            type(value) is int and -2 ** 53 <= value <= 2 ** 53)
    if type_name == "numeric":
        return lambda value: type(value) is int or (
            type(value) in (float, Decimal) and math.isfinite(value))
    if type_name == "bytea":
        return lambda value: type(value) is bytes
    return None


class _Prepared:
    """A statement prepared on one connection, and what each parameter takes bound."""

    __slots__ = ("accepts", "statement", "types")

    def __init__(self, statement: asyncpg.prepared_stmt.PreparedStatement,
                 accepts: tuple[Callable[[Any], bool], ...], types: tuple[str, ...]) -> None:
        self.statement = statement
        self.accepts = accepts
        self.types = types

    def takes(self, values: Sequence[Any]) -> bool:
        for value, accept in zip(values, self.accepts, strict=True):
            if value is not None and not accept(value):
                return False
        return True


class BotConnection(asyncpg.Connection):
    """asyncpg's connection with the statements this process prepared on it (asyncpg's own
    cache is off: it would also keep every text sent with literals)."""

    __slots__ = ("opened_at", "prepared", "used_at")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared: OrderedDict[str, _Prepared] = OrderedDict()
        self.opened_at = self.used_at = 0.0     # the pool's clock (Pool)


class Pool:
    """Up to ``size`` connections, opened as needed, each lent to one task at a time.

    Not asyncpg's pool: a statement prepared on a connection it lends is dead once the
    connection is given back (asyncpg guards against a statement outliving its borrower),
    and its reset on each release (unlock all, ``CLOSE ALL``, ``UNLISTEN``, ``RESET ALL``)
    is a trip to the server per statement run outside a transaction. These connections
    hold no session state (session locks and listeners live on connections of their own,
    :meth:`PgDatabase.connect`). A connection given back closed, or inside a transaction
    (its task was cancelled mid-way), is dropped and replaced on demand.

    The most recently used idle connection is lent first, so after a burst (a Thursday
    morning's photos) the connections it opened fall idle and are closed after
    ``idle_seconds``: N processes do not keep N full pools open on the server for the rest
    of the week. One older than ``lifetime_seconds`` is closed when it is given back (the
    server's memory of a long session, a server or proxy switched over meanwhile)."""

    def __init__(self, connect: Callable[[], Any], size: int, *,
                 idle_seconds: float = IDLE_CLOSE_SECONDS,
                 lifetime_seconds: float = MAX_LIFETIME_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._connect = connect
        self._size = size
        self._slots = asyncio.Semaphore(size)
        self._idle: list[BotConnection] = []      # least recently used first
        self._closed = False
        self._lent = 0
        self.idle_seconds = idle_seconds
        self.lifetime_seconds = lifetime_seconds
        self._monotonic = monotonic

    async def open(self) -> None:
        self._idle.append(await self._opened())

    async def _opened(self) -> BotConnection:
        conn = await self._connect()
        conn.opened_at = conn.used_at = self._monotonic()
        return conn

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[BotConnection]:
        async with self._slots:
            if self._closed:
                raise asyncpg.InterfaceError("the database is closed")
            conn = None
            while self._idle and conn is None:
                conn = self._idle.pop()
                if conn.is_closed():
                    conn = None
            if conn is None:
                conn = await self._opened()
            self._lent += 1
            try:
                yield conn
            finally:
                self._lent -= 1
                now = self._monotonic()
                if conn.is_closed():
                    pass
                elif conn.is_in_transaction() or self._closed:
                    conn.terminate()
                elif now - conn.opened_at >= self.lifetime_seconds:
                    await _close_quietly(conn)
                else:
                    conn.used_at = now
                    self._idle.append(conn)
                await self._close_idle(now)

    async def _close_idle(self, now: float) -> None:
        while self._idle and now - self._idle[0].used_at >= self.idle_seconds:
            await _close_quietly(self._idle.pop(0))

    @property
    def open_count(self) -> int:
        """Connections open now, lent or idle."""
        return self._lent + sum(not conn.is_closed() for conn in self._idle)

    async def close(self) -> None:
        """Close the connections, once every borrowed one is back."""
        self._closed = True
        for _ in range(self._size):
            await self._slots.acquire()
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()


async def _close_quietly(conn: BotConnection) -> None:
    """A graceful close (the server logs no broken connection); a dead one is dropped."""
    try:
        async with asyncio.timeout(5):     # not wait_for: see docs/architecture.md
            await conn.close()
    except Exception:
        conn.terminate()


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
        self._pool: Pool | None = None
        self._open_lock = asyncio.Lock()
        self._identity: frozenset[tuple[str, str]] = frozenset()
        self._bindable: dict[str, bool] = {}    # statement text -> prepares (False: never)
        self._seen: set[str] = set()            # texts run once (prepared from the second)
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
    def pool(self) -> Pool:
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
            async def connect() -> BotConnection:
                conn = await asyncpg.connect(self.url, statement_cache_size=0,
                                             server_settings=settings,
                                             connection_class=BotConnection)
                await _init_connection(conn)
                return conn

            pool = Pool(connect, 1 if self.read_only else POOL_SIZE)
            await pool.open()
            self._pool = pool
            async with pool.acquire() as conn:
                self.schema = await conn.fetchval("SELECT current_schema()") or "public"
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
        conn = await self.connect()
        try:
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
        finally:
            await conn.close()
        self._identity = frozenset(identity)

    # -- running statements ------------------------------------------------------------

    async def _prepared(self, conn: asyncpg.Connection, text: str) -> _Prepared | None:
        """``text`` prepared on ``conn`` (kept there), from its second use on; None while
        it is new or when it cannot be prepared (a parameter PostgreSQL cannot type, as in
        ``? IS NULL``: such a text always goes with literals). The first try inside a
        transaction is made under a savepoint: a failed prepare would abort it."""
        cache: OrderedDict[str, _Prepared] = conn.prepared
        found = cache.get(text)
        if found is not None:
            cache.move_to_end(text)
            return found
        known = self._bindable.get(text)
        if known is False:
            return None
        if known is None:
            if text not in self._seen:
                if len(self._seen) > 20_000:
                    self._seen.clear()
                self._seen.add(text)
                return None
            guarded = conn.is_in_transaction()
            if guarded:
                await conn.execute("SAVEPOINT bot_prepare")
            try:
                statement = await conn.prepare(text)
            except asyncpg.PostgresError:
                if guarded:
                    await conn.execute("ROLLBACK TO SAVEPOINT bot_prepare")
                    await conn.execute("RELEASE SAVEPOINT bot_prepare")
                self._bindable[text] = False
                return None
            if guarded:
                await conn.execute("RELEASE SAVEPOINT bot_prepare")
        else:
            statement = await conn.prepare(text)
        types = tuple(parameter.name for parameter in statement.get_parameters())
        accepts = tuple(_accepting(name) for name in types)
        if any(accept is None for accept in accepts):
            self._bindable[text] = False
            return None
        self._bindable[text] = True
        found = _Prepared(statement, accepts, types)    # type: ignore[arg-type]
        cache[text] = found
        if len(cache) > STATEMENTS_PER_CONNECTION:
            cache.popitem(last=False)
        return found

    async def _run_statement(self, conn: asyncpg.Connection, sql: str,
                             params: Sequence[Any] | Mapping[str, Any]) -> Cursor:
        statement = dialect.translate(sql, self._identity)
        try:
            values = statement.values(params) if len(statement.pieces) > 1 else ()
            prepared = await self._prepared(conn, statement.bound)
            if prepared is not None and prepared.takes(values):
                rows = await prepared.statement.fetch(*values)
                status = "" if statement.returns_rows else prepared.statement.get_statusmsg()
            elif statement.returns_rows:
                rows = await conn.fetch(statement.sql(params))
            else:
                rows, status = [], await conn.execute(statement.sql(params))
        except asyncpg.PostgresError as error:
            raise _integrity(error) from error
        if not statement.returns_rows:
            return Cursor([], _status_count(status), None)
        if statement.added_returning:
            return Cursor([], len(rows), rows[0][0] if rows else None)
        return Cursor(rows, len(rows) if statement.is_insert or
                      not statement.bound.lstrip()[:6].upper().startswith("SELECT") else -1,
                      None)

    async def _run_many(self, conn: asyncpg.Connection, sql: str,
                        rows: Iterable[Sequence[Any]]) -> int:
        """One statement for every row, inside the caller's write transaction; returns how
        many rows it changed (sqlite3's ``executemany`` ``rowcount``). Rows in order: a run
        of rows whose values all bind goes in one trip, any other row by itself."""
        rows = list(rows)
        statement = dialect.translate(sql)           # no RETURNING id: no lastrowid here
        prepared = None
        # a one-row INSERT's types make the arrays; any other DML counts its RETURNING 1s
        text = statement.bound if statement.rows_insert else statement.counted
        if len(rows) > 1 and text:
            self._seen.add(text)                     # many rows: worth preparing at once
            try:
                prepared = await self._prepared(conn, text)
            except asyncpg.PostgresError as error:
                raise _integrity(error) from error
        count = 0
        run: list[Sequence[Any]] = []
        for row in rows:
            values = statement.values(row)
            if prepared is not None and prepared.takes(values):
                run.append(values)
                continue
            if run:
                count += await self._bound_rows(conn, statement, prepared, run)
                run = []
            count += max(0, (await self._run_statement(conn, sql, row)).rowcount)
        if run:
            count += await self._bound_rows(conn, statement, prepared, run)
        return count

    async def _bound_rows(self, conn: asyncpg.Connection, statement: dialect.Statement,
                          prepared: _Prepared, rows: list[Sequence[Any]]) -> int:
        try:
            if statement.rows_insert is not None:
                text = statement.rows_sql(prepared.types)
                count = 0
                for start in range(0, len(rows), ROWS_PER_INSERT):
                    columns = [list(column) for column in
                               zip(*rows[start:start + ROWS_PER_INSERT], strict=True)]
                    count += _status_count(await conn.execute(text, *columns))
                return count
            return len(await prepared.statement.fetchmany(rows))
        except asyncpg.PostgresError as error:
            raise _integrity(error) from error

    async def _begin_write(self, conn: asyncpg.Connection) -> None:
        """``BEGIN`` and the write lock in one trip (one simple query of two statements)."""
        await conn.execute(
            f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}, {self.lock_key})")

    @staticmethod
    async def _end_write(conn: asyncpg.Connection, commit: bool) -> None:
        """``COMMIT`` or ``ROLLBACK``; a connection that broke meanwhile is left as it is
        (the pool drops a closed connection, or one still inside a transaction)."""
        if conn.is_closed():
            return
        if commit:
            await conn.execute("COMMIT")
            return
        try:
            await conn.execute("ROLLBACK")
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            conn.terminate()        # the error that brought us here is the one raised

    async def _in_write(self, conn: asyncpg.Connection, body: Callable[[], Any]):
        """``body()`` (a coroutine function) in a transaction holding the write lock."""
        await self._begin_write(conn)
        try:
            result = await body()
        except BaseException:
            await self._end_write(conn, commit=False)
            raise
        await self._end_write(conn, commit=True)
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
            await self._begin_write(conn)
            token = _current.set((self, conn))
            try:
                try:
                    yield AsyncConnection(self, conn)
                except BaseException:
                    await self._end_write(conn, commit=False)
                    raise
                await self._end_write(conn, commit=True)
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
        current = _current.get()
        if current is not None and current[0] is self:
            await self._run_many(current[1], sql, rows)
            return
        async with self.pool.acquire() as conn:
            await self._in_write(conn, lambda: self._run_many(conn, sql, rows))

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
        return Cursor([], _await(self._db._run_many(self._conn, sql, rows)), None)

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
        await self._db._run_many(self._conn, sql, rows)
