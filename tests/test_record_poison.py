"""Issue 13 point 9, the poison half: an update whose handling killed the bot twice is set
aside, logged and its sender told, never replayed again; everyone else goes on (a real
process, killed with -9 while the update is handled, as an OOM kill or a watchdog would)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import time

from bot.storage import Storage
from tests import backends
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess
from tests.test_faults import seed_open_week
from tests.test_record_albums import LIAISON, open_week_or_skip

OTHER = LIAISON + 1


async def logged(process: BotProcess, text: str, count: int, timeout: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while process.log().count(text) < count:
        assert asyncio.get_running_loop().time() < deadline, process.log()[-3000:]
        await asyncio.sleep(0.05)


async def test_an_update_that_kills_the_bot_twice_is_set_aside_and_its_sender_told(
        sandbox, tmp_path):
    open_week_or_skip()
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    await seed_open_week(data_dir / "bot.sqlite3", 2, LIAISON, time(23, 58))
    liaison, other = sandbox.user(LIAISON, "李明"), sandbox.user(OTHER, "王芳")
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    await process.start()
    # the workbook is fetched to look for the statistics marker: that fetch hangs, twice
    sandbox.timeout_hang = 60.0
    sandbox.fail_requests(2, status="timeout", methods=["getFile"])
    await liaison.send_document(b"PK\x03\x04 not really", "统计表.xlsx")
    await sandbox.wait_fetched(timeout=10)
    await asyncio.sleep(1.0)                    # its handling is under way, and hangs
    await process.kill()                        # the first crash

    starting = asyncio.create_task(process.start())
    await logged(process, "replaying update", 1)
    await asyncio.sleep(1.0)                    # the replay, alone, hangs again
    await process.kill()                        # the second crash
    with contextlib.suppress(AssertionError):   # it never got to poll
        await starting

    await process.start()
    try:
        told = await liaison.wait_reply(timeout=20)
        await other.send("本周材料：安全培训一次")     # the bot works for everyone else
        receipt = await other.wait_reply(timeout=20)
    finally:
        await process.stop()
    assert len(told) == 1 and "已被搁置" in told[0].text
    assert "已收到" in receipt[-1].text
    assert "set aside: its handling was cut short by a crash 2 times" in process.log()
    assert process.log().count("replaying update") == 1          # never replayed again
    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
    await storage.open()
    try:
        assert len(await storage.inbox.set_aside_ids()) == 1
        assert await storage.inbox.unhandled() == []
    finally:
        await storage.close()
