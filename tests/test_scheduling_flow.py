"""Prompts, reminders and digests end to end: the real bot, the real JobQueue, a set clock."""

from __future__ import annotations

import asyncio

from bot.outbox import jobs
from tests.conftest import ADMIN_ID, BotUnderTest, add_unit, register_liaison
from tests.schedule_support import SetClock, deliver, local, seed, wait_for

PROMPT_BUTTONS = ["submit:start:weekly:2026-06-04", "submit:nil:weekly:2026-06-04"]


def texts_to(sandbox, chat_id: int) -> list[str]:
    return [sent.plain_text or sent.text or "" for sent in sandbox.messages_to(chat_id)]


def scheduled(sandbox, chat_id: int, key: str = "weekly") -> list:
    """Prompts and reminders of one deliverable (they carry its start button). A first start
    also announces the campaign and prompts for the month's case; left aside here."""
    return [sent for sent in sandbox.messages_to(chat_id)
            if any(button.get("callback_data", "").startswith(f"submit:start:{key}:")
                   for row in sent.inline_keyboard() for button in row)]


async def start_bot(sandbox, tmp_path, clock) -> BotUnderTest:
    bot = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock)
    await bot.start()
    return bot


async def test_prompt_to_every_liaison_reminders_only_to_the_missing_digest_names_them(
        sandbox, tmp_path, admin):
    liaisons = await seed(tmp_path / "data", liaisons=3, units_without_liaison=1)
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    clock = SetClock(local(2026, 6, 4, 7, 59, 57))
    bot = await start_bot(sandbox, tmp_path, clock)
    try:
        # the job set for 08:00 fires on the real scheduler: one prompt each, with buttons
        await wait_for(lambda: all(scheduled(sandbox, liaison.person_id)
                                   for liaison in liaisons))
        for liaison in liaisons:
            (prompt,) = scheduled(sandbox, liaison.person_id)
            assert "每周活动材料" in prompt.plain_text
            assert "6月4日（周四）10:00" in prompt.plain_text
            assert [button["callback_data"] for row in prompt.inline_keyboard()
                    for button in row] == PROMPT_BUTTONS
        delivered, *missing = liaisons
        await deliver(bot.storage, delivered.unit_id, "weekly", "2026-06-04",
                      local(2026, 6, 4, 8, 30))

        # 09:00, the 60-minute reminder: only the units that have not delivered
        clock.set(local(2026, 6, 4, 8, 59, 58))
        await jobs.rebuild(bot.app)
        await wait_for(lambda: all(len(scheduled(sandbox, liaison.person_id)) == 2
                                   for liaison in missing))
        for liaison in missing:
            assert "尚未报送" in scheduled(sandbox, liaison.person_id)[-1].plain_text
        assert len(scheduled(sandbox, delivered.person_id)) == 1

        # 10:00, the deadline: the coordinator's digest names the missing with their mobiles
        clock.set(local(2026, 6, 4, 9, 59, 58))
        await jobs.rebuild(bot.app)
        def weekly_digests() -> list[str]:   # (the start-up caught up on June 2's digests too)
            return [text for text in texts_to(sandbox, ADMIN_ID)
                    if text.startswith("📋 每周活动材料")]

        await wait_for(weekly_digests)
        (digest,) = weekly_digests()
        assert "按时：1 个单位" in digest and "未交：3 个单位" in digest
        for liaison in missing:
            assert f"{liaison.unit_name} — {liaison.name}，{liaison.mobile}" in digest
        assert delivered.mobile not in digest
        assert "空缺单位1 — 尚无联络员" in digest
        await bot.app.bot_data.sender.settled()
        assert len(scheduled(sandbox, delivered.person_id)) == 1
        assert all(len(scheduled(sandbox, liaison.person_id)) == 2 for liaison in missing)
    finally:
        await bot.stop()


async def test_a_restart_after_the_prompt_went_out_sends_nothing_again(sandbox, tmp_path):
    liaisons = await seed(tmp_path / "data", liaisons=3)
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    clock = SetClock(local(2026, 6, 4, 8, 0, 5))
    bot = await start_bot(sandbox, tmp_path, clock)
    try:
        await bot.app.bot_data.sender.settled()
        before = {liaison.person_id: len(sandbox.messages_to(liaison.person_id))
                  for liaison in liaisons}
        assert all(len(scheduled(sandbox, liaison.person_id)) == 1 for liaison in liaisons)
        clock.set(local(2026, 6, 4, 8, 30))
        await bot.restart()
        await jobs.tick(bot.app)
        await bot.app.bot_data.sender.settled()
        await asyncio.sleep(0.3)
        assert {liaison.person_id: len(sandbox.messages_to(liaison.person_id))
                for liaison in liaisons} == before
        rows = await bot.storage.outbox.rows(period="2026-06-04", kind="prompt")
        assert sorted(row.person_id for row in rows) == [one.person_id for one in liaisons]
        assert {row.state for row in rows} == {"sent"}
    finally:
        await bot.stop()


async def test_down_at_eight_and_started_at_nine_sends_the_prompt_once(sandbox, tmp_path):
    liaisons = await seed(tmp_path / "data", liaisons=2)
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    # the bot last ran on Wednesday evening, then was down over 08:00
    clock = SetClock(local(2026, 6, 3, 20, 0))
    bot = await start_bot(sandbox, tmp_path, clock)
    await bot.app.bot_data.sender.settled()
    await bot.stop()
    assert all(scheduled(sandbox, liaison.person_id) == [] for liaison in liaisons)

    clock.set(local(2026, 6, 4, 9, 0))
    await bot.start()
    try:
        await bot.app.bot_data.sender.settled()
        for liaison in liaisons:
            (prompt,) = scheduled(sandbox, liaison.person_id)
            assert "请于 6月4日（周四）10:00 前报送" in prompt.plain_text   # not a reminder
        clock.set(local(2026, 6, 4, 9, 10))
        await bot.restart()
        await jobs.tick(bot.app)
        await bot.app.bot_data.sender.settled()
        assert all(len(scheduled(sandbox, liaison.person_id)) == 1 for liaison in liaisons)
    finally:
        await bot.stop()


async def test_one_time_deliverables_are_announced_at_start_and_to_a_liaison_registering_later(
        sandbox, tmp_path, admin):
    (first,) = await seed(tmp_path / "data", liaisons=1)
    sandbox.user(first.person_id, first.name)
    clock = SetClock(local(2026, 6, 1, 8, 59, 58))
    bot = await start_bot(sandbox, tmp_path, clock)
    try:
        await wait_for(lambda: any("已开始" in text
                                   for text in texts_to(sandbox, first.person_id)))
        (announcement,) = [text for text in texts_to(sandbox, first.person_id)
                           if "已开始" in text]
        assert "活动方案 — 6月2日（周二）18:00" in announcement
        assert "活动总结 — 7月2日（周四）18:00" in announcement
        assert "联络员推荐表" not in announcement      # registering delivered it

        code = await add_unit(admin, "宽城区应急局")
        newcomer = sandbox.user(2101, "周敏")
        await register_liaison(newcomer, code, name="周敏", mobile="13700001111")
        await jobs.tick(bot.app)          # what the JobQueue's periodic tick does
        await bot.app.bot_data.sender.settled()
        assert sum("已开始" in text for text in texts_to(sandbox, 2101)) == 1
        assert sum("已开始" in text for text in texts_to(sandbox, first.person_id)) == 1
    finally:
        await bot.stop()
