"""Returns for revision end to end through the sandbox: the coordinator returns a week's
submission with a reason from /review; the liaison gets it with 📤 重新报送; the desk shows
退回待改; a resubmission within the grace counts on time with both versions kept; one after
the grace counts late from the return; one that never comes gets the reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.kernel.schedule import deadlines
from bot.outbox import jobs
from tests.conftest import ADMIN_ID, create_campaign, new_liaison
from tests.test_submissions_flow import TZ, Clock, jpeg, rule_id, sandbox_clock

WEEK = "2026-06-04"


@pytest.fixture
def clock(sandbox) -> Clock:
    return sandbox_clock(sandbox, datetime(2026, 6, 4, 9, 0, tzinfo=TZ))


async def deliver_week(liaison, seed: int) -> None:
    await liaison.send_photo(jpeg(seed), caption=f"第{seed}次安全检查")
    await liaison.wait_reply()
    await liaison.send("本周开展了安全宣传。")
    await liaison.wait_reply()


async def open_card_of(admin, unit: str):
    """/review 6月4日, then the card of ``unit`` through the list."""
    await admin.command("review", "6月4日")
    replies = await admin.wait_reply(count=2)
    card = replies[-1]
    if unit not in card.plain_text:
        await admin.press("📋 列表", card)
        listing = (await admin.wait_reply())[-1]
        label = next(text for text in listing.button_texts() if unit in text)
        await admin.press(label, listing)
        card = (await admin.wait_reply(count=2))[-1]
    assert unit in card.plain_text, card.plain_text
    return card


async def return_with(admin, card, reason: str) -> str:
    await admin.press("↩️ 退回", card)
    asked = (await admin.wait_reply())[-1]
    assert "原因" in asked.plain_text
    await admin.send(reason)
    return (await admin.wait_reply())[-1].plain_text


async def wait_for(user, fragment: str, timeout: float = 20):
    """The next bot message holding ``fragment`` (other notices may come first)."""
    new = await user.wait_for(fragment, timeout=timeout)
    return [sent for sent in new if fragment in (sent.plain_text or "")][-1]


async def submission_of(bot, unit_name: str):
    unit = await bot.storage.units.by_name(unit_name)
    return await bot.storage.submissions.find(unit.id, await rule_id(bot, "weekly"), WEEK)


async def test_a_return_within_the_grace_counts_on_time_and_keeps_both_versions(
        bot, sandbox, clock, admin):
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2001, "长春市工信局")
    await deliver_week(liaison, 1)
    clock.set(2026, 6, 4, 11, 0)

    card = await open_card_of(admin, "长春市工信局")
    assert "按时" in card.plain_text and "第1次安全检查" in card.plain_text
    assert "本周开展了安全宣传。" in card.plain_text
    done = await return_with(admin, card, "照片模糊，请补拍现场照片")
    assert "已退回" in done and "6月6日 11:00" in done          # the grace: two days

    told = await wait_for(liaison, "被退回修改")
    assert "被退回修改" in told.plain_text and "照片模糊，请补拍现场照片" in told.plain_text
    assert "📤 重新报送" in told.button_texts()
    stored = await bot.storage.reviews.open_return((await submission_of(bot, "长春市工信局")).id)
    assert stored.returned_by == ADMIN_ID and stored.reason == "照片模糊，请补拍现场照片"
    assert stored.original_late_seconds is None

    # the desk: not delivered, and said so
    await admin.command("status")
    status = (await admin.wait_reply())[-1].plain_text
    assert "长春市工信局 — 退回待改" in status
    await admin.command("missing")
    assert "退回待改" in (await admin.wait_reply())[-1].plain_text
    await liaison.command("mystatus")
    mine = "\n".join(sent.plain_text for sent in await liaison.wait_reply())
    assert "↩️ 每周活动材料：6月4日（周四）10:00 — 退回待改" in mine

    # the liaison resubmits the next day, within the grace
    clock.set(2026, 6, 5, 15, 0)
    await liaison.press("📤 重新报送", told)
    assert "修改版本" in (await liaison.wait_reply())[-1].plain_text
    await liaison.send_photo(jpeg(9), caption="补拍的现场照片")
    receipt = (await liaison.wait_reply())[-1].plain_text
    assert "按时" in receipt and "重新报送" in receipt, receipt

    submission = await submission_of(bot, "长春市工信局")
    assert submission.late_seconds is None
    items = await bot.storage.submissions.items(submission.id)
    assert [(item.text, item.superseded_at is not None) for item in items] == [
        ("第1次安全检查", True), ("本周开展了安全宣传。", True), ("补拍的现场照片", False)]
    returned = (await bot.storage.reviews.returns_of([submission.id]))[submission.id]
    assert len(returned) == 1 and returned[0].resubmitted_at is not None
    assert returned[0].resubmission_id == items[-1].id and returned[0].late_seconds is None
    await admin.command("status")                   # now chasing 6/11: one week back
    await admin.press("◀ 上一期", (await admin.wait_reply())[-1])
    status = (await admin.wait_reply())[-1].plain_text
    assert "6月4日一期" in status and "按时 1" in status and "退回待改" not in status


async def test_a_resubmission_after_the_grace_is_late_from_the_return(
        bot, sandbox, clock, admin):
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2002, "吉林市应急局")
    await deliver_week(liaison, 2)
    clock.set(2026, 6, 4, 12, 0)
    card = await open_card_of(admin, "吉林市应急局")
    await return_with(admin, card, "缺少活动文字说明")
    told = await wait_for(liaison, "被退回修改")

    clock.set(2026, 6, 7, 13, 30)          # the grace ended 6/6 12:00
    await liaison.press("📤 重新报送", told)
    await liaison.wait_reply()
    await liaison.send("补充：6月3日组织全员安全培训。")
    receipt = (await liaison.wait_reply())[-1].plain_text
    assert "迟交 3 天 1 小时" in receipt, receipt
    submission = await submission_of(bot, "吉林市应急局")
    assert submission.late_seconds == int(timedelta(days=3, hours=1, minutes=30).total_seconds())
    await admin.command("status")
    await admin.press("◀ 上一期", (await admin.wait_reply())[-1])
    status = (await admin.wait_reply())[-1].plain_text
    assert "吉林市应急局 — 迟交 3 天 1 小时" in status


async def test_a_unit_that_never_resubmits_gets_the_reminders(bot, sandbox, clock, admin):
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2003, "长春市交通局")
    await deliver_week(liaison, 3)
    clock.set(2026, 6, 4, 12, 0)
    card = await open_card_of(admin, "长春市交通局")
    await return_with(admin, card, "材料与本周无关")
    await liaison.wait_reply(timeout=15)

    clock.set(2026, 6, 5, 11, 30)          # not yet
    await jobs.tick(bot.app)
    # the calendar's usual overdue notice: the week counts as not delivered again
    overdue = await wait_for(liaison, "贵单位尚未报送（逾期第 1 天）")
    assert "每周活动材料" in overdue.plain_text
    await liaison.wait_quiet(quiet=1.5)
    assert not any("尚未重新报送" in text for text in liaison.texts())
    clock.set(2026, 6, 5, 12, 30)          # a day before the grace ends
    await jobs.tick(bot.app)
    reminder = await wait_for(liaison, "尚未重新报送")
    assert "材料与本周无关" in reminder.plain_text and "6月6日 12:00" in reminder.plain_text
    assert "📤 重新报送" in reminder.button_texts()
    await jobs.tick(bot.app)                # once only
    await liaison.wait_quiet(quiet=1.5)
    assert sum("尚未重新报送" in text for text in liaison.texts()) == 1

    clock.set(2026, 6, 6, 12, 1)            # the grace is over
    await jobs.tick(bot.app)
    overdue = await wait_for(liaison, "宽限期已过")
    assert "📤 重新报送" in overdue.button_texts()
    calendar = await bot.storage.campaigns.calendar()
    week = next(d for d in deadlines(calendar.rule("weekly"), calendar.campaign.timezone)
                if d.period == WEEK)
    submission = await submission_of(bot, "长春市交通局")
    assert submission.unit_id not in await bot.storage.delivered(week)
