"""The ledger, /ranking and its .xlsx on the seeded campaign: adoptions by two coordinators
of different scopes, 迟报 and 漏报 from the deliveries, a new rules file re-scoring the same
events, a bad one refused with every error; and what a liaison sees."""

from __future__ import annotations

import io
import json
import re

from openpyxl import load_workbook

from bot.scoring.rules import default_rules
from tests.desk_seed import LIAISON_BASE_ID, NO_LIAISON, SCOPED_COORDINATOR_ID, WEEKS, fate
from tests.scoring_support import adopt, submission_of

LINE = re.compile(r"^(\d+)\. (.+?)：(-?[\d.]+) 分 · 采用 (\d+)(?:（(.*?)）)? · 按时率 ([\d.]+%|—) "
                  r"· 迟报 (\d+) · 漏报 (\d+)$")


def expected_points(seeded, name: str, late: float = -0.5, missing: float = -1,
                    plan_missing: float = -3) -> float:
    """What the deliveries alone cost a unit: the plan nobody sent, each week late or
    missing (the registration costs nothing)."""
    index = seeded.names.index(name)
    total = plan_missing
    for week in range(len(WEEKS)):
        state, _ = fate(index, week)
        total += {"late": late, "missing": missing}.get(state, 0)
    return total


def expected_counts(seeded, name: str) -> tuple[int, int, int, int]:
    """(on time, late, missing, due) over registration, plan and the four weeks."""
    index = seeded.names.index(name)
    states = [fate(index, week)[0] for week in range(len(WEEKS))]
    on_time = states.count("on_time") + (0 if index in NO_LIAISON else 1)
    late = states.count("late")
    missing = states.count("missing") + 1 + (1 if index in NO_LIAISON else 0)
    return on_time, late, missing, 6


async def ranking_pages(user, argument: str = "") -> tuple[list[tuple], object]:
    """Every page of /ranking as parsed lines, and the workbook sent with it."""
    await user.command("ranking", argument)
    sent = await user.wait_reply(count=2, timeout=30)
    (page,) = [s for s in sent if s.document is None]
    (book,) = [s for s in sent if s.document is not None]
    lines = []
    while True:
        for text in page.plain_text.split("\n"):
            match = LINE.match(text)
            if match:
                lines.append(match.groups())
        if "下一页 ▶" not in page.button_texts():
            break
        await user.press("下一页 ▶", page)
        (page,) = await user.wait_reply()
    return lines, load_workbook(io.BytesIO(book.document.data)).active


def name_in(seeded, city: str, skip: int) -> str:
    return [name for name in seeded.names
            if seeded.city_of[name] == city and name != city][skip]


async def test_ledger_ranking_and_its_workbook_agree_and_new_rules_rescore(desk, sandbox,
                                                                           admin):
    seeded = desk.seeded
    storage = desk.bot.storage
    scoped = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")
    county_unit = name_in(seeded, "长春市", 4)
    city_unit = name_in(seeded, "吉林市", 2)
    await adopt(desk, scoped, (await submission_of(desk, county_unit, 1)).id, "县级简报采用")
    await adopt(desk, admin, (await submission_of(desk, county_unit, 2)).id, "市级专报采用")
    await adopt(desk, admin, (await submission_of(desk, city_unit, 0)).id, "市级领导批示")
    bonus = {county_unit: 5 + 50, city_unit: 80}

    lines, sheet = await ranking_pages(admin)
    assert len(lines) == 50
    ledger = await storage.scoring.ledger()
    by_unit: dict[int, float] = {}
    for row in ledger:
        by_unit[row.unit_id] = by_unit.get(row.unit_id, 0) + row.points
    assert {row.rules_version for row in ledger} == {1}
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    header = [cell.value for cell in sheet[3]]
    assert header == ["名次", "单位", "积分", "县级简报采用", "县级专报采用", "县级领导批示",
                      "市级简报采用", "市级专报采用", "市级领导批示", "采用合计", "按时率", "按时",
                      "迟报", "漏报", "应报"]
    assert [row[1] for row in rows] == [line[1] for line in lines]
    previous = None
    for line, row in zip(lines, rows, strict=True):
        rank, name, points, adopted, _levels, rate, late, missing = line
        on_time, late_count, missing_count, due = expected_counts(seeded, name)
        want = expected_points(seeded, name) + bonus.get(name, 0)
        assert float(points) == want == by_unit[seeded.units[name]], name
        assert (int(late), int(missing)) == (late_count, missing_count), name
        assert rate == f"{on_time / due * 100:.1f}%"
        assert row[0] == int(rank) and row[2] == want
        assert row[9] == int(adopted) and row[10] == round(on_time / due, 4)
        assert row[11:] == [on_time, late_count, missing_count, due]
        key = (want, on_time / due)
        if previous is not None:
            assert key <= previous     # points first, then on-time rate
        previous = key
    assert lines[0][1] == city_unit and lines[1][1] == county_unit
    county_row = rows[1]
    assert county_row[3:9] == [1, 0, 0, 0, 1, 0]
    assert lines[1][4] == "县级简报采用 1、市级专报采用 1"
    assert sheet.cell(4, 11).number_format == "0.0%"
    assert int(sheet.page_setup.paperSize) == 9 and sheet.print_title_rows == "$3:$3"

    # the scoped coordinator ranks only the subtree
    scoped_lines, _ = await ranking_pages(scoped)
    assert {line[1] for line in scoped_lines} == {
        name for name in seeded.names if seeded.city_of[name] == "长春市"}

    # a new rules file: the same events re-scored, every row of the new version
    rules = default_rules().to_json()
    rules["levels"][0]["points"] = 6
    rules["deductions"]["weekly"]["late"] = -2
    await admin.send_document(json.dumps(rules, ensure_ascii=False).encode(), "积分办法.json")
    (loaded,) = await admin.wait_reply(timeout=20)
    assert "已启用积分办法第 2 版" in loaded.plain_text
    ledger = await storage.scoring.ledger()
    assert {row.rules_version for row in ledger} == {2}
    history = await storage.scoring.history()
    assert len(history) > len(ledger) and all(
        row.superseded_at for row in history if row.rules_version == 1)
    lines, sheet = await ranking_pages(admin)
    bonus[county_unit] = 6 + 50
    for line in lines:
        assert float(line[2]) == expected_points(seeded, line[1], late=-2) + bonus.get(line[1], 0)
    assert [row[0].value for row in sheet.iter_rows(min_row=4, max_col=2)] == [
        int(line[0]) for line in lines]


