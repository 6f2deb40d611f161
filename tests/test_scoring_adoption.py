"""采用 through the button a review card carries: the level picker, the adoption and its
ledger row; scope and roles re-checked on every press."""

from __future__ import annotations

from bot.scoring.adoption import adoptions_for
from tests.desk_seed import LIAISON_BASE_ID, SCOPED_COORDINATOR_ID
from tests.scoring_support import adopt, send_card, submission_of


def unit_in(seeded, city: str, skip: int = 0) -> str:
    return [name for name in seeded.names
            if seeded.city_of[name] == city and name != city][skip]


async def test_adoption_at_a_level_writes_the_ledger_row(desk, sandbox, admin):
    name = unit_in(desk.seeded, "长春市")
    submission = await submission_of(desk, name)
    index = desk.seeded.names.index(name)
    liaison = sandbox.user(LIAISON_BASE_ID + index, f"联络员{index:02d}")
    liaison.mark()
    picked = await adopt(desk, admin, submission.id, "县级简报采用")
    (told,) = await liaison.wait_reply(timeout=20)
    assert told.plain_text == ("🎉 贵单位的每周活动材料（6月4日一期）已被采用：县级简报采用，"
                               "积分 +5。")
    assert "已采用" in picked[-1].plain_text and "县级简报采用" in picked[-1].plain_text
    assert "5 分" in picked[-1].plain_text
    storage = desk.bot.storage
    (row,) = [row for row in await storage.scoring.ledger() if row.kind == "adoption"]
    assert (row.unit_id, row.points, row.rule, row.rules_version, row.submission_id) == (
        desk.seeded.units[name], 5, "levels.county_bulletin", 1, submission.id)
    assert await adoptions_for(storage, [submission.id, 999]) == {
        submission.id: ["县级简报采用"]}
    # the same level again: said so, nothing new stored
    await send_card(desk, admin, submission.id)
    await admin.press("✅ 采用")
    (picker,) = await admin.wait_reply()
    assert "✔ 县级简报采用（已采用）" in picker.button_texts()
    await admin.press("✔ 县级简报采用（已采用）", picker)
    await admin.wait_quiet()
    assert sandbox.callback_answers[-1]["text"] == "已按「县级简报采用」采用过。"
    assert len(await storage.scoring.adoptions()) == 1


async def test_scoped_coordinators_adopt_only_in_their_subtree(desk, sandbox):
    scoped = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")
    inside = await submission_of(desk, unit_in(desk.seeded, "长春市"))
    outside = await submission_of(desk, unit_in(desk.seeded, "吉林市"))
    await send_card(desk, scoped, outside.id)
    await scoped.press("✅ 采用")
    await scoped.wait_quiet()
    assert sandbox.callback_answers[-1]["text"] == "这个按钮已过期。"
    await scoped.press_data(f"score:level:{outside.id}:city_leader", scoped.last)
    await scoped.wait_quiet()
    assert sandbox.callback_answers[-1]["text"] == "这个按钮已过期。"
    assert await desk.bot.storage.scoring.adoptions() == []
    picked = await adopt(desk, scoped, inside.id, "市级专报采用")
    assert "50 分" in picked[-1].plain_text
    (adoption,) = await desk.bot.storage.scoring.adoptions()
    assert (adoption.submission_id, adoption.level, adoption.adopted_by) == (
        inside.id, "city_special", SCOPED_COORDINATOR_ID)


async def test_liaisons_and_forged_presses_are_refused(desk, sandbox):
    index = 3
    liaison = sandbox.user(LIAISON_BASE_ID + index, f"联络员{index:02d}")
    own = await submission_of(desk, desk.seeded.names[index])
    await send_card(desk, liaison, own.id)
    for data in ("✅ 采用",):
        await liaison.press(data)
        await liaison.wait_quiet()
        assert sandbox.callback_answers[-1]["text"] == "这个按钮已过期。"
    for data in (f"score:level:{own.id}:county_bulletin", "score:adopt:notanumber",
                 "score:level:1", f"score:level:{own.id}:no_such_level"):
        await liaison.press_data(data, liaison.last)
        await liaison.wait_quiet()
        assert sandbox.callback_answers[-1]["text"] == "这个按钮已过期。"
    assert await desk.bot.storage.scoring.adoptions() == []


