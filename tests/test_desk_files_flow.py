"""The desk's files on the seeded campaign: roster, summary, export zip, contact sheet, late
list; and who may have them."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import datetime, timedelta
from urllib.parse import unquote

from docx import Document
from openpyxl import load_workbook
from PIL import Image

from bot.desk.contact_sheets import COLUMNS, LABEL, TILE
from bot.kernel.schedule import deadlines
from tests.desk_seed import (
    CITIES,
    LIAISON_BASE_ID,
    NO_LIAISON,
    SCOPED_COORDINATOR_ID,
    TZ,
    WEEKS,
    expected,
    fate,
)
from tests.test_desk_flow import zh_duration

ROSTER_HEADER = ["序号", "单位名称", "上级单位", "姓名", "性别", "职务", "办公电话", "手机", "传真",
                 "QQ号", "微信号", "电子邮箱", "通信地址", "登记时间"]
TOP = "2026年安全生产月_每周活动材料_6月18日一期"


def office_order(seeded) -> list[str]:
    """The seeded units as the office lists them: each city, then the units under it, in
    the order they were added (not code-point order)."""
    return [name for city in CITIES for name in seeded.names
            if seeded.city_of[name] == city]


def state_text(index: int, week: int) -> str:
    state, late = fate(index, week)
    return {"on_time": "按时", "missing": "未交"}.get(state) or f"迟交 {zh_duration(late)}"


async def document_of(user, count: int = 1, timeout: float = 30):
    sent = await user.wait_reply(count=count, timeout=timeout)
    return [s for s in sent if s.document is not None]


async def test_roster_is_the_attachment_1_layout_one_row_per_unit(desk, sandbox, admin):
    seeded = desk.seeded
    await admin.command("roster")
    (sent,) = await document_of(admin)
    assert sent.document.file_name == "联络员名单.xlsx"
    assert "50 个单位，47 位联络员" in sent.plain_text
    sheet = load_workbook(io.BytesIO(sent.document.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "附件1"
    assert rows[1][0] == "2026年安全生产月联络员推荐表（汇总）"
    assert rows[2][0] == "截至 6月25日 10:30 · 全部单位 · 50 个单位，47 位联络员"
    assert rows[3] == ROSTER_HEADER
    assert [row[1] for row in rows[4:]] == office_order(seeded)
    assert office_order(seeded) != sorted(seeded.names)
    for number, row in enumerate(rows[4:], start=1):
        index = seeded.names.index(row[1])
        assert row[0] == number
        assert row[2] == (None if row[1] in CITIES else seeded.city_of[row[1]])
        if index in NO_LIAISON:
            assert row[3:] == [None] * 11
            continue
        assert row[3:] == [
            f"联络员{index:02d}", "男" if index % 2 else "女", "科长", f"0431-8888{index:04d}",
            f"139{index:08d}", None, f"{10000 + index}", f"wx{index}", f"u{index}@example.cn",
            f"人民大街{index}号", datetime(2026, 5, 20, 9, 0)]
    assert sheet.cell(5, 14).number_format == "yyyy-mm-dd hh:mm"


async def test_export_week_zip_summary_and_index(desk, sandbox, admin):
    seeded = desk.seeded
    week = 2
    await admin.command("export", "2026-06-18")
    (sent,) = await document_of(admin, count=2)
    assert sent.document.file_name == "export_2026-06-18.zip"
    archive = zipfile.ZipFile(io.BytesIO(sent.document.data))
    names = archive.namelist()
    assert len(names) == len(set(names))
    assert {name.split("/")[0] for name in names} == {TOP}
    folder = f"{TOP}/每周活动材料/6月18日一期/"
    photos = [name for name in names if re.fullmatch(
        rf"{folder}[^/]+/[^/]+_2026-06-18_\d+\.jpg", name)]
    stored = {hashlib.sha256(archive.read(name)).hexdigest(): name for name in photos}
    assert len(photos) == len(stored) == len(seeded.photos[WEEKS[week]])
    for sha, name in stored.items():
        unit = seeded.files[sha][0]
        assert name.startswith(f"{folder}{unit}/{unit}_2026-06-18_")
        assert archive.read(name) == seeded.files[sha][1]
        number = int(name.rsplit("_", 1)[1].removesuffix(".jpg"))
        sent_at = await seeded_time(desk, unit, week) + timedelta(seconds=number - 1)
        assert archive.getinfo(name).date_time == (*sent_at.timetuple()[:5],
                                                   sent_at.second // 2 * 2)   # DOS time
    notes = {name.split("/")[-2]: archive.read(name).decode("utf-8")
             for name in names if name.endswith("/说明.txt")}
    assert sorted(notes) == sorted(unit for unit, _ in seeded.texts[WEEKS[week]])
    for unit, text in seeded.texts[WEEKS[week]]:
        assert text in notes[unit] and f"单位：{unit}" in notes[unit]
        assert "期次：每周活动材料（6月18日一期）" in notes[unit]
        assert f"情况：{state_text(seeded.names.index(unit), week)}" in notes[unit]
    index = archive.read(f"{TOP}/index.html").decode()
    referenced = set(re.findall(r'(?:src|href)="([^"]+)"', index))
    decoded = {unquote(link) for link in referenced}
    assert {f"{TOP}/{link}" for link in decoded} <= set(names)
    assert {name.removeprefix(f"{TOP}/") for name in photos} <= decoded
    assert any(link.startswith("thumbs/") for link in decoded)
    assert "<title>2026年安全生产月 · 每周活动材料（6月18日一期） · 材料汇总</title>" in index
    for name in seeded.names:
        assert f"<h3>{name}</h3>" in index
        status = state_text(seeded.names.index(name), week)
        assert f"<h3>{name}</h3><span class=\"badge\">{status}</span>" in index
        if name in seeded.liaison_of and fate(seeded.names.index(name), week)[0] == "on_time":
            _, liaison, mobile = seeded.liaison_of[name]
            assert (f"<p class=\"meta\">每周活动材料（6月18日一期） · 联络员：{liaison} {mobile}"
                    f" · 报送：6月18日 08:00</p>") in index

    sheet = load_workbook(io.BytesIO(archive.read(f"{TOP}/报送汇总.xlsx"))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "2026年安全生产月材料报送情况汇总"
    assert rows[1][0] == ("期次：每周活动材料（6月18日一期） · 范围：全部单位 · "
                          "生成时间：6月25日 10:30")
    assert rows[2] == ["序号", "单位", "上级单位", "每周活动材料（6月18日一期）", None,
                       "合计", None, None, None]
    assert rows[3] == [None, None, None, "情况", "迟交（分钟）", "按时", "迟交", "本期无材料",
                       "未交"]
    body = rows[4:54]
    assert [row[1] for row in body] == office_order(seeded)
    for number, row in enumerate(body, start=1):
        index_of = seeded.names.index(row[1])
        state, late = fate(index_of, week)
        assert row[0] == number
        assert row[3] == state_text(index_of, week)
        assert row[4] == (-(-late // 60) if late else None)
        assert row[5:] == [int(state == "on_time"), int(state == "late"), 0,
                           int(state == "missing")]
    groups = expected(seeded, week)
    total = rows[54]
    assert total[1] == "合计"
    assert total[3] == (f"按时 {len(groups['on_time'])}\n迟交 {len(groups['late'])}\n"
                        f"本期无材料 0\n未交 {len(groups['missing'])}")
    assert total[5:] == [len(groups["on_time"]), len(groups["late"]), 0,
                         len(groups["missing"])]
    assert len(rows) == 55


async def seeded_time(desk, unit: str, week: int) -> datetime:
    """When the seed sent the unit's first photo of ``week``, in China time."""
    calendar = await desk.bot.storage.campaigns.calendar()
    due = {d.period: d.due for d in deadlines(calendar.rule("weekly"), TZ)}[WEEKS[week]]
    late = fate(desk.seeded.names.index(unit), week)[1]
    sent = due + timedelta(seconds=late) if late else due - timedelta(hours=2)
    return sent.astimezone(TZ)