async def test_a_bad_rules_file_is_refused_with_every_error(desk, sandbox, admin):
    storage = desk.bot.storage
    await adopt(desk, admin, (await submission_of(desk, name_in(desk.seeded, "吉林市", 0))).id,
                "市级领导批示")
    bad = default_rules().to_json()
    bad["levels"] = [level for level in bad["levels"] if level["key"] != "city_leader"]
    bad["levels"][0]["points"] = "five"
    bad["levels"][1]["key"] = "County Special"
    bad["levels"][2]["key"] = bad["levels"][3]["key"]
    bad["deductions"]["weekly"]["late"] = 0.5
    bad["deductions"]["holidays"] = {"late": -1}
    bad["return_grace_days"] = 99
    bad["colour"] = "red"
    await admin.send_document(json.dumps(bad, ensure_ascii=False).encode(), "rules.json")
    (refused,) = await admin.wait_reply(timeout=20)
    text = refused.plain_text
    assert text.startswith("积分办法有 7 处错误，未启用：")
    for expected in ("colour：未知字段", "return_grace_days：应在 0 到 30 之间",
                     "levels[1].points：应为数字", "levels[2].key：应为小写英文字母开头",
                     "levels[4].key：「city_bulletin」重复",
                     "deductions.weekly.late：应在 -1000 到 0 之间",
                     "deductions.holidays：未知的报送事项"):
        assert expected in text, expected
    # the level in use is checked once the file itself is right
    bad = default_rules().to_json()
    bad["levels"] = bad["levels"][:5]
    await admin.send_document(json.dumps(bad).encode(), "rules.json")
    (refused,) = await admin.wait_reply(timeout=20)
    assert "缺少级别「city_leader」，已有 1 次采用按此级别计分" in refused.plain_text
    for data, expected in ((b"[" * 10_000, "嵌套超过 5 层"),
                           (b'{"kind": "scoring-rules", ', "不是有效的 JSON"),
                           (b'{"kind": "scoring-rules"}' + b" " * 70_000, "文件超过 64 KB")):
        await admin.send_document(data if b"scoring" in data else
                                  b'{"kind": "scoring-rules", "x": ' + data + b"}", "r.json")
        (refused,) = await admin.wait_reply(timeout=20)
        assert expected in refused.plain_text, refused.plain_text
    assert (await storage.scoring.current()).id == 1
    # only a coordinator of every unit loads rules; a liaison is refused
    scoped = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")
    liaison = sandbox.user(LIAISON_BASE_ID + 3, "联络员03")
    for user in (scoped, liaison):
        await user.send_document(json.dumps(default_rules().to_json()).encode(), "rules.json")
        (refused,) = await user.wait_reply(timeout=20)
        assert refused.plain_text == "只有管理全部单位的协调员可以更换积分办法。"
    assert (await storage.scoring.current()).id == 1


