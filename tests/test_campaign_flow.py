"""/campaign, /deadline, /mystatus and /broadcast end to end through the sandbox."""

from __future__ import annotations

from datetime import date, time

from bot.outbox import jobs
from tests.conftest import ADMIN_ID, BotUnderTest, answer
from tests.schedule_support import SetClock, deliver, local, seed


async def start_bot(sandbox, tmp_path, clock) -> BotUnderTest:
    bot = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock)
    await bot.start()
    return bot


async def pressed(user, label: str):
    """Press a button that closes its keyboard (an edit) and answers with a new message."""
    await user.press(label)
    return (await user.wait_reply(count=2))[-1]


def job_names(bot: BotUnderTest) -> set[str]:
    return {job.name for job in bot.app.job_queue.jobs()}


async def test_campaign_setup_shows_the_holiday_shift_and_takes_a_changed_due_time(
        sandbox, tmp_path, admin):
    bot = await start_bot(sandbox, tmp_path, SetClock(local(2023, 5, 20, 10)))
    try:
        await admin.command("campaign")
        (ask,) = await admin.wait_reply()
        assert "2023 年" in ask.plain_text and ask.button_texts() == ["2023年安全生产月"]
        await admin.press("2023年安全生产月")
        await admin.wait_reply(count=3)   # the closed keyboard, the name, the next question
        (calendar,) = await answer(admin, "人人讲安全、个个会应急")
        text = calendar.plain_text
        assert "每周活动材料：6月1日 至 6月30日，每周四 10:00 前" in text
        assert "6月22日 是法定节假日，顺延至 6月25日（周日）10:00" in text   # Dragon Boat
        assert "活动方案：6月2日（周五）18:00" in text
        pick = await pressed(admin, "✏️ 修改截止时间")
        assert "活动方案" in pick.button_texts()
        ask_due = await pressed(admin, "活动方案")
        assert "06-02 18:00" in ask_due.plain_text
        (refused,) = await answer(admin, "next friday")
        assert "格式不对" in refused.plain_text
        (calendar,) = await answer(admin, "6月5日 17:30")
        assert "活动方案：6月5日（周一）17:30" in calendar.plain_text
        created = await pressed(admin, "✅ 使用此日程")
        assert "已创建“2023年安全生产月”" in created.plain_text

        stored = await bot.storage.campaigns.calendar()
        assert (stored.campaign.year, stored.campaign.theme) == (2023, "人人讲安全、个个会应急")
        plan = stored.rule("plan")
        assert (plan.due_date, plan.due_time) == (date(2023, 6, 5), time(17, 30))
        # in force at once: the schedule's jobs were rebuilt from the stored calendar
        assert "schedule due 2023-06-05T15:30:00+08:00" in job_names(bot)   # 2 h before
        assert "schedule due 2023-06-25T08:00:00+08:00" in job_names(bot)   # moved prompt

        await admin.command("campaign")
        (again,) = await admin.wait_reply()
        assert "已经设置" in again.plain_text
    finally:
        await bot.stop()


async def test_deadline_moves_a_single_date_and_the_prompt_follows_at_once(
        sandbox, tmp_path, admin):
    liaisons = await seed(tmp_path / "data", liaisons=2, only=("weekly", "summary"))
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    clock = SetClock(local(2026, 6, 9, 12))
    bot = await start_bot(sandbox, tmp_path, clock)
    try:
        await admin.command("deadline")
        (pick,) = await admin.wait_reply()
        assert pick.button_texts() == ["每周活动材料", "活动总结"]
        rule = await pressed(admin, "每周活动材料")
        assert "6月11日（周四）10:00" in rule.plain_text
        await pressed(admin, "📅 单独调整某一期")
        ask = await pressed(admin, "6月11日（周四）10:00")
        assert "原定 6月11日" in ask.plain_text
        (refused,) = await answer(admin, "2030-06-10 16:00")
        assert refused.plain_text == "日期应在 2026 年内。"
        (changed,) = await answer(admin, "06-10 16:00")
        assert "6月10日（周三）16:00（已调整，原定 6月11日）" in changed.plain_text
        assert "schedule due 2026-06-10T08:00:00+08:00" in job_names(bot)
        assert "schedule due 2026-06-11T08:00:00+08:00" not in job_names(bot)

        clock.set(local(2026, 6, 10, 8, 0))
        await jobs.tick(bot.app)
        await bot.app.bot_data.sender.settled()
        for liaison in liaisons:
            (prompt,) = [sent for sent in sandbox.messages_to(liaison.person_id)
                         if sent.find_button("📤 开始报送")]
            assert "请于 6月10日（周三）16:00（已调整，原定 6月11日） 前报送" in prompt.plain_text
            assert prompt.find_button("📤 开始报送")["callback_data"] == \
                "submit:start:weekly:2026-06-11"

        # a one-time deliverable's due time
        await admin.command("deadline")
        await admin.wait_reply()
        await pressed(admin, "活动总结")
        await pressed(admin, "✏️ 修改截止时间")
        (changed,) = await answer(admin, "2026-07-03 12:00")
        assert "7月3日（周五）12:00" in changed.plain_text
        summary = (await bot.storage.campaigns.calendar()).rule("summary")
        assert (summary.due_date, summary.due_time) == (date(2026, 7, 3), time(12, 0))
    finally:
        await bot.stop()