async def test_export_all_holds_every_stored_file_once_and_splits_into_parts(desk, sandbox,
                                                                           admin):
    seeded = desk.seeded
    desk.bot.app.bot_data.export_part_bytes = 64 * 1024
    await admin.command("export", "all")
    sent = await admin.wait_reply(count=4, timeout=60)
    await admin.wait_quiet(1.0, timeout=30)
    sent = [s for s in admin.messages if s.document is not None]
    note = next(s for s in admin.messages if "已拆分为" in (s.plain_text or ""))
    parts = sorted(sent, key=lambda s: s.document.file_name)
    assert len(parts) > 1 and f"已拆分为 {len(parts)} 个部分" in note.plain_text
    assert [s.document.file_name for s in parts] == \
        [f"export_all.zip.{n:03d}" for n in range(1, len(parts) + 1)]
    assert all(s.document.size <= 64 * 1024 for s in parts)
    whole = b"".join(s.document.data for s in parts)
    archive = zipfile.ZipFile(io.BytesIO(whole))
    assert archive.testzip() is None
    top = "2026年安全生产月_全部材料_2026-06-25"
    media = [name for name in archive.namelist()
             if name.endswith(".jpg") and "/thumbs/" not in name]
    contents = [hashlib.sha256(archive.read(name)).hexdigest() for name in media]
    assert sorted(contents) == sorted(seeded.files)
    for name, sha in zip(media, contents, strict=True):
        unit = seeded.files[sha][0]
        assert re.fullmatch(rf"{top}/每周活动材料/6月\d+日一期/{unit}/{unit}_2026-06-\d\d_\d+\.jpg",
                            name), name
    index = archive.read(f"{top}/index.html").decode()
    links = {unquote(link) for link in re.findall(r'(?:src|href)="([^"]+)"', index)}
    assert {f"{top}/{link}" for link in links} <= set(archive.namelist())
    sheet = load_workbook(io.BytesIO(archive.read(f"{top}/报送汇总.xlsx"))).active
    weekly = [f"每周活动材料（{d}一期）" for d in ("6月4日", "6月11日", "6月18日", "6月25日")]
    header = [cell.value for cell in sheet[3]]
    assert header == ["序号", "单位", "上级单位", "联络员推荐表", None, "活动方案", None,
                      *(value for label in weekly for value in (label, None)),
                      "合计", None, None, None]
    for row in sheet.iter_rows(min_row=5, max_row=54, values_only=True):
        index_of = seeded.names.index(row[1])
        assert [row[7 + 2 * week] for week in range(4)] == \
            [state_text(index_of, week) for week in range(4)]
        assert row[5] == "未交"
        assert row[3] == ("未交" if index_of in NO_LIAISON else "按时")


