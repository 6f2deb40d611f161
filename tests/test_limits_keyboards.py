"""Keyboards under Telegram's 100 buttons (rows of at most 8): /stats_unit's earlier
submissions and the figure picker, paged (issue 14, point 2)."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.stats.forms import parse_definition
from tests.conftest import ADMIN_ID, answer
from tests.limits_seed import SEEDED_AT
from tests.limits_support import assert_within_limits, province_fixture  # noqa: F401

SUBMISSIONS = 150


async def test_stats_unit_pages_a_hundred_and_fifty_earlier_submissions(province, sandbox,
                                                                         admin):
    bot, _, seeded = province
    storage = bot.storage
    name = seeded.names[42]
    calendar = await storage.campaigns.calendar()
    version = await storage.stats.current_form()
    for number in range(SUBMISSIONS):
        await storage.stats.submit(seeded.units[name], version.id, calendar.campaign.id, {},
                                   "chat", SEEDED_AT + timedelta(minutes=number), None, None,
                                   None)
    await admin.command("stats_unit", name)
    await admin.wait_reply(timeout=30)
    (shown,) = [sent for sent in admin.messages if sent.inline_keyboard()]
    assert f"早先提交过 {SUBMISSIONS - 1} 次" in "\n".join(admin.texts())
    assert shown.button_texts()[:2] == [f"第 {SUBMISSIONS - 1} 次提交 · 6月4日 13:28",
                                        f"第 {SUBMISSIONS - 2} 次提交 · 6月4日 13:27"]
    seen = set(shown.button_texts())
    while shown.find_button("下一页 ▶"):
        await admin.press("下一页 ▶", shown)
        await admin.wait_reply(timeout=30)
        seen |= set(shown.button_texts())
    assert {f"第 {number} 次提交" for number in range(1, SUBMISSIONS)} <= {
        text.split(" · ")[0] for text in seen}
    assert "第 1 次提交 · 6月4日 11:00" in shown.button_texts()
    admin.mark()
    await admin.press("第 1 次提交 · 6月4日 11:00", shown)
    (earlier,) = await admin.wait_reply(timeout=30)
    assert name in earlier.plain_text
    assert_within_limits(sandbox)


def wide_form() -> bytes:
    """A form of one item holding 300 figures (the most a definition may hold)."""
    figures = [{"key": f"f{number:03d}", "label": {"zh": f"数据{number:03d}", "en": f"F{number}"},
                "type": "count", "unit": "次"} for number in range(300)]
    return json.dumps({
        "id": "wide", "title": {"zh": "宽表", "en": "Wide"},
        "sections": [{"title": {"zh": "一", "en": "One"}, "items": [
            {"title": {"zh": "很多数据", "en": "Many"}, "standard": {"zh": "无", "en": "-"},
             "figures": figures}]}]},
        ensure_ascii=False).encode()


async def test_the_figure_picker_pages_an_item_of_three_hundred_figures(province, sandbox):
    bot, _, seeded = province
    await bot.storage.stats.add_form(parse_definition(wide_form()), None, ADMIN_ID)
    liaison = sandbox.user(seeded.liaison_of[seeded.names[5]], "联络员0005")
    await liaison.command("stats")
    await liaison.wait_reply(timeout=30)
    await answer(liaison, press="跳过本项 ⏭")          # its only item: then the review
    await liaison.wait_quiet(0.5)
    await answer(liaison, press="1. 很多数据", count=1)
    await liaison.wait_quiet(0.5)
    (picker,) = [sent for sent in liaison.messages if sent.find_button("数据000")]
    seen = set(picker.button_texts())
    while picker.find_button("下一页 ▶"):
        await liaison.press("下一页 ▶", picker)
        await liaison.wait_reply(timeout=30)
        seen |= set(picker.button_texts())
    assert {f"数据{number:03d}" for number in range(300)} <= seen
    liaison.mark()
    await liaison.press("数据299", picker)
    question = (await liaison.wait_reply(count=2, timeout=30))[-1]
    assert "数据299" in question.plain_text
    assert_within_limits(sandbox)
