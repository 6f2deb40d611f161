"""Faults with real processes: kill -9, a locked database, a flaky Bot API."""

from __future__ import annotations

import asyncio
import sqlite3

from bot.storage import Storage
from bot.storage.inbox import StoredUpdate
from tests.conftest import ADMIN_ID, add_unit, answer
from tests.processes import BotProcess


async def test_kill_after_fetching_before_handling_loses_no_update(sandbox, tmp_path):
    admins = [ADMIN_ID + n for n in range(5)]
    data_dir = tmp_path / "data"
    process = BotProcess(sandbox, data_dir, admins)
    await process.start()
    users = [sandbox.user(admin_id, f"协调员{n}") for n, admin_id in enumerate(admins)]
    sandbox.latency = 3.0        # every reply now hangs: handling cannot finish
    for n, user in enumerate(users):
        await user.command("addunit", f"单位{n}")
    await sandbox.wait_fetched(timeout=10)
    await asyncio.sleep(0.5)     # the batch is stored and handling is under way
    await process.kill()
    sandbox.latency = 0.0

    storage = Storage(data_dir / "bot.sqlite3")
    await storage.open()
    unhandled = await storage.inbox.unhandled()
    await storage.close()
    # stored before the offset was confirmed, and not handled when the process died
    assert unhandled and {u.chat_id for u in unhandled} <= set(admins)

    await process.start()
    try:
        for user in users:
            await user.wait_reply(timeout=20)
    finally:
        await process.stop()
    storage = Storage(data_dir / "bot.sqlite3")
    await storage.open()
    try:
        for n in range(5):
            assert await storage.units.by_name(f"单位{n}") is not None
        assert await storage.units.count(None) == 5
        assert await storage.inbox.unhandled() == []
    finally:
        await storage.close()


async def test_kill_half_way_through_registration_resumes(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    await process.start()
    try:
        admin = sandbox.user(ADMIN_ID, "王主任")
        code = await add_unit(admin, "长春市")
        user = sandbox.user(4001, "李明")
        await user.command("start", code)
        await user.wait_reply(count=2)
        await answer(user, "李明")
        await answer(user, press="男")
        await process.kill()
        await process.start()
        question = await answer(user, "科长")
        assert "办公电话" in question[-1].plain_text
    finally:
        await process.stop()


async def test_a_locked_database_makes_writes_wait_not_fail(bot, sandbox, admin):
    await add_unit(admin, "甲单位")
    locker = sqlite3.connect(bot.settings.database_path, timeout=1)
    locker.execute("BEGIN EXCLUSIVE")
    await admin.command("addunit", "乙单位")
    await asyncio.sleep(2.0)
    locker.rollback()
    locker.close()
    reply = await admin.wait_reply(timeout=20)
    assert "已新增单位“乙单位”" in reply[-1].plain_text
    assert await bot.storage.units.by_name("乙单位") is not None


async def test_500s_and_timeouts_are_retried_without_a_restart(bot, sandbox, admin):
    await add_unit(admin, "甲单位")
    sandbox.timeout_hang = 2
    sandbox.fail_requests(3, status=500, methods=["getUpdates"])
    sandbox.fail_requests(1, status="timeout", methods=["getUpdates"])
    await asyncio.sleep(0.2)
    await admin.command("units")
    reply = await admin.wait_reply(timeout=30)
    assert "甲单位" in reply[-1].plain_text


async def test_a_repeated_update_id_is_not_handled_again(bot, sandbox, admin):
    await admin.command("addunit", "丙单位")
    await admin.wait_reply()
    assert await bot.storage.inbox.unhandled() == []
    last_id = await bot.storage.inbox.next_offset() - 1
    again = await bot.storage.inbox.store([StoredUpdate(last_id, admin.id, "{}")])
    assert again == []          # already seen: the poller does not dispatch it again
