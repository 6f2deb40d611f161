"""The desk's files on the seeded campaign: roster, summary, export zip, contact sheet, late
list; and who may have them."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

from docx import Document
from openpyxl import load_workbook
from PIL import Image

from bot.desk.contact_sheets import COLUMNS, LABEL, TILE
from tests.desk_seed import (
    CITIES,
    LIAISON_BASE_ID,
    NO_LIAISON,
    SCOPED_COORDINATOR_ID,
    WEEKS,
    expected,
    fate,
)
from tests.test_desk_flow import zh_duration

ROSTER_HEADER = ["序号", "单位名称", "姓名", "性别", "职务", "办公电话", "手机", "传真", "QQ号",
                 "微信号", "电子邮箱", "通信地址", "登记时间"]


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
    assert rows[0] == ROSTER_HEADER
    assert [row[1] for row in rows[1:]] == sorted(seeded.names)
    for number, row in enumerate(rows[1:], start=1):
        index = seeded.names.index(row[1])
        assert row[0] == number
        if index in NO_LIAISON:
            assert row[2:] == [None] * 11
            continue
        assert row[2:] == [
            f"联络员{index:02d}", "男" if index % 2 else "女", "科长", f"0431-8888{index:04d}",
            f"139{index:08d}", None, f"{10000 + index}", f"wx{index}", f"u{index}@example.cn",
            f"人民大街{index}号", "5月20日 09:00"]


async def test_export_week_zip_summary_and_index(desk, sandbox, admin):
    seeded = desk.seeded
    week = 2
    await admin.command("export", "2026-06-18")
    (sent,) = await document_of(admin, count=2)
    assert sent.document.file_name == "export_2026-06-18.zip"
    archive = zipfile.ZipFile(io.BytesIO(sent.document.data))
    names = archive.namelist()
    assert len(names) == len(set(names))
    photos = [name for name in names if re.fullmatch(r"[^/]+/[^/]+_2026-06-18_\d+\.jpg", name)]
    stored = {hashlib.sha256(archive.read(name)).hexdigest(): name for name in photos}
    assert len(photos) == len(stored) == len(seeded.photos[WEEKS[week]])
    for sha, name in stored.items():
        unit = seeded.files[sha][0]
        assert name.startswith(f"{unit}/{unit}_2026-06-18_")
        assert archive.read(name) == seeded.files[sha][1]
    texts = [name for name in names if name.endswith(".txt")]
    assert sorted(archive.read(name).decode().strip() for name in texts) == \
        sorted(text for _, text in seeded.texts[WEEKS[week]])
    index = archive.read("index.html").decode()
    referenced = set(re.findall(r'(?:src|href)="([^"]+)"', index))
    assert referenced <= set(names)
    assert set(photos) <= referenced and set(texts) <= referenced
    assert any("/thumbs/" in name for name in referenced)
    for name in seeded.names:
        assert f"<h2>{name}</h2>" in index

    sheet = load_workbook(io.BytesIO(archive.read("summary.xlsx"))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["单位", "每周活动材料（6月18日一期）", "按时合计", "迟交合计", "未交合计"]
    body = rows[1:51]
    assert [row[0] for row in body] == sorted(seeded.names)
    for row in body:
        text = state_text(seeded.names.index(row[0]), week)
        assert row[1] == text
        assert row[2:] == [int(text == "按时"), int(text.startswith("迟交")), int(text == "未交")]
    groups = expected(seeded, week)
    assert rows[51:] == [["按时合计", len(groups["on_time"]), None, None, None],
                         ["迟交合计", len(groups["late"]), None, None, None],
                         ["未交合计", len(groups["missing"]), None, None, None]]


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
    media = [name for name in archive.namelist()
             if name.endswith(".jpg") and "/thumbs/" not in name]
    contents = [hashlib.sha256(archive.read(name)).hexdigest() for name in media]
    assert sorted(contents) == sorted(seeded.files)
    for name, sha in zip(media, contents, strict=True):
        unit = seeded.files[sha][0]
        assert re.fullmatch(rf"{unit}/{unit}_2026-06-\d\d_\d+\.jpg", name)
    index = archive.read("index.html").decode()
    assert set(re.findall(r'(?:src|href)="([^"]+)"', index)) <= set(archive.namelist())
    sheet = load_workbook(io.BytesIO(archive.read("summary.xlsx"))).active
    header = [cell.value for cell in sheet[1]]
    weekly = [f"每周活动材料（{d}一期）" for d in ("6月4日", "6月11日", "6月18日", "6月25日")]
    assert header == ["单位", "联络员推荐表", "活动方案", *weekly, "按时合计", "迟交合计",
                      "未交合计"]
    for row in sheet.iter_rows(min_row=2, max_row=51, values_only=True):
        index_of = seeded.names.index(row[0])
        assert list(row[3:7]) == [state_text(index_of, week) for week in range(4)]
        assert row[2] == "未交"


async def test_contact_sheet_has_one_labelled_tile_per_photo(desk, sandbox, admin):
    seeded = desk.seeded
    week = 1
    photos = sorted(seeded.photos[WEEKS[week]], key=lambda p: sorted(seeded.names).index(p[0]))
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
    sent = await admin.wait_reply(count=2, timeout=30)
    text = sent[0].plain_text
    assert "迟交、未交情况（截至 6月25日 10:30）" in text
    assert "联络员推荐表：迟交 0 · 未交 3" in text
    assert "活动方案：迟交 0 · 未交 50" in text
    late = sum(1 for w in range(4) for i in range(50) if fate(i, w)[0] == "late")
    missing = sum(1 for w in range(4) for i in range(50) if fate(i, w)[0] == "missing")
    assert f"每周活动材料：迟交 {late} · 未交 {missing}" in text
    document = Document(io.BytesIO(sent[-1].document.data))
    assert sent[-1].document.file_name == "迟交未交通报_2026-06-25.docx"
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[:4] == ["迟交、未交情况通报", "活动：2026年安全生产月",
                              "截至：6月25日 10:30", "范围：全部单位"]
    registration, plan, weekly = document.tables
    assert [[c.text for c in row.cells] for row in registration.rows] == [
        ["序号", "单位", "期次", "情况"],
        *[[str(n), name, "6月2日 18:00", "未交"] for n, name in enumerate(
            sorted(seeded.names[i] for i in NO_LIAISON), start=1)]]
    assert len(plan.rows) == 51
    rows = [[c.text for c in row.cells] for row in weekly.rows][1:]
    want = [(f"{d}一期", name, state_text(seeded.names.index(name), w))
            for w, d in enumerate(("6月4日", "6月11日", "6月18日", "6月25日"))
            for name in sorted(seeded.names) if fate(seeded.names.index(name), w)[0] != "on_time"]
    assert [tuple(row[1:]) for row in rows] == [(name, period, state)
                                                 for period, name, state in want]
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
    mine = sorted(name for name in seeded.names if seeded.city_of[name] == city)
    coordinator = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")

    await coordinator.command("roster")
    (sent,) = await document_of(coordinator)
    sheet = load_workbook(io.BytesIO(sent.document.data)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == mine

    await coordinator.command("export", "all")
    (sent,) = await document_of(coordinator, count=2, timeout=60)
    archive = zipfile.ZipFile(io.BytesIO(sent.document.data))
    folders = {name.split("/")[0] for name in archive.namelist() if "/" in name}
    assert folders <= set(mine) and folders
    sheet = load_workbook(io.BytesIO(archive.read("summary.xlsx"))).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, max_row=len(mine) + 1,
                                               values_only=True)] == mine
    assert sheet.max_row == len(mine) + 4
    index = archive.read("index.html").decode()
    assert set(re.findall(r"<h2>(.+?)</h2>", index)) == set(mine)

    await coordinator.command("late")
    sent = await coordinator.wait_reply(count=2, timeout=30)
    document = Document(io.BytesIO(sent[-1].document.data))
    assert "范围：长春市及下属单位" in [p.text for p in document.paragraphs]
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
