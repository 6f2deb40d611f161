"""Shared fixtures: the sandbox (fake Bot API on loopback) and the real bot driven through it."""

from __future__ import annotations

import asyncio
import io
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import Settings
from bot.kernel.clock import Clock, system_clock
from bot.kernel.schedule import default_rules
from bot.runtime import running
from bot.sandbox import FakeTelegram, SimUser
from bot.sandbox.conformance import take_violations
from bot.storage import Storage
from tests import backends
from tests.backends import BACKENDS, database_for

ADMIN_ID = 1001
STOP_SECONDS = 90     # a bot or sandbox that takes longer to stop is a hang (below)


async def stopped_within(stopping: Awaitable[None], what: str,
                         seconds: float = STOP_SECONDS) -> None:
    """Await a teardown; one that hangs fails the test naming every task's stack, instead
    of holding the whole run until CI's limit."""
    task = asyncio.ensure_future(stopping)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if done:
        return task.result()
    stacks = io.StringIO()
    for other in asyncio.all_tasks():
        if other is not asyncio.current_task():
            other.print_stack(limit=12, file=stacks)
    print(f"{what} did not stop within {seconds:.0f} s; the tasks:\n{stacks.getvalue()}",
          file=sys.stderr)
    task.cancel()
    raise TimeoutError(f"{what} did not stop within {seconds:.0f} s (tasks on stderr)")


# --- the conformance check (issue 14): every Bot API call of every test is checked against
# bot/sandbox/conformance.py; a test that leaves a violation fails (in its call phase, so an
# xfail mark covers it). Tests that make bad calls on purpose are marked sandbox_refusals.

def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sandbox_refusals: the test makes calls Telegram refuses, on purpose")
    config.addinivalue_line("markers", "no_database: the test opens no database, so it runs "
                            "once (every other test runs on SQLite and on PostgreSQL)")
    config.addinivalue_line("markers", "sqlite_only(reason): the test is about SQLite's file "
                            "itself; the reason says why it has no PostgreSQL run")
    config.addinivalue_line("markers", "postgres_only(reason): the test is about PostgreSQL "
                            "alone (several processes, its statements)")


def _fail_on_violations(item: pytest.Item, phase: str) -> None:
    violations = take_violations()
    if violations and item.get_closest_marker("sandbox_refusals") is None:
        lines = "\n".join(f"  {problem}" for _, problem in violations[:20])
        more = f"\n  ... and {len(violations) - 20} more" if len(violations) > 20 else ""
        pytest.fail(f"Bot API calls that break the conformance table ({phase}), "
                    f"see bot/sandbox/conformance.py:\n{lines}{more}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    take_violations()            # whatever an earlier test left after its own check
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    result = yield
    _fail_on_violations(item, "setup and test")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    result = yield
    if item.get_closest_marker("xfail") is None:
        _fail_on_violations(item, "teardown")
    return result
LINK = re.compile(r"start=([A-Za-z0-9_-]+)")


class BotUnderTest:
    """The real application, started and stopped (restarted) against the sandbox."""

    def __init__(self, sandbox: FakeTelegram, data_dir: Path, admin_ids: frozenset[int],
                 clock: Clock = system_clock, database_url: str | None = None) -> None:
        self.sandbox = sandbox
        database_url = database_url or backends.current()
        self.settings = Settings(
            token=sandbox.token, data_dir=data_dir, admin_ids=admin_ids,
            api_base_url=sandbox.api_base_url, file_base_url=sandbox.file_base_url,
            database_url=database_url,
        )
        self.clock = clock
        self.app = None
        self._running = None

    async def start(self) -> None:
        self.app = build_app(self.settings, clock=self.clock)
        self._running = running(self.app)
        await self._running.__aenter__()

    async def stop(self) -> None:
        if self._running is not None:
            running_app, self._running = self._running, None
            await stopped_within(running_app.__aexit__(None, None, None), "the bot")

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def storage(self):
        return self.app.bot_data.storage


def backends_of(node: pytest.Item) -> tuple[str, ...]:
    """The backends a test runs on: both, unless it is marked ``no_database`` (none: it
    runs once, on nothing) or ``sqlite_only``/``postgres_only`` with the reason why."""
    if node.get_closest_marker("no_database"):
        return ()
    for name, only in (("sqlite_only", "sqlite"), ("postgres_only", "postgres")):
        marker = node.get_closest_marker(name)
        if marker is not None:
            if not (marker.args or marker.kwargs.get("reason")):
                raise pytest.UsageError(f"{node.nodeid}: {name} needs the reason why")
            return (only,)
    return BACKENDS


def pytest_generate_tests(metafunc) -> None:
    """Every test runs once per backend (ids ``[sqlite]``, ``[postgres]``): the whole suite
    passes on both (issue 18)."""
    backends = backends_of(metafunc.definition)
    if backends and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The test's backend, its parameter; a ``no_database`` test gets SQLite's
    name (it opens nothing; should it, that is a file in its temporary folder)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(autouse=True)
def database_url(backend: str) -> Iterator[str | None]:
    """None (SQLite in the data folder) or a fresh PostgreSQL schema's URL, which
    ``BotUnderTest``, ``BotProcess`` and ``seed`` then use (``tests.backends.current``)."""
    yield from database_for(backend)


@pytest.fixture
async def storage(tmp_path: Path, database_url: str | None) -> AsyncIterator[Storage]:
    """The repositories opened on the test's backend (a SQLite file of its own, or its
    PostgreSQL schema), closed after the test."""
    opened = Storage(backends.target(tmp_path / "db.sqlite3"))   # database_url's schema
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def sandbox() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await stopped_within(server.stop(), "the sandbox")


@pytest.fixture
def clock() -> Clock:
    """The ``bot`` fixture's clock: the system's, unless the module gives one of its own (a
    test clock the sandbox's message dates follow: tests.test_submissions_flow's
    ``sandbox_clock``)."""
    return system_clock


@pytest.fixture
async def bot(sandbox: FakeTelegram, tmp_path: Path, database_url: str | None,
              clock: Clock) -> AsyncIterator[BotUnderTest]:
    under_test = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock,
                              database_url=database_url)
    await under_test.start()
    yield under_test
    await under_test.stop()


