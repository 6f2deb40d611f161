"""Faults with real processes: kill -9, a locked database, a flaky Bot API."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections import Counter
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.storage import Storage
from bot.storage.inbox import StoredUpdate
from tests import backends
from tests.conftest import ADMIN_ID, add_unit, answer
from tests.processes import BotProcess

SHANGHAI = ZoneInfo("Asia/Shanghai")


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

    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
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
    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
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
        await answer(user, press="男", count=2)
        await process.kill()
        await process.start()
        question = await answer(user, "科长")
        assert "办公电话" in question[-1].plain_text
    finally:
        await process.stop()


@pytest.mark.sqlite_only(reason="a lock on SQLite's file; PostgreSQL's locks are rows'")
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


async def test_a_429_on_getupdates_is_waited_out_with_timedelta_retry_after(
        bot, sandbox, admin, monkeypatch):
    """With PTB_TIMEDELTA=1, PTB 22 gives ``retry_after`` as a timedelta: the poller waits it
    out and polls on (it called float() on it and its loop died). Five 429s in a row get past
    the rate limiter's own three retries to the poller."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    await add_unit(admin, "甲单位")
    sandbox.fail_requests(5, status=429, methods=["getUpdates"], retry_after=1)
    for _ in range(200):
        if sandbox.stats["429"] == 5:
            break
        await asyncio.sleep(0.1)
    assert sandbox.stats["429"] == 5
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
    mixed = [StoredUpdate(last_id, admin.id, "{}"), StoredUpdate(last_id + 1, admin.id, "{}")]
    assert await bot.storage.inbox.store(mixed) == mixed[1:]     # a batch: only the new one


async def seed_open_week(database, liaisons: int, first_id: int, prompt_at: time) -> list[int]:
    """``liaisons`` units with an active liaison each, and a weekly deliverable whose period
    runs until 23:59 today (China time) with its prompt at ``prompt_at`` today: a prompt time
    already passed is sent by the bot on start-up (catch-up)."""
    storage = Storage(backends.target(database))
    await storage.open()
    ids = []
    try:
        async with storage.db.transaction():
            for n in range(liaisons):
                unit = await storage.units.create(f"单位{n:03d}", None, None)
                await storage.people.seen(first_id + n, first_id + n, f"联络员{n}", None, "zh")
                await storage.liaisons.register(unit.id, first_id + n, {
                    "name": f"联络员{n}", "gender": "male", "position": "科员",
                    "mobile": f"139{n:08d}"})
                ids.append(first_id + n)
        today = datetime.now(SHANGHAI).date()
        await storage.campaigns.create(
            today.year, "2026年安全生产月", "", today, today, "Asia/Shanghai",
            [{"key": "weekly", "kind": "weekly", "weekday": today.weekday(),
              "due_time": time(23, 59), "first_date": today, "last_date": today,
              "prompt_time": prompt_at, "reminder_minutes": []}], None)
    finally:
        await storage.close()
    return ids


async def test_kill_half_way_through_a_prompt_to_300_liaisons(sandbox, tmp_path):
    if datetime.now(SHANGHAI).time() > time(23, 50):
        pytest.skip("the prompt's period closes at 23:59 China time")
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    ids = await seed_open_week(data_dir / "bot.sqlite3", 300, 6000, time(0, 0))
    blocked = set(ids[:3])
    for user_id in ids:
        sandbox.user(user_id, "联络员")
    for user_id in blocked:
        sandbox.block_chat(user_id)
    sandbox.rate_limit_per_second = 30
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    await process.start()
    async with asyncio.timeout(60):         # a prompt that never starts fails, not hangs
        while len(sandbox.sent) < 100:
            await asyncio.sleep(0.01)
    await process.kill()                    # kill -9 with about a third sent
    sent_at_kill = len(sandbox.sent)
    assert sent_at_kill < 300
    await process.start()
    reachable = set(ids) - blocked
    try:
        for _ in range(1200):
            if reachable <= {sent.chat_id for sent in sandbox.sent}:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
    finally:
        await process.stop()
    per_chat = Counter(sent.chat_id for sent in sandbox.sent)
    assert set(per_chat) == reachable       # every reachable liaison has the prompt
    # Rows caught in 'sending' by the kill are sent again on restart (the Bot API has no
    # idempotency key): only those few, at most the sender's 8 sends in flight, may be twice.
    duplicates = sum(count - 1 for count in per_chat.values())
    assert duplicates <= 8
    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
    await storage.open()
    try:
        for user_id in blocked:
            assert not (await storage.people.get(user_id)).reachable
        states = Counter(row.state for row in await storage.outbox.rows(kind="prompt"))
        assert states == {"sent": 297, "unreachable": 3}
    finally:
        await storage.close()


async def test_kill_during_a_media_download_then_restart_completes_it(sandbox, tmp_path):
    if datetime.now(SHANGHAI).time() > time(23, 50):
        pytest.skip("the week's period closes at 23:59 China time")
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    await seed_open_week(data_dir / "bot.sqlite3", 1, 4100, time(23, 58))
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    await process.start()
    liaison = sandbox.user(4100, "李明")
    data = bytes(range(256)) * (5 * 1024 * 4)          # 5 MB
    await liaison.send_document(data, "活动方案.pdf", "application/pdf")
    await sandbox.wait_fetched(timeout=10)
    sandbox.latency = 5.0                               # getFile now hangs: the download waits
    await asyncio.sleep(1.5)
    await process.kill()
    sandbox.latency = 0.0

    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
    await storage.open()
    try:
        rows = await storage.db.fetchall("SELECT archived, media_sha256 FROM item")
    finally:
        await storage.close()
    assert [(row["archived"], row["media_sha256"]) for row in rows] == [("pending", None)]
    assert not [path for path in (data_dir / "media").rglob("*") if path.is_file()
                and path.parent.name != "tmp"]          # nothing under a final name

    await process.start()
    try:
        receipt = await liaison.wait_reply(timeout=30)
    finally:
        await process.stop()
    assert "已收到" in receipt[-1].plain_text
    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
    await storage.open()
    try:
        rows = await storage.db.fetchall("SELECT archived, media_sha256 FROM item")
    finally:
        await storage.close()
    assert len(rows) == 1                               # the replay did not record it twice
    sha = hashlib.sha256(data).hexdigest()
    assert (rows[0]["archived"], rows[0]["media_sha256"]) == ("yes", sha)
    assert (data_dir / "media" / sha[:2] / sha).read_bytes() == data


async def test_kill_half_way_through_the_statistics_form_resumes(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    await seed_open_week(data_dir / "bot.sqlite3", 1, 4200, time(23, 58))
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    await process.start()
    try:
        liaison = sandbox.user(4200, "李明")
        await liaison.command("stats")
        await liaison.wait_reply(count=2)
        await answer(liaison, "线上线下结合")
        await answer(liaison, "3")
        await process.kill()
        await process.start()
        # a kill -9 between the answer's reply and its state's write leaves the update
        # unhandled: it is handled again after the restart and its question comes twice
        # (the message in flight at the death); the form still goes on from where it was
        await liaison.wait_quiet(1.5, timeout=15)
        question = await answer(liaison, "2")
        question += await liaison.wait_quiet(1.0, timeout=15)
        assert "企业主要负责人宣讲" in question[-1].plain_text   # the form went on
    finally:
        await process.stop()
    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
    await storage.open()
    try:
        draft = await storage.conversations.user_data()
    finally:
        await storage.close()
    values = draft[4200]["stats"]["values"]
    assert sorted(values.values(), key=str) == sorted(["线上线下结合", 3, 2], key=str)
