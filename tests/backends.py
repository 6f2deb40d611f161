"""Both storage backends for the tests: SQLite (a file, always) and PostgreSQL (a fresh schema
per test in the server's ``test`` database, dropped afterwards).

Every test runs on both (tests/conftest.py ``backends_of``) unless marked ``no_database``,
``sqlite_only(reason)`` or ``postgres_only(reason)``; the autouse ``database_url`` fixture
makes the schema, and ``BotUnderTest``, ``BotProcess`` and the seeds use it (``current``).
Without a PostgreSQL server its PostgreSQL run is skipped with the reason; with
``BOT_TEST_POSTGRES=required`` (CI) it fails instead. ``BOT_TEST_POSTGRES_URL`` names the
server's database (default ``postgresql://127.0.0.1/test``); ``BOT_TEST_POSTGRES=off``
skips the PostgreSQL runs on purpose.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

BACKENDS = ("sqlite", "postgres")


def base_url() -> str:
    return os.environ.get("BOT_TEST_POSTGRES_URL", "").strip() or "postgresql://127.0.0.1/test"


def mode() -> str:
    return os.environ.get("BOT_TEST_POSTGRES", "").strip().lower() or "auto"


def schema_url(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}search_path={schema}"


async def fresh_schema() -> tuple[str, str]:
    """(schema, URL of a connection that uses it); skips or fails without a server."""
    import asyncpg

    if mode() == "off":
        pytest.skip("PostgreSQL runs switched off (BOT_TEST_POSTGRES=off)")
    try:
        conn = await asyncpg.connect(base_url(), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        reason = f"no PostgreSQL at {base_url()} ({type(error).__name__}: {error})"
        if mode() == "required":
            pytest.fail(f"{reason}; BOT_TEST_POSTGRES=required")
        pytest.skip(f"{reason}: set BOT_TEST_POSTGRES_URL, or see README (tests)")
    try:
        schema = "t_" + secrets.token_hex(6)
        await conn.execute(f"CREATE SCHEMA {schema}")
    finally:
        await conn.close()
    return schema, schema_url(base_url(), schema)


async def drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base_url(), timeout=5)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


_current: str | None = None


def current() -> str | None:
    """The running test's PostgreSQL URL (None: SQLite): what ``BotUnderTest``,
    ``BotProcess`` and ``schedule_support.seed`` use unless told otherwise."""
    return _current


def target(path):
    """What a test's own ``Storage`` opens: the running test's PostgreSQL schema, else the
    SQLite file at ``path``."""
    return _current or path


@asynccontextmanager
async def own_database() -> AsyncIterator[str | None]:
    """A database of its own for each bot a test starts one after another (hypothesis'
    examples): on PostgreSQL a fresh schema, dropped after; on SQLite None (the bot's new
    folder holds a new file)."""
    if _current is None:
        yield None
        return
    schema, url = await fresh_schema()
    try:
        yield url
    finally:
        await drop_schema(schema)


def database_for(backend: str) -> Iterator[str | None]:
    """A sync generator (fixtures of sync and async tests alike): the schema is made and
    dropped on a loop of its own, outside the test's."""
    global _current
    if backend == "sqlite":
        yield None
        return
    schema, url = asyncio.run(fresh_schema())
    _current = url
    try:
        yield url
    finally:
        _current = None
        asyncio.run(drop_schema(schema))