@pytest.fixture
def admin(sandbox: FakeTelegram) -> SimUser:
    return sandbox.user(ADMIN_ID, "王主任", language_code="zh-hans")


async def add_unit(coordinator: SimUser, name: str) -> str:
    """Create a unit through /addunit; returns its invite code as read from the reply."""
    await coordinator.command("addunit", name)
    reply = await coordinator.wait_reply()
    match = LINK.search(reply[-1].text)
    assert match, reply[-1].text
    return match.group(1)


async def answer(user: SimUser, text: str | None = None, press: str | None = None,
                 count: int = 1) -> list:
    """Type ``text`` or press ``press``; wait for ``count`` messages (sent or edited)."""
    if press is not None:
        await user.press(press)
    else:
        await user.send(text)
    return await user.wait_reply(count=count)


async def begin_registration(user: SimUser, code: str, name: str = "李明",
                             gender: str = "男") -> None:
    """``/start`` with the unit's invite code, the name typed and the gender pressed: the
    form asks for the position next. (Every form button edits its question — the buttons
    go — and the next question follows: two messages a press.)"""
    await user.command("start", code)
    await user.wait_reply(count=2)
    await answer(user, name)
    await answer(user, press=gender, count=2)


async def skip_optional_contacts(user: SimUser) -> list:
    """Skip fax, QQ, WeChat, e-mail and address; the last press's messages (the summary
    with its buttons last)."""
    for _ in range(5):
        shown = await answer(user, press="跳过", count=2)
    return shown


async def register_liaison(user: SimUser, code: str, name: str = "李明",
                           mobile: str = "13912345678") -> list:
    """Fill the form with the required fields only, skipping every optional one."""
    await begin_registration(user, code, name)
    await answer(user, "科长")
    await answer(user, press="跳过", count=2)      # office phone
    await user.send(mobile)
    await user.wait_reply(count=2)                 # noted, and the next question
    await skip_optional_contacts(user)
    return await answer(user, press="✅ 确认提交", count=2)


async def create_campaign(bot) -> None:
    """The 2026 campaign (June, Asia/Shanghai, the default calendar)."""
    await bot.storage.campaigns.create(
        2026, "2026年安全生产月", "人人讲安全、个个会应急", date(2026, 6, 1), date(2026, 6, 30),
        "Asia/Shanghai", default_rules(2026), created_by=ADMIN_ID)


async def new_liaison(sandbox: FakeTelegram, admin: SimUser, user_id: int = 2001,
                      unit: str = "长春市工信局") -> SimUser:
    """A unit added by ``admin`` and its liaison registered through the invite link."""
    code = await add_unit(admin, unit)
    user = sandbox.user(user_id, "李明")
    await register_liaison(user, code)
    return user


@pytest.fixture
async def liaison(bot, sandbox: FakeTelegram, admin: SimUser) -> SimUser:
    """A registered liaison of the 2026 campaign (the bot on the module's clock)."""
    await create_campaign(bot)
    return await new_liaison(sandbox, admin)


@dataclass
class World:
    """The bot with a seeded campaign (tests/desk_seed.py) and its settable clock."""
    bot: BotUnderTest
    clock: object
    seeded: object


@pytest.fixture
async def desk(sandbox: FakeTelegram, tmp_path: Path,
               database_url: str | None) -> AsyncIterator[World]:
    from tests.desk_seed import TZ, Clock, seed

    clock = Clock(datetime(2026, 5, 20, 9, 0, tzinfo=TZ))
    under_test = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock,
                              database_url=database_url)
    await under_test.start()
    seeded = await seed(under_test, clock, sandbox)
    yield World(under_test, clock, seeded)
    await under_test.stop()