async def test_the_picker_offers_the_levels_of_the_rules_in_use(desk, sandbox, admin):
    import json

    from bot.scoring.rules import default_rules

    rules = default_rules().to_json()
    province = {"key": "province", "name": {"zh": "省级采用", "en": "Province"}, "points": 100}
    rules["levels"] = [*rules["levels"][:2], province]
    await admin.send_document(json.dumps(rules, ensure_ascii=False).encode(), "rules.json")
    (loaded,) = await admin.wait_reply(timeout=20)
    assert "第 2 版" in loaded.plain_text and "省级采用 100 分" in loaded.plain_text
    submission = await submission_of(desk, unit_in(desk.seeded, "吉林市"))
    await send_card(desk, admin, submission.id)
    await admin.press("✅ 采用")
    (picker,) = await admin.wait_reply()
    assert picker.button_texts() == ["县级简报采用（5 分）", "县级专报采用（10 分）",
                                     "省级采用（100 分）"]
    await admin.press("省级采用（100 分）", picker)
    await admin.wait_reply()
    (row,) = [row for row in await desk.bot.storage.scoring.ledger() if row.kind == "adoption"]
    assert (row.points, row.rules_version) == (100, 2)
    # back to the package's rules: refused while an adoption is scored at 省级采用
    await admin.command("scoring", "default")
    (refused,) = await admin.wait_reply()
    assert "缺少级别「province」，已有 1 次采用按此级别计分" in refused.plain_text
    assert (await desk.bot.storage.scoring.current()).id == 2


async def test_a_liaison_is_refused_every_scoring_command_and_button(desk, sandbox):
    index = 5
    liaison = sandbox.user(LIAISON_BASE_ID + index, f"联络员{index:02d}")
    own = await submission_of(desk, desk.seeded.names[index])
    for command in ("scoring", "ranking", "bulletin"):
        await liaison.command(command)
        (refused,) = await liaison.wait_reply()
        assert refused.plain_text == "此功能仅限协调员使用。", command
        assert refused.document is None
    await send_card(desk, liaison, own.id)
    for data in (f"score:adopt:{own.id}", f"score:level:{own.id}:city_leader",
                 "score:rank:all:0", "score:rank:m2026-06:1", "score:piece:build:0",
                 "score:piece:up:1", "score:piece:drop:0"):
        await liaison.press_data(data, liaison.last)
        await liaison.wait_quiet()
        assert sandbox.callback_answers[-1]["text"] == "这个按钮已过期。", data
    assert await desk.bot.storage.scoring.adoptions() == []
    assert [s for s in sandbox.messages_to(liaison.chat_id) if s.document is not None] == []


async def test_adoption_from_the_review_card_by_two_scoped_coordinators(desk, sandbox, admin):
    """Through the review desk's own card: the city's coordinator adopts on its first card
    (a unit of the city), the coordinator of every unit on theirs."""
    storage = desk.bot.storage
    scoped = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")
    adopted = []
    for user, level in ((scoped, "县级简报采用"), (admin, "市级领导批示")):
        await user.command("review")
        card = (await user.wait_reply(count=2))[-1]
        assert "✅ 采用" in card.button_texts()
        await user.press("✅ 采用", card)
        (picker,) = await user.wait_reply()
        await user.press(next(t for t in picker.button_texts() if t.startswith(level)), picker)
        assert "已采用" in (await user.wait_reply())[-1].plain_text
        adopted.append((await storage.scoring.adoptions())[-1])
    (first, second) = adopted
    assert first.adopted_by == SCOPED_COORDINATOR_ID and first.level == "county_bulletin"
    assert await storage.units.in_scope(first.unit_id, desk.seeded.scope_city_id)
    assert second.adopted_by == 1001 and second.level == "city_leader"
    ledger = {(row.unit_id, row.rule) for row in await storage.scoring.ledger()
              if row.kind == "adoption"}
    assert ledger == {(first.unit_id, "levels.county_bulletin"),
                      (second.unit_id, "levels.city_leader")}
