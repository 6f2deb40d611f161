"""退回 and the ledger: a return not fixed within its grace costs the period's 退回未改
deduction (not 漏报 as well); fixed after the grace, the resubmission's lateness makes it
迟报; the grace itself is the scoring rules' ``return_grace_days``."""

from __future__ import annotations

import json

from bot.scoring.rules import default_rules
from tests import test_review_returns as review_returns
from tests.conftest import create_campaign, new_liaison
from tests.test_review_returns import (
    deliver_week,
    open_card_of,
    return_with,
    submission_of,
    wait_for,
)
from tests.test_submissions_flow import jpeg

WEEK = "2026-06-04"
clock = review_returns.clock      # the review tests' clock (a fixture the bot runs on)


async def rows_of(under_test, admin, unit_id: int) -> dict[str, tuple[str, float]]:
    """The unit's current ledger rows for the week after /ranking settled them."""
    admin.mark()
    await admin.command("ranking")
    await admin.wait_reply(count=2, timeout=30)
    return {row.event.split(":")[0]: (row.rule, row.points)
            for row in await under_test.storage.scoring.ledger([unit_id])
            if row.period == WEEK or row.kind == "returned"}


async def test_a_return_not_fixed_costs_its_deduction_then_late_when_fixed(
        bot, sandbox, clock, admin):
    await create_campaign(bot)
    liaison = await new_liaison(sandbox, admin, 2004, "长春市住建局")
    await deliver_week(liaison, 4)
    clock.set(2026, 6, 4, 12, 0)
    card = await open_card_of(admin, "长春市住建局")
    await return_with(admin, card, "照片与本周活动无关")
    told = await wait_for(liaison, "被退回修改")
    unit_id = (await submission_of(bot, "长春市住建局")).unit_id

    clock.set(2026, 6, 5, 12, 0)           # within the grace: neither 漏报 nor 退回
    assert await rows_of(bot, admin, unit_id) == {}
    clock.set(2026, 6, 6, 12, 1)           # the grace (two days) is over
    assert await rows_of(bot, admin, unit_id) == {
        "returned": ("deductions.weekly.returned", -0.5)}
    (returned,) = [row for row in await bot.storage.scoring.ledger([unit_id])
                   if row.kind == "returned"]
    assert returned.occurred_at == "2026-06-06T04:00:00+00:00"    # the grace's end

    clock.set(2026, 6, 7, 9, 0)
    await liaison.press("📤 重新报送", told)
    await liaison.wait_reply()
    await liaison.send_photo(jpeg(11), caption="补拍的现场照片")
    assert "迟交" in (await liaison.wait_reply())[-1].plain_text
    assert await rows_of(bot, admin, unit_id) == {"late": ("deductions.weekly.late", -0.5)}
    history = [row for row in await bot.storage.scoring.history() if row.unit_id == unit_id
               and row.kind == "returned"]
    assert len(history) == 1 and history[0].superseded_at is not None   # kept, not current


async def test_the_grace_of_a_return_is_the_rules_return_grace_days(bot, sandbox, clock, admin):
    await create_campaign(bot)
    rules = default_rules().to_json()
    rules["return_grace_days"] = 5
    await admin.send_document(json.dumps(rules, ensure_ascii=False).encode(), "rules.json")
    assert "退回整改期限 5 天" in (await admin.wait_reply(timeout=20))[-1].plain_text
    liaison = await new_liaison(sandbox, admin, 2005, "长春市水利局")
    await deliver_week(liaison, 5)
    clock.set(2026, 6, 4, 12, 0)
    card = await open_card_of(admin, "长春市水利局")
    done = await return_with(admin, card, "缺少文字说明")
    assert "6月9日 12:00" in done
