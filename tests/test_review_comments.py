"""Comments (点评) and what the liaison sees of the review desk, end to end: the comment is
delivered to the liaison, kept, shown in /mysubmissions beside the return and its
resubmission, and exported in the unit's 说明.txt; bad replies to the question get one line."""

from __future__ import annotations

import io
import zipfile

from tests.conftest import add_unit, create_campaign, new_liaison, register_liaison
from tests.test_review_returns import (  # noqa: F401  (the clock: a fixture the bot runs on)
    clock,
    deliver_week,
    open_card_of,
    return_with,
    submission_of,
    wait_for,
)
from tests.test_submissions_flow import jpeg


async def comment_with(admin, card, text: str) -> str:
    await admin.press("💬 点评", card)
    assert "点评" in (await admin.wait_reply())[-1].plain_text
    await admin.send(text)
    return (await admin.wait_reply())[-1].plain_text


async def test_a_comment_reaches_the_liaison_and_mysubmissions_and_the_export(
        bot, sandbox, clock, admin):  # noqa: F811
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2001, "长春市工信局")
    await deliver_week(liaison, 1)
    clock.set(2026, 6, 4, 11, 0)

    card = await open_card_of(admin, "长春市工信局")
    assert "点评已记录" in await comment_with(admin, card, "照片清楚，已推荐上报市里。")
    heard = await wait_for(liaison, "协调员的点评")
    assert "照片清楚，已推荐上报市里。" in heard.plain_text and "每周活动材料" in heard.plain_text
    submission = await submission_of(bot, "长春市工信局")
    (comment,) = (await bot.storage.reviews.comments_of([submission.id]))[submission.id]
    assert comment.text == "照片清楚，已推荐上报市里。" and comment.author_id == admin.id

    card = await open_card_of(admin, "长春市工信局")
    assert "💬" in card.plain_text and "照片清楚" in card.plain_text   # the card keeps it
    await return_with(admin, card, "请补一张现场全景")
    told = await wait_for(liaison, "被退回修改")

    await liaison.command("mysubmissions")
    mine = "\n".join(sent.plain_text for sent in await liaison.wait_reply())
    assert "退回待改" in mine
    assert "退回（6月4日 11:00）：请补一张现场全景 — 尚未重新报送，宽限期至 6月6日 11:00" in mine
    assert "点评（6月4日 11:00）：照片清楚，已推荐上报市里。" in mine

    clock.set(2026, 6, 5, 9, 0)
    await liaison.press("📤 重新报送", told)
    await liaison.wait_reply()
    await liaison.send_photo(jpeg(7), caption="现场全景")
    await liaison.wait_reply()
    await liaison.command("mysubmissions")
    mine = "\n".join(sent.plain_text for sent in await liaison.wait_reply())
    assert "退回待改" not in mine
    assert "请补一张现场全景 — 已重新报送（6月5日 09:00）" in mine
    assert mine.count("（已替换）") == 2          # the photo and the text of the first version

    clock.set(2026, 6, 5, 10, 0)
    await admin.command("export", "2026-06-04")
    sent = next(message for message in await admin.wait_reply(count=2, timeout=30)
                if message.document)
    archive = zipfile.ZipFile(io.BytesIO(sent.document.data))
    notes = next(name for name in archive.namelist() if name.endswith("长春市工信局/说明.txt"))
    text = archive.read(notes).decode("utf-8")
    assert "点评（6月4日 11:00）：照片清楚，已推荐上报市里。" in text
    assert "退回（6月4日 11:00）：请补一张现场全景 — 已重新报送（6月5日 09:00） 按时" in text
    assert "现场全景" in text and "第1次安全检查" not in text   # the current version's files


async def test_bad_replies_to_the_question_get_one_line_and_cancel_stores_nothing(
        bot, sandbox, clock, admin):  # noqa: F811
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2001, "长春市工信局")
    await deliver_week(liaison, 1)
    clock.set(2026, 6, 4, 11, 0)
    card = await open_card_of(admin, "长春市工信局")
    await admin.press("↩️ 退回", card)
    await admin.wait_reply()
    await admin.send("很" * 501)
    assert "500 字以内" in (await admin.wait_reply())[-1].plain_text
    await admin.send_photo(jpeg(3))
    assert "请用文字回复" in (await admin.wait_reply())[-1].plain_text
    await admin.command("status")
    assert "请先回复上面问的原因" in (await admin.wait_reply())[-1].plain_text
    await admin.command("cancel")
    assert (await admin.wait_reply())[-1].plain_text == "已取消。"
    await admin.send("照片模糊")                 # no longer a reason: nothing is returned
    await admin.wait_reply()
    submission = await submission_of(bot, "长春市工信局")
    assert await bot.storage.reviews.returns_of([submission.id]) == {}
    assert not any("退回" in text for text in liaison.texts())


async def test_a_coordinator_who_is_also_a_liaison_answers_the_question_not_the_sending(
        bot, sandbox, clock, admin):  # noqa: F811
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2001, "长春市工信局")
    await deliver_week(liaison, 1)
    code = await add_unit(admin, "长春市应急局")
    await register_liaison(admin, code, name="王主任")      # the admin is its liaison too
    clock.set(2026, 6, 4, 11, 0)
    await admin.command("plan")                              # sending the plan, 30 minutes
    assert "活动方案" in (await admin.wait_reply())[-1].plain_text
    card = await open_card_of(admin, "长春市工信局")
    assert "已退回" in await return_with(admin, card, "照片模糊")
    submission = await submission_of(bot, "长春市工信局")
    (returned,) = (await bot.storage.reviews.returns_of([submission.id]))[submission.id]
    assert returned.reason == "照片模糊"
    own = await bot.storage.units.by_name("长春市应急局")
    plan = (await bot.storage.campaigns.calendar()).rule("plan")
    assert await bot.storage.submissions.find(own.id, plan.id, "once") is None
