"""The statistics table end to end: chat form, workbook round trip, definitions, totals."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.stats.forms import default_form
from bot.stats.workbook import KEY_COLUMN, VALUE_COLUMN
from tests.conftest import ADMIN_ID, add_unit, answer, register_liaison

FORM = default_form()


async def seed_liaison(bot, sandbox, unit_name: str, user_id: int, parent_id: int | None = None):
    """A unit and its active liaison, straight through the storage layer."""
    storage = bot.storage
    unit = await storage.units.create(unit_name, parent_id, ADMIN_ID)
    await storage.people.seen(user_id, user_id, f"联络员{user_id}", None, "zh")
    await storage.liaisons.register(unit.id, user_id, {"name": f"联络员{user_id}",
                                                       "mobile": f"139000{user_id:05d}"})
    return unit, sandbox.user(user_id, f"联络员{user_id}")


def rows_by_key(sheet) -> dict[str, int]:
    return {sheet[f"{KEY_COLUMN}{row}"].value: row for row in range(1, sheet.max_row + 1)
            if sheet[f"{KEY_COLUMN}{row}"].value}


def fill(data: bytes, values: dict[str, object]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    rows = rows_by_key(sheet)
    for key, value in values.items():
        sheet[f"{VALUE_COLUMN}{rows[key]}"] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def confirm(user, said: str = "已提交", button: str = "✅ 确认提交") -> list:
    """Press ``button``: the summary's keyboard closes (an edit), then the confirmation
    comes once the table is stored, on PostgreSQL at times after a quiet moment; what came,
    the line that says ``said`` among it."""
    await user.press(button)
    return await user.wait_for(said)


async def download(user) -> bytes:
    await user.command("stats_xlsx")
    sent = await user.wait_reply()
    assert sent[-1].document is not None, user.transcript()
    assert sent[-1].document.file_name.endswith(".xlsx")
    return sent[-1].document.data


async def test_chat_form_with_bad_values_back_skip_restart_and_an_edit(bot, sandbox, admin):
    code = await add_unit(admin, "长春市工信局")
    user = sandbox.user(4001, "李明")
    await register_liaison(user, code)
    await user.command("stats")
    intro, question = await user.wait_reply(count=2)
    assert "长春市工信局" in intro.text and "13 个项目、39 项数据" in intro.text
    assert "以何种形式启动" in question.text
    reply = await answer(user, "线上线下结合")
    assert "开展主题宣讲活动" in reply[-1].text and "标准：" in reply[-1].text
    assert "多少场" in reply[-1].text
    assert reply[-1].button_texts() == ["0 / 无", "⬅ 上一题", "跳过本项 ⏭"]
    await answer(user, "3")
    bad = await answer(user, "abc", count=2)
    assert bad[0].text == "请发送一个不小于 0 的整数，如 0、5、120（单位：场）。"
    assert "相关行业负责同志宣讲" in bad[-1].text          # asked again
    bad = await answer(user, "-2", count=2)
    assert bad[0].text == "数量不能是负数。"
    await answer(user, "2")
    # a button edits its question (the buttons go), then the next question comes
    await answer(user, press="0 / 无", count=2)             # company heads
    await answer(user, "１２")                              # expert lectures, full-width
    await answer(user, "5 场")                              # safety diagnoses
    again = await answer(user, press="⬅ 上一题", count=2)
    assert "安全诊断" in again[-1].text and "当前：5 场" in again[-1].text
    await answer(user, "6")
    await answer(user, "7")                                 # volunteer lectures
    await answer(user, "2")
    await answer(user, "1,500")

    await bot.restart()
    resumed = await answer(user, "4")                       # open-day companies
    assert "公众开放日现场参观" in resumed[-1].text
    for value in ("200", "3000", "2", "1", "80", "3", "900"):
        await answer(user, value)
    skipped = await answer(user, press="跳过本项 ⏭", count=2)   # item 5 skipped entirely
    assert "开展应急预案演练活动" in skipped[-1].text
    await answer(user, "4")
    yes_no = await answer(user, "350")
    assert yes_no[-1].button_texts()[:2] == ["是", "否"]
    bad = await answer(user, "也许", count=2)
    assert bad[0].text == "请回答“是”或“否”。"
    await answer(user, press="是", count=2)
    for value in ("6", "3", "2", "15", "2", "8", "5"):
        await answer(user, value)
    await answer(user, press="否", count=2)
    for value in ("1", "9", "4"):
        await answer(user, value)
    review = await answer(user, "2")
    assert "统计表总览" in review[-1].text and "已填 32/39 项数据" in review[-1].text
    assert "开展警示教育：（未填）" in review[-1].text
    assert "在地方媒体发表安全月稿件：9 篇" in review[-1].text

    await bot.restart()
    choose = await answer(user, press="5. 开展安全警示教育和科普宣传活动", count=2)
    assert "要修改哪一项数据" in choose[-1].text
    await answer(user, press="开展警示教育", count=2)
    review = await answer(user, "10")
    assert "开展警示教育：10 场" in review[-1].text and "已填 33/39" in review[-1].text
    done = await confirm(user)
    assert "已提交" in done[-1].text and "33/39" in done[-1].text

    unit = await bot.storage.units.by_name("长春市工信局")
    entry = await bot.storage.stats.current(unit.id, None)
    assert entry.via == "chat" and entry.form_id == 1
    assert entry.figures == {
        "launch_forms": "线上线下结合",
        "lectures_committee_leaders": 3, "lectures_industry_leaders": 2,
        "lectures_company_heads": 0, "expert_lectures": 12, "safety_diagnoses": 6,
        "volunteer_lectures": 7, "forums": 2, "forum_attendance": 1500,
        "open_day_companies": 4, "open_day_visitors": 200, "leaflets": 3000,
        "exhibitions": 2, "venue_experiences": 1, "onsite_consultations": 80,
        "online_events": 3, "online_participants": 900,
        "warning_sessions": 10,
        "drills": 4, "drill_participants": 350, "creative_activities": True,
        "rectification_follow_ups": 6, "tours": 3, "unannounced_inspections": 2,
        "reports_received": 15, "reporters_rewarded": 2, "leads_collected": 8,
        "news_reports": 5, "coverage_plan": False, "central_media_articles": 1,
        "local_media_articles": 9, "campaign_articles": 4, "negative_cases": 2,
    }
    told = await admin.wait_for("提交了统计表")     # after the registration's notice
    assert "长春市工信局" in told[-1].text and "统计表" in told[-1].text


async def test_cancel_keeps_the_draft_and_stats_offers_to_continue(bot, sandbox):
    _, user = await seed_liaison(bot, sandbox, "南关区", 4002)
    await user.command("stats")
    await user.wait_reply(count=2)
    await answer(user, "启动会")
    await answer(user, "5")
    paused = await answer(user, "/cancel")
    assert "已暂停" in paused[-1].text
    offer = await answer(user, "/stats")
    assert "已填 2/39" in offer[-1].text
    question = await answer(user, press="▶ 继续填写", count=2)
    assert "相关行业负责同志宣讲" in question[-1].text
    await answer(user, "/cancel")
    await answer(user, "/stats")
    fresh = await user.press("🔁 重新逐项填写")
    assert fresh
    replies = await user.wait_reply(count=3)       # the offer closed, the intro, a question
    assert "以何种形式启动" in replies[-1].text


async def test_workbook_round_trip(bot, sandbox, admin):
    unit, user = await seed_liaison(bot, sandbox, "朝阳区应急管理局", 4003)
    blank = await download(user)
    sheet = load_workbook(io.BytesIO(blank)).worksheets[0]
    assert sheet["A1"].value == "附件2"
    assert sheet["A3"].value == "填报单位（盖章）：朝阳区应急管理局"
    assert sheet["A4"].value == "填报人：联络员4003"
    assert sheet["C4"].value == "联系电话：13900004003"
    rows = rows_by_key(sheet)
    assert len(rows) == 39
    assert sheet[f"E{rows['leaflets']}"].value == "份"
    assert sheet[f"C{rows['drills']}"].value == "开展应急预案演练"

    await user.send_document(blank, "统计表.xlsx")        # the blank file, unchanged: read
    summary = await user.wait_reply()
    assert "已填 0/39" in summary[-1].text
    await answer(user, press="❌ 放弃", count=2)

    values = {"launch_forms": "召开动员大会", "leaflets": 1200, "drills": 3,
              "drill_participants": 150, "coverage_plan": "是", "creative_activities": "否",
              "negative_cases": 0}
    await user.send_document(fill(blank, values), "统计表.xlsx")
    summary = await user.wait_reply()
    assert "发放宣传资料：1200 份" in summary[-1].text and "已填 7/39" in summary[-1].text
    done = await confirm(user)
    assert "已提交" in done[-1].text
    entry = await bot.storage.stats.current(unit.id, None)
    assert entry.via == "xlsx"
    assert entry.figures == {"launch_forms": "召开动员大会", "leaflets": 1200, "drills": 3,
                             "drill_participants": 150, "coverage_plan": True,
                             "creative_activities": False, "negative_cases": 0}

    bad = fill(blank, {"leaflets": "一千份", "drills": -1, "forums": 2})
    await user.send_document(bad, "统计表.xlsx")
    refused = (await user.wait_reply())[-1].text
    assert "2 处需要修改，未提交" in refused
    leaflets_cell = f"D{rows['leaflets']}"
    assert (f"{leaflets_cell} 格（第 4 项“开展“安全宣传咨询日”线上线下活动” · 发放宣传资料）："
            "请发送一个不小于 0 的整数") in refused
    assert (f"D{rows['drills']} 格（第 6 项“开展应急预案演练活动” · 开展应急预案演练）："
            "数量不能是负数") in refused
    assert (await bot.storage.stats.current(unit.id, None)).id == entry.id

    again = await download(user)                          # previous values filled in
    sheet = load_workbook(io.BytesIO(again)).worksheets[0]
    assert sheet[f"D{rows['leaflets']}"].value == 1200
    assert sheet[f"D{rows['coverage_plan']}"].value == "是"
    await user.send_document(again, "统计表.xlsx")        # unchanged: accepted
    await user.wait_reply()
    done = await confirm(user, "已更新")
    assert "已更新" in done[-1].text
    history = await bot.storage.stats.history(unit.id, None)
    assert len(history) == 2 and history[1].superseded_at is not None
    assert history[0].figures == entry.figures

    await admin.command("stats_unit", "朝阳区应急管理局")
    shown = (await admin.wait_reply())[-1]
    assert "当前统计表" in shown.text and "早先提交过 1 次" in shown.text
    earlier = await answer(admin, press=shown.button_texts()[0])
    assert "早先的统计表" in earlier[-1].text and "发放宣传资料：1200 份" in earlier[-1].text


async def test_a_workbook_of_another_unit_or_from_a_coordinator(bot, sandbox, admin):
    _, first = await seed_liaison(bot, sandbox, "甲单位", 4004)
    _, second = await seed_liaison(bot, sandbox, "乙单位", 4005)
    data = await download(first)
    await second.send_document(data, "统计表.xlsx")
    assert "是“甲单位”的" in (await second.wait_reply())[-1].text
    await admin.send_document(data, "统计表.xlsx")
    assert "由联络员发回提交" in (await admin.wait_reply())[-1].text
    assert await bot.storage.units.count(None) == 2       # not read as a unit list


async def test_totals_over_five_units_in_chat_and_workbook(bot, sandbox, admin):
    storage = bot.storage
    city = await storage.units.create("长春市", None, ADMIN_ID)
    figures = {}
    units = []
    for number in range(5):
        unit, _ = await seed_liaison(bot, sandbox, f"区{number + 1}", 4100 + number, city.id)
        units.append(unit)
        values = {"leaflets": 100 * (number + 1), "drills": number, "forums": 7,
                  "creative_activities": number % 2 == 0, "coverage_plan": True,
                  "launch_forms": f"形式{number + 1}"}
        if number == 4:
            del values["forums"]
        figures[unit.name] = values
        await storage.stats.submit(unit.id, (await storage.stats.current_form()).id, None,
                                   values, "chat", datetime(2026, 7, 1, tzinfo=UTC),
                                   4100 + number, None, None)
    await seed_liaison(bot, sandbox, "区6", 4200, city.id)
    elsewhere, _ = await seed_liaison(bot, sandbox, "吉林市", 4201)
    await storage.stats.submit(elsewhere.id, 1, None, {"leaflets": 99999}, "chat",
                               datetime(2026, 7, 1, tzinfo=UTC), 4201, None, None)

    code = await _scoped_coordinator(admin, "长春市")
    city_coordinator = sandbox.user(4300, "市协调员")
    await city_coordinator.command("start", code)
    await city_coordinator.wait_reply()
    await city_coordinator.command("stats_total")
    replies = await city_coordinator.wait_reply(count=2)
    text = "\n".join(reply.text for reply in replies if reply.text and not reply.document)
    assert "已提交：5/7 个单位" in text                    # 长春市, 区1-5, 区6
    assert "未提交：区6、长春市" in text or "未提交：长春市、区6" in text
    assert "发放宣传资料：1500 份" in text
    assert "开展应急预案演练：10 场次" in text
    assert "举办论坛、讲坛、研讨会等：28 场" in text
    assert "自主开展“安全生产月”专题宣传教育活动：3/5 个单位为“是”" in text
    assert "以何种形式启动“安全生产月”活动：5/5 个单位填写：" in text
    assert "区1：形式1" in text and "区5：形式5" in text
    assert "99999" not in text and "100999" not in text

    document = next(reply.document for reply in replies if reply.document)
    workbook = load_workbook(io.BytesIO(document.data))
    assert workbook.sheetnames[:1] == ["合计"] and "未提交" in workbook.sheetnames
    assert "吉林市" not in workbook.sheetnames
    totals = workbook["合计"]
    rows = rows_by_key(totals)
    assert totals["A3"].value == "填报单位（盖章）：合计（已提交 5/7 个单位）"
    for _, figure in FORM.figures:
        cell = totals[f"{VALUE_COLUMN}{rows[figure.key]}"].value
        given = [values.get(figure.key) for values in figures.values()]
        if figure.type == "count":
            assert cell == sum(value for value in given if value is not None), figure.key
        elif figure.type == "yesno":
            assert cell == sum(1 for value in given if value is True), figure.key
            assert totals[f"E{rows[figure.key]}"].value == "个单位为“是”"
    assert totals[f"{VALUE_COLUMN}{rows['launch_forms']}"].value == "见“文字项”表（5 个单位）"
    texts = workbook["文字项"]
    assert [[cell.value for cell in row] for row in texts.iter_rows(min_row=2)] == [
        ["单位", "项目", "填写内容"],
        *[[f"区{n}", "1. 以何种形式启动“安全生产月”活动", f"形式{n}"] for n in range(1, 6)]]
    for name, values in figures.items():
        sheet = workbook[name]
        assert sheet["A3"].value == f"填报单位（盖章）：{name}"
        assert sheet["C3"].value == "填报日期：7月1日"
        for _, figure in FORM.figures:
            cell = sheet[f"{VALUE_COLUMN}{rows[figure.key]}"].value
            expected = values.get(figure.key)
            if isinstance(expected, bool):
                expected = "是" if expected else "否"
            assert cell == expected, (name, figure.key)
    missing = workbook["未提交"]
    assert [missing.cell(row, 1).value for row in range(3, missing.max_row + 1)] == \
        ["区6", "长春市"]

    liaison = sandbox.user(4100, "联络员4100")
    await liaison.command("stats_total")
    assert (await liaison.wait_reply())[-1].text == "此功能仅限协调员使用。"


async def _scoped_coordinator(admin, scope: str) -> str:
    from tests.conftest import LINK

    await admin.command("addcoordinator", scope)
    reply = await admin.wait_reply()
    return LINK.search(reply[-1].text).group(1)


def _small_definition(unit: str | None = "场") -> bytes:
    return json.dumps({
        "id": "heilongjiang-2020",
        "title": {"zh": "活动进展情况统计表", "en": "Progress statistics"},
        "sections": [{"title": "安全生产月", "items": [
            {"title": "宣讲", "standard": "开展宣讲",
             "figures": [{"key": "lectures", "label": {"zh": "宣讲", "en": "Lectures"},
                          "type": "count", "unit": "场"}]},
            {"title": "演练", "standard": {"zh": "开展演练", "en": "Hold drills"},
             "figures": [{"key": "drills", "label": {"zh": "开展演练", "en": "Drills"},
                          "type": "count", "unit": unit},
                         {"key": "plan", "label": {"zh": "有演练方案", "en": "A drill plan"},
                          "type": "yesno"}]},
        ]}],
    }, ensure_ascii=False).encode()


async def test_definitions_refused_with_errors_named_then_loaded_for_new_entries(
        bot, sandbox, admin):
    old_unit, old_liaison = await seed_liaison(bot, sandbox, "老单位", 4400)
    new_unit, new_liaison = await seed_liaison(bot, sandbox, "新单位", 4401)
    await old_liaison.send_document(
        fill(await download(old_liaison), {"drills": 5, "leaflets": 10}), "统计表.xlsx")
    await old_liaison.wait_reply()
    await confirm(old_liaison)

    await admin.send_document(_small_definition(unit=None), "heilongjiang.json")
    refused = (await admin.wait_reply())[-1].text
    assert "统计表定义有 1 处错误，未加载" in refused
    assert "第 2 项第 1 个数据，unit：count 类型的数据必须有单位" in refused
    await admin.send_document(b'{"id": "x", ', "broken.json")
    assert "不是有效的 JSON" in (await admin.wait_reply())[-1].text
    await new_liaison.send_document(_small_definition(), "form.json")
    assert "只有协调员" in (await new_liaison.wait_reply())[-1].text
    assert (await bot.storage.stats.current_form()).id == 1

    await admin.send_document(_small_definition(), "heilongjiang.json")
    loaded = (await admin.wait_reply())[-1].text
    assert "已加载统计表第 2 版" in loaded and "2 个项目、3 项数据" in loaded
    assert "已提交的 1 份保留原版本" in loaded

    await new_liaison.command("stats")
    intro, _ = await new_liaison.wait_reply(count=2)
    assert "第 2 版" in intro.text and "2 个项目、3 项数据" in intro.text
    await answer(new_liaison, "8")
    await answer(new_liaison, "2")
    await answer(new_liaison, press="是", count=2)
    await confirm(new_liaison)
    new_entry = await bot.storage.stats.current(new_unit.id, None)
    assert (new_entry.form_id, new_entry.figures) == (2, {"lectures": 8, "drills": 2,
                                                          "plan": True})
    old_entry = await bot.storage.stats.current(old_unit.id, None)
    assert (old_entry.form_id, old_entry.figures) == (1, {"drills": 5, "leaflets": 10})

    await admin.command("stats_total")
    replies = await admin.wait_reply(count=2)
    text = "\n".join(reply.text for reply in replies if not reply.document)
    assert "1 个单位按旧版本提交" in text and "开展演练：7 场" in text
    workbook = load_workbook(io.BytesIO(next(r.document for r in replies if r.document).data))
    assert len(rows_by_key(workbook["合计"])) == 3
    assert len(rows_by_key(workbook["老单位"])) == 39      # its own version's layout

    data = await download(old_liaison)                     # the new version, values carried
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = rows_by_key(sheet)
    assert set(rows) == {"lectures", "drills", "plan"}
    assert sheet[f"D{rows['drills']}"].value == 5

    await admin.command("stats_form")
    sent = (await admin.wait_reply())[-1]
    assert json.loads(sent.document.data)["id"] == "heilongjiang-2020"


async def test_an_entry_belongs_to_the_campaign_and_lateness_is_by_message_date(bot, sandbox):
    from datetime import date

    from bot.kernel.schedule import default_rules

    campaign = await bot.storage.campaigns.create(
        2026, "第25个全国安全生产月", "", date(2026, 6, 1), date(2026, 6, 30),
        "Asia/Shanghai", default_rules(2026), ADMIN_ID)
    unit, user = await seed_liaison(bot, sandbox, "宽城区", 4500)
    data = fill(await download(user), {"drills": 2})
    # statistics are due on 2026-07-02 18:00 China time; the file comes a day and 1 hour later
    sandbox.now = lambda: datetime(2026, 7, 3, 11, 0, tzinfo=UTC).timestamp()
    await user.send_document(data, "统计表.xlsx")
    await user.wait_reply()
    await confirm(user)
    entry = await bot.storage.stats.current(unit.id, campaign.id)
    assert entry.figures == {"drills": 2}
    assert entry.late_seconds == 25 * 3600
    assert await bot.storage.stats.current(unit.id, None) is None


async def test_in_english_the_form_and_the_workbook_speak_english(bot, sandbox):
    unit, _ = await seed_liaison(bot, sandbox, "Jilin", 4600)
    await bot.storage.people.set_language(4600, "en")
    user = sandbox.user(4600, "Li", language_code="en")
    await user.command("stats")
    _, question = await user.wait_reply(count=2)
    assert "Form(s) in which the month was launched" in question.text
    assert question.button_texts() == ["0 / none", "⬅ Back", "Skip item ⏭"]
    data = await download(user)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [sheet.cell(5, column).value for column in range(1, 6)] == [
        "Item", "Standard", "What was done", "Value", "Unit"]
    assert sheet["A1"].value == "Attachment 2"
    await user.send_document(fill(data, {"coverage_plan": "yes", "leaflets": "many"}),
                             "statistics.xlsx")
    refused = (await user.wait_reply())[-1].text
    rows = rows_by_key(sheet)
    assert (f"Cell D{rows['leaflets']} (item 4 “Safety consultation day, on- and offline” · "
            "Leaflets and materials handed out): Please send a whole number") in refused
    await user.send_document(fill(data, {"coverage_plan": "yes"}), "statistics.xlsx")
    await user.wait_reply()
    await confirm(user, said="are submitted", button="✅ Submit")
    assert (await bot.storage.stats.current(unit.id, None)).figures == {"coverage_plan": True}


FIXTURES = Path(__file__).resolve().parent / "fixtures"


async def test_a_table_resaved_as_ods_is_read_and_as_xls_is_refused_not_filed(bot, sandbox):
    """tests/fixtures/stats_unit1.*: unit 1's table filled in and re-saved by LibreOffice
    (make_resaved_tables.py). Without this, both were filed as weekly material."""
    from datetime import date

    from bot.kernel.schedule import default_rules

    campaign = await bot.storage.campaigns.create(
        2026, "2026年安全生产月", "", date(2026, 6, 1), date(2026, 6, 30), "Asia/Shanghai",
        default_rules(2026), ADMIN_ID)
    unit, user = await seed_liaison(bot, sandbox, "长春市工信局", 4700)
    assert unit.id == 1
    assert (await bot.storage.stats.current_form()).id == 1     # as /stats_xlsx made it
    sandbox.now = lambda: datetime(2026, 6, 9, 2, 0, tzinfo=UTC).timestamp()   # a week open

    await user.send_document((FIXTURES / "stats_unit1.xls").read_bytes(), "统计表.xls")
    refused = (await user.wait_reply(timeout=30))[-1].text
    assert "请另存为 .xlsx 后再发送" in refused and ".xls 格式" in refused
    assert await bot.storage.submissions.of_unit(unit.id) == []

    await user.send_document((FIXTURES / "stats_unit1.ods").read_bytes(), "统计表.ods")
    summary = (await user.wait_reply(timeout=30))[-1].text
    assert "已读取“长春市工信局”的统计表" in summary and "已填 4/39" in summary
    assert "=以视频会议形式召开启动仪式" in summary
    await confirm(user)
    entry = await bot.storage.stats.current(unit.id, campaign.id)
    assert entry.figures == {"launch_forms": "=以视频会议形式召开启动仪式", "leaflets": 1200,
                             "drills": 3, "coverage_plan": True}
    assert await bot.storage.submissions.of_unit(unit.id) == []

    await user.send_document(b"PK\x03\x04 not really an ods", "其他材料.ods")
    receipt = (await user.wait_reply(timeout=30))[-1].text     # not a table: material
    assert "请另存为" not in receipt
