"""✅ 采用 on the review card (the scoring area's button and level picker): the card and the
liaison's /mysubmissions show the level adopted; the return's grace is the scoring rules'."""

from __future__ import annotations

from tests.conftest import create_campaign, new_liaison
from tests.test_review_returns import (  # noqa: F401  (the clock: a fixture the bot runs on)
    clock,
    deliver_week,
    open_card_of,
    return_with,
)


async def test_an_adoption_from_the_card_shows_on_the_card_and_in_mysubmissions(
        bot, sandbox, clock, admin):  # noqa: F811
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2001, "长春市工信局")
    await deliver_week(liaison, 1)
    clock.set(2026, 6, 4, 11, 0)
    card = await open_card_of(admin, "长春市工信局")
    assert card.button_texts()[0] == "✅ 采用"
    await admin.press("✅ 采用", card)
    picker = (await admin.wait_reply())[-1]
    label = next(text for text in picker.button_texts() if text.startswith("县级简报采用"))
    await admin.press(label, picker)
    assert "已采用" in (await admin.wait_reply())[-1].plain_text

    card = await open_card_of(admin, "长春市工信局")
    assert "✅ 已采用：县级简报采用" in card.plain_text
    await liaison.command("mysubmissions")
    mine = "\n".join(sent.plain_text for sent in await liaison.wait_reply())
    assert "✅ 采用：县级简报采用" in mine


async def test_the_grace_is_the_scoring_rules(bot, sandbox, clock, admin):  # noqa: F811
    await create_campaign(bot)
    rules = (await bot.storage.scoring.current()).rules
    assert rules.return_grace_days == 2
    liaison = await new_liaison(sandbox, admin, 2001, "长春市工信局")
    await deliver_week(liaison, 1)
    clock.set(2026, 6, 4, 11, 0)
    card = await open_card_of(admin, "长春市工信局")
    assert "宽限期至 6月6日 11:00" in await return_with(admin, card, "请补充文字说明")