async def test_contact_sheet_has_one_labelled_tile_per_photo(desk, sandbox, admin):
    seeded = desk.seeded
    week = 1
    order = office_order(seeded)
    photos = sorted(seeded.photos[WEEKS[week]], key=lambda p: order.index(p[0]))
    await admin.command("photos", "6-11")
    sent = await admin.wait_reply(count=4, timeout=30)
    await admin.wait_quiet(0.5)
    sheets = [s for s in admin.messages if s.photo is not None]
    legends = [s.plain_text for s in admin.messages if "张的编号" in (s.plain_text or "")]
    assert sent and len(sheets) == len(legends) == -(-len(photos) // 30)
    tiles = []
    for sheet in sheets:
        image = Image.open(io.BytesIO(sheet.photo))
        assert image.format == "JPEG"
        count = int(re.search(r"共 (\d+) 张照片", sheet.plain_text).group(1))
        assert count == len(photos)
        columns = image.width // TILE
        rows = image.height // (TILE + LABEL)
        for row in range(rows):
            for column in range(columns):
                centre = (column * TILE + TILE // 2, row * (TILE + LABEL) + TILE // 2)
                pixel = image.getpixel(centre)
                if pixel != (255, 255, 255):
                    tiles.append(pixel)
        assert columns == COLUMNS
    assert len(tiles) == len(photos)
    for pixel, (_, colour) in zip(tiles, photos, strict=True):
        assert all(abs(a - b) < 12 for a, b in zip(pixel, colour, strict=True)), (pixel, colour)
    labelled = []
    for legend in legends:
        for numbers, unit in re.findall(r"^(\d+(?:–\d+)?)：(\S+)$", legend, re.M):
            first, _, last = numbers.partition("–")
            labelled += [unit] * (int(last or first) - int(first) + 1)
    assert labelled == [unit for unit, _ in photos]


async def test_late_list_docx_and_chat_text(desk, sandbox, admin):
    seeded = desk.seeded
    await admin.command("late")
    sent = await admin.wait_reply(count=3, timeout=30)
    sent = sent[:2]                   # the text and the late list; the 通报 draft follows
    text = sent[0].plain_text
    assert "迟交、未交情况（截至 6月25日 10:30）" in text
    assert "联络员推荐表：迟交 0 · 未交 3" in text
    assert "活动方案：迟交 0 · 未交 50" in text
    late = sum(1 for w in range(4) for i in range(50) if fate(i, w)[0] == "late")
    missing = sum(1 for w in range(4) for i in range(50) if fate(i, w)[0] == "missing")
    assert f"每周活动材料：迟交 {late} · 未交 {missing}" in text
    document = Document(io.BytesIO(sent[-1].document.data))
    assert sent[-1].document.file_name == "迟交未交通报_2026-06-25.docx"
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs[:4] == [
        "迟交、未交情况通报", "（2026年安全生产月 · 截至 6月25日 10:30）",
        "现将2026年安全生产月各单位材料报送中迟交、未交和本期无材料的情况通报如下"
        "（范围：全部单位；统计截至 6月25日 10:30）。", "一、联络员推荐表"]
    assert "二、活动方案" in paragraphs and "三、每周活动材料" in paragraphs
    assert paragraphs[-2:] == ["安全生产月活动办公室", "2026年6月25日"]
    registration, plan, weekly = document.tables
    order = office_order(seeded)
    assert [[c.text for c in row.cells] for row in registration.rows] == [
        ["序号", "单位", "期次", "情况"],
        *[[str(n), name, "6月2日 18:00", "未交"] for n, name in enumerate(
            [name for name in order if seeded.names.index(name) in NO_LIAISON], start=1)]]
    assert len(plan.rows) == 51
    rows = [[c.text for c in row.cells] for row in weekly.rows][1:]
    days = ("6月4日", "6月11日", "6月18日", "6月25日")
    missing_rows = [(name, f"{days[w]}一期", "未交") for w in range(4) for name in order
                    if fate(seeded.names.index(name), w)[0] == "missing"]
    late_rows = sorted(((name, w) for w in range(4) for name in order
                        if fate(seeded.names.index(name), w)[0] == "late"),
                       key=lambda pair: (-fate(seeded.names.index(pair[0]), pair[1])[1],
                                         pair[1], order.index(pair[0])))
    want = missing_rows + [(name, f"{days[w]}一期", state_text(seeded.names.index(name), w))
                           for name, w in late_rows]
    assert [tuple(row[1:]) for row in rows] == want
    assert [row[0] for row in rows] == [str(n) for n in range(1, len(want) + 1)]


async def test_a_liaison_gets_none_of_the_desk_commands(desk, sandbox):
    liaison = sandbox.users[LIAISON_BASE_ID + 3]
    for command in ("status", "missing", "roster", "export all", "photos", "late"):
        await liaison.send("/" + command)
        reply = await liaison.wait_reply()
        assert reply[-1].text == "此功能仅限协调员使用。", command
        assert reply[-1].document is None and reply[-1].photo is None
    await liaison.press_data(f"desk:remind:{desk.seeded.weekly_id}:2026-06-25")
    await liaison.wait_quiet(0.5)
    assert sandbox.callback_answers[-1]["text"] == "此功能仅限协调员使用。"
    await liaison.press_data(f"desk:status:{desk.seeded.weekly_id}:2026-06-25:0")
    await liaison.wait_quiet(0.5)
    assert sandbox.callback_answers[-1]["text"] == "此功能仅限协调员使用。"
    assert all(len(user.texts()) == 0 for uid, user in sandbox.users.items()
               if uid >= LIAISON_BASE_ID and uid != LIAISON_BASE_ID + 3)


async def test_a_city_coordinator_gets_only_the_city_in_every_file(desk, sandbox):
    seeded = desk.seeded
    city = CITIES[0]
    mine = [name for name in office_order(seeded) if seeded.city_of[name] == city]
    coordinator = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")

    await coordinator.command("roster")
    (sent,) = await document_of(coordinator)
    sheet = load_workbook(io.BytesIO(sent.document.data)).active
    assert [row[1] for row in sheet.iter_rows(min_row=5, values_only=True)] == mine
    assert sheet["A3"].value.startswith("截至 6月25日 10:30 · 长春市及下属单位 · ")

    await coordinator.command("export", "all")
    (sent,) = await document_of(coordinator, count=2, timeout=60)
    archive = zipfile.ZipFile(io.BytesIO(sent.document.data))
    top = "2026年安全生产月_全部材料_2026-06-25"
    folders = {name.split("/")[3] for name in archive.namelist()
               if name.startswith(f"{top}/每周活动材料/") and name.count("/") >= 4}
    assert folders <= set(mine) and folders
    sheet = load_workbook(io.BytesIO(archive.read(f"{top}/报送汇总.xlsx"))).active
    assert [row[1] for row in sheet.iter_rows(min_row=5, max_row=len(mine) + 4,
                                               values_only=True)] == mine
    assert sheet.max_row == len(mine) + 5
    index = archive.read(f"{top}/index.html").decode()
    assert set(re.findall(r"<h3>(.+?)</h3>", index)) == set(mine)

    await coordinator.command("late")
    sent = (await coordinator.wait_reply(count=3, timeout=30))[:2]   # then the 通报 draft
    document = Document(io.BytesIO(sent[-1].document.data))
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert "（范围：长春市及下属单位；统计截至 6月25日 10:30）" in paragraphs[2]
    assert paragraphs[-2] == "长春市"
    units = {row.cells[1].text for table in document.tables for row in table.rows[1:]}
    assert units <= set(mine) and units

    await coordinator.command("photos")
    await coordinator.wait_reply(count=2, timeout=30)
    await coordinator.wait_quiet(0.5)
    legend = "\n".join(s.plain_text or "" for s in coordinator.messages
                       if "张的编号" in (s.plain_text or ""))
    shown = set(re.findall(r"：(\S+)$", legend, re.M))
    assert shown == {unit for unit, _ in seeded.photos[WEEKS[3]] if seeded.city_of[unit] == city}


async def test_no_campaign_files_say_how_to_start_one(bot, sandbox, admin):
    for command in ("late", "export", "photos"):
        await admin.command(command)
        assert "/campaign" in (await admin.wait_reply())[-1].plain_text, command


async def test_export_of_an_unknown_week_names_the_weeks(desk, sandbox, admin):
    await admin.command("export", "2026-07-09")
    reply = (await admin.wait_reply())[-1].plain_text
    assert "没有“2026-07-09”这一期" in reply and "2026-06-04" in reply