async def test_a_liaison_cannot_use_broadcast_campaign_or_deadline(sandbox, tmp_path, admin):
    (liaison,) = await seed(tmp_path / "data", liaisons=1)
    user = sandbox.user(liaison.person_id, liaison.name)
    bot = await start_bot(sandbox, tmp_path, SetClock(local(2026, 5, 25, 10)))
    try:
        for command, args in (("broadcast", "大家好"), ("campaign", ""), ("deadline", "")):
            await user.command(command, args)
            (refused,) = await user.wait_reply()
            assert refused.plain_text == "此功能仅限协调员使用。", command
        assert await bot.storage.broadcasts.get(1) is None
        # forged presses are refused as well
        await admin.command("broadcast", "明天上午九点开会")
        await admin.wait_reply()
        await user.press_data("broadcast:send:1")
        await user.wait_quiet()
        assert (await bot.storage.broadcasts.get(1)).confirmed_at is None
        await admin.command("mystatus")
        (not_liaison,) = await admin.wait_reply()
        assert "仅限已登记的联络员" in not_liaison.plain_text
    finally:
        await bot.stop()


async def test_mystatus_lists_every_deliverable_with_its_due_time_and_state(
        sandbox, tmp_path):
    (liaison,) = await seed(tmp_path / "data", liaisons=1)
    user = sandbox.user(liaison.person_id, liaison.name)
    clock = SetClock(local(2026, 6, 12, 12))
    bot = await start_bot(sandbox, tmp_path, clock)
    try:
        storage = bot.storage
        await deliver(storage, liaison.unit_id, "registration", "once", local(2026, 6, 1, 9))
        await deliver(storage, liaison.unit_id, "plan", "once", local(2026, 6, 2, 19), 3600)
        await deliver(storage, liaison.unit_id, "weekly", "2026-06-04", local(2026, 6, 4, 9))
        # what the start-up catch-up sends this liaison (the overdue notice of 6/11) is out
        # before the question, so the one reply is /mystatus's
        await bot.app.bot_data.sender.settled()
        await user.wait_quiet(quiet=1.0)
        user.mark()
        await user.command("mystatus")
        (status,) = await user.wait_reply()
        lines = status.plain_text.splitlines()
        assert lines[0] == f"{liaison.unit_name} — 2026年安全生产月 报送情况："
        assert "✅ 联络员推荐表：6月2日（周二）18:00 — 按时" in lines
        assert "🕓 活动方案：6月2日（周二）18:00 — 迟交 1 小时" in lines
        assert "✅ 每周活动材料：6月4日（周四）10:00 — 按时" in lines
        assert "❌ 每周活动材料：6月11日（周四）10:00 — 未交" in lines
        assert "⏳ 每周活动材料：6月18日（周四）10:00 — 未到期" in lines
        assert "⏳ 月度典型案例曝光（2026年6月）：6月30日（周二）18:00 — 未到期" in lines
        assert "⏳ 活动总结：7月2日（周四）18:00 — 未到期" in lines
        # the plan late (−1), the week of 6/11 missing (−1): the default scoring rules
        assert lines[-1].startswith("🏅 本单位积分 -2 分（采用 0 篇），在全部 ")
        assert len(lines) == 1 + 2 + 4 + 7 + 2 + 1
    finally:
        await bot.stop()


async def test_broadcast_after_confirm_reaches_every_liaison_once_and_reports_counts(
        sandbox, tmp_path, admin):
    liaisons = await seed(tmp_path / "data", liaisons=3)
    users = [sandbox.user(liaison.person_id, liaison.name) for liaison in liaisons]
    sandbox.block_chat(liaisons[2].person_id)
    bot = await start_bot(sandbox, tmp_path, SetClock(local(2026, 5, 25, 10)))
    try:
        (usage,) = await answer(admin, "/broadcast")
        assert "用法" in usage.plain_text
        await admin.send("/broadcast 明天上午9点召开视频会议\n请准时参加 <全体>")
        (preview,) = await admin.wait_reply()
        assert "将发送给 3 位联络员" in preview.plain_text
        assert users[0].messages == []                    # nothing before the confirmation
        await admin.press("✅ 确认发送")
        replies = await admin.wait_reply(count=2, timeout=20)
        assert "正在发送给 3 位联络员" in replies[0].plain_text
        assert "已送达 2 位，无法送达（已屏蔽机器人）1 位，失败 0 位" in replies[-1].plain_text
        for user in users[:2]:
            (message,) = user.messages
            assert message.plain_text == "📢 通知\n明天上午9点召开视频会议\n请准时参加 <全体>"
        assert users[2].messages == []
        assert not (await bot.storage.people.get(liaisons[2].person_id)).reachable
        # a second press of the same confirmation sends nothing more
        await admin.press_data("broadcast:send:1", message=preview)
        await admin.wait_quiet()
        await bot.app.bot_data.sender.settled()
        assert [len(user.messages) for user in users] == [1, 1, 0]
    finally:
        await bot.stop()
