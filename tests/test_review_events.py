"""/review event and /review case: event reports and the monthly case are reviewed the same
way (album by Telegram's file_id, the report's answers, ↩️ 退回 and 📤 重新报送); a period
that does not exist gets one line with the usage."""

from __future__ import annotations

from tests.conftest import create_campaign, new_liaison
from tests.test_review_returns import (  # noqa: F401  (the clock: a fixture the bot runs on)
    clock,
    return_with,
    wait_for,
)
from tests.test_submissions_flow import jpeg, rule_id


async def file_event(liaison) -> None:
    await liaison.command("event")
    await liaison.wait_reply(count=2)
    for answer in ("危化品泄漏应急演练", "6月12日", "长春市化工园区", "参演 120 人"):
        await liaison.send(answer)
        await liaison.wait_reply()
    await liaison.send_album([("photo", jpeg(4), None), ("photo", jpeg(5), None)])
    await liaison.wait_reply(timeout=10)
    await liaison.press("✅ 完成提交")
    await liaison.wait_reply(count=2, timeout=10)


async def test_an_event_report_is_reviewed_returned_and_resubmitted(
        bot, sandbox, clock, admin):  # noqa: F811
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2001, "长春市工信局")
    clock.set(2026, 6, 12, 15, 0)
    await file_event(liaison)

    await admin.command("review", "event")
    album, card = await admin.wait_reply(count=2)
    assert album.method == "sendMediaGroup" and len(album.media) == 2
    sent_ids = {item.file_unique_id for item in album.media}
    stored = {item.file_unique_id for item in await bot.storage.submissions.items(
        (await bot.storage.submissions.find(
            (await bot.storage.units.by_name("长春市工信局")).id,
            await rule_id(bot, "event"), "event-1")).id) if item.kind == "photo"}
    assert sent_ids == stored                      # Telegram's own copies, by file_id
    assert "大型活动、演练报告（第 1 份）" in card.plain_text
    assert "🎯 危化品泄漏应急演练（2026-06-12，长春市化工园区）" in card.plain_text
    assert "📝 参演 120 人" in card.plain_text
    await return_with(admin, card, "请补充参演单位名单")
    told = await wait_for(liaison, "被退回修改")
    assert "大型活动、演练报告（第 1 份）" in told.plain_text

    clock.set(2026, 6, 13, 9, 0)
    await liaison.press("📤 重新报送", told)
    await liaison.wait_reply()
    await liaison.send("参演单位：市应急局、园区管委会、消防支队。")
    receipt = (await liaison.wait_reply())[-1].plain_text
    assert "大型活动、演练报告（第 1 份）" in receipt and "重新报送" in receipt
    event = await bot.storage.submissions.find(
        (await bot.storage.units.by_name("长春市工信局")).id, await rule_id(bot, "event"),
        "event-1")
    (returned,) = (await bot.storage.reviews.returns_of([event.id]))[event.id]
    assert returned.resubmitted_at is not None and returned.late_seconds is None


async def test_the_monthly_case_is_reviewed_and_bad_periods_get_one_line(
        bot, sandbox, clock, admin):  # noqa: F811
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2001, "长春市工信局")
    clock.set(2026, 6, 20, 10, 0)
    await liaison.press_data("submit:start:monthly_case:2026-06")
    await liaison.wait_reply()
    await liaison.send("某企业违规动火作业被曝光，已责令整改。")
    await liaison.wait_reply()
    await liaison.send_document(b"%PDF-1.4 case", file_name="曝光报道.pdf",
                                mime_type="application/pdf")
    await liaison.wait_reply()

    await admin.command("review", "case 6月")
    document, card = await admin.wait_reply(count=2)
    assert document.document.file_name == "曝光报道.pdf"      # Telegram's copy, by file_id
    assert "月度典型案例曝光（2026年6月）" in card.plain_text
    assert "某企业违规动火作业被曝光" in card.plain_text and "📎 曝光报道.pdf" in card.plain_text
    await admin.command("review", "case")          # the month being chased: June
    assert "某企业违规动火作业被曝光" in (await admin.wait_reply(count=2))[-1].plain_text

    for args, line in (("7月40日", "没有“7月40日”这一期。"), ("case 13", "没有“case 13”这一期。"),
                       ("6月4日 6月11日", "用法：")):
        await admin.command("review", args)
        reply = (await admin.wait_reply())[-1].plain_text
        assert reply.startswith(line) and "用法：/review" in reply, reply
    await admin.command("review", "6月4日")         # a week with nothing sent
    assert "还没有可审阅的材料" in (await admin.wait_reply())[-1].plain_text