async def test_scoring_sends_the_rules_in_use_and_liaisons_are_refused(desk, sandbox, admin):
    await admin.command("scoring")
    (sent,) = await admin.wait_reply()
    assert sent.document.file_name == "safety-month-default.json"
    assert json.loads(sent.document.data) == default_rules().to_json()
    assert "县级简报采用 5 分" in sent.plain_text and "第 1 版" in sent.plain_text
    liaison = sandbox.user(LIAISON_BASE_ID + 3, "联络员03")
    for command in ("scoring", "ranking"):
        await liaison.command(command)
        (refused,) = await liaison.wait_reply()
        assert refused.plain_text == "此功能仅限协调员使用。"
    await liaison.press_data("score:rank:all:1", liaison.last)
    await liaison.wait_quiet()
    assert sandbox.callback_answers[-1]["text"] == "这个按钮已过期。"
    await admin.command("ranking", "明年")
    (usage,) = await admin.wait_reply()
    assert usage.plain_text.startswith("用法：/ranking")


async def test_mystatus_shows_the_units_points_and_rank(desk, sandbox, admin):
    seeded = desk.seeded
    name = next(name for skip in range(5) if seeded.names.index(
        name := name_in(seeded, "吉林市", skip)) not in NO_LIAISON)
    await adopt(desk, admin, (await submission_of(desk, name, 0)).id, "县级专报采用")
    lines, _ = await ranking_pages(admin)
    rank, _, points, adopted = next(line for line in lines if line[1] == name)[:4]
    index = seeded.names.index(name)
    liaison = sandbox.user(LIAISON_BASE_ID + index, f"联络员{index:02d}")
    await liaison.command("mystatus")
    sent = await liaison.wait_reply(timeout=20)
    text = "\n".join(s.plain_text for s in sent)
    assert f"🏅 本单位积分 {points} 分（采用 1 篇），在全部 50 个单位中排第 {rank} 名。" in text
    assert float(points) == expected_points(seeded, name) + 10 and adopted == "1"


async def test_spans_and_a_formula_like_unit_name(desk, sandbox, admin):
    storage = desk.bot.storage
    hostile = await storage.units.create("=HYPERLINK(\"http://x\",\"点我\")",
                                         desk.seeded.scope_city_id, 1001)
    june, _ = await ranking_pages(admin, "6月")
    whole, sheet = await ranking_pages(admin, "全部")
    assert june == whole and len(whole) == 51
    cell = next(row[1] for row in sheet.iter_rows(min_row=4) if row[1].value == hostile.name)
    assert cell.data_type == "s"
    july, _ = await ranking_pages(admin, "7月")
    assert {(line[2], line[5]) for line in july} == {("0", "—")}
    quarter, _ = await ranking_pages(admin, "第二季度")
    assert quarter == whole
    await admin.command("ranking", "月份")          # this month: June, as the clock says
    (page, _) = await admin.wait_reply(count=2, timeout=30)
    assert "积分排名 · 2026年6月" in page.plain_text
    assert next(line for line in whole if line[1] == hostile.name)[2:] == (
        "0", "0", None, "—", "0", "0")             # added after every deadline: owes nothing


async def test_a_missing_week_sent_late_turns_漏报_into_迟报(desk, sandbox, admin):
    seeded = desk.seeded
    index = next(i for i, name in enumerate(seeded.names)
                 if fate(i, 3)[0] == "missing" and i not in NO_LIAISON and i >= 2)
    name = seeded.names[index]
    before = {line[1]: line for line in (await ranking_pages(admin))[0]}[name]
    liaison = sandbox.user(LIAISON_BASE_ID + index, f"联络员{index:02d}")
    sandbox.now = lambda: desk.clock.now.timestamp()       # messages dated by the bot's clock
    await liaison.send("第4周补报：开展了安全生产月宣传咨询日活动。")
    receipt = "\n".join(s.plain_text for s in await liaison.wait_reply(timeout=20))
    assert "迟交" in receipt, receipt
    after = {line[1]: line for line in (await ranking_pages(admin))[0]}[name]
    assert float(after[2]) == float(before[2]) + 0.5
    assert (int(after[6]), int(after[7])) == (int(before[6]) + 1, int(before[7]) - 1)
    events = [row.event for row in await desk.bot.storage.scoring.history()
              if row.unit_id == seeded.units[name] and row.period == WEEKS[3]]
    assert events == [f"missing:{seeded.weekly_id}:{WEEKS[3]}",
                      f"late:{seeded.weekly_id}:{WEEKS[3]}"]
