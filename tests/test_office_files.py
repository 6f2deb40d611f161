"""Every file the bot makes, opened as an office opens it: no user text becomes a formula,
every workbook prints on A4 one page wide with its titles repeated, nil reports are never
"按时", the export's folders are valid and unique on every system, its index links are
percent-encoded and every thumbnail loads in Chromium, contact sheets take originals sent
as files; and, where LibreOffice is installed, the roster and attachment 2 print as
promised."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from bot.desk.contact_sheets import LABEL, TILE
from bot.kernel.text import WINDOWS_RESERVED
from tests.chromium import chromium, require_chromium
from tests.conftest import ADMIN_ID, BotUnderTest, add_unit, answer, create_campaign
from tests.desk_seed import WEEKS, fate
from tests.test_submissions_flow import sandbox_clock

TZ = ZoneInfo("Asia/Shanghai")
FOOTER = "第 &P 页 共 &N 页"
HOSTILE_UNITS = ("=长春市交通运输局", "#NAME?")
HOSTILE = {"name": "+李明", "position": "=SUM(1,2) 安全科长",
           "address": '=HYPERLINK("http://evil.example/x","点击查看详情")'}
HOSTILE_ANSWER = "=以视频会议形式召开启动仪式"
OTHER_ANSWER = "@全体\t-线上启动\r+线下"


@pytest.fixture
async def bot(sandbox, tmp_path):
    """The bot with the campaign set up, on a clock (``bot.clock``, the sandbox's message
    dates too) at Thursday 11 June, 09:00."""
    clock = sandbox_clock(sandbox, datetime(2026, 6, 11, 9, 0, tzinfo=TZ))
    under_test = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock)
    await under_test.start()
    await create_campaign(under_test)
    yield under_test
    await under_test.stop()


async def register(user, code: str, form: dict[str, str]) -> None:
    """Fill attachment 1 in chat: name, gender, position, mobile and the address typed,
    the other optional fields skipped."""
    await user.command("start", code)
    await user.wait_reply(count=2)
    await answer(user, form["name"])
    await answer(user, press="男", count=2)
    await answer(user, form["position"])
    await answer(user, press="跳过", count=2)          # office phone
    await user.send(form.get("mobile", "13912345678"))
    await user.wait_reply(count=2)
    for _ in range(4):                                  # fax, qq, wechat, email
        await answer(user, press="跳过", count=2)
    await answer(user, form["address"])
    await answer(user, press="✅ 确认提交", count=2)


async def document_after(user, command: str, argument: str = "", timeout: float = 60):
    """The document a command answers with."""
    before = sum(1 for sent in user.messages if sent.document)
    await user.command(command, argument)
    for _ in range(int(timeout * 10)):
        documents = [sent.document for sent in user.messages if sent.document]
        if len(documents) > before:
            return documents[before]
        await user.wait_quiet(0.1, timeout=1)
    raise AssertionError(f"no document for /{command}: {user.transcript()}")


def workbook_cells(data: bytes):
    workbook = load_workbook(io.BytesIO(data))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows()
                      for cell in row]


def assert_printable(sheet, landscape: bool, title_rows: str, freeze: str) -> None:
    setup = sheet.page_setup
    assert setup.paperSize == 9, sheet.title                           # A4
    assert setup.orientation == ("landscape" if landscape else "portrait"), sheet.title
    assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title  # one page wide
    assert sheet.print_title_rows == title_rows, sheet.title
    assert sheet.freeze_panes == freeze, sheet.title
    assert sheet.oddFooter.center.text == FOOTER, sheet.title


def assert_rows_fit(sheet, first: int, last: int) -> None:
    """Every row with wrapped text is at least as tall as its longest cell needs."""
    from bot.office.sheets import lines

    widths = {letter: sheet.column_dimensions[letter].width or 8.43
              for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    hidden = {letter for letter in widths if sheet.column_dimensions[letter].hidden}
    merged = {range_.start_cell.coordinate for range_ in sheet.merged_cells.ranges}
    for row in range(first, last + 1):
        for cell in sheet[row]:
            if cell.coordinate in merged or not isinstance(cell.value, str) \
                    or cell.column_letter in hidden:
                continue
            needed = lines(cell.value, widths[cell.column_letter]) * 11 * 1.3
            assert (sheet.row_dimensions[row].height or 15) >= needed, (sheet.title,
                                                                        cell.coordinate)


async def test_no_user_text_is_a_formula_and_every_workbook_prints(bot, sandbox, admin):
    """Unit names, a liaison's name, position and address and a statistics answer that
    start with = + # : each is in the roster, the summary, attachment 2 (the unit's and the
    totals) as the text typed, in a string cell; and every sheet has its print setup."""
    liaison = sandbox.user(6001, "李明")
    codes = [await add_unit(admin, name) for name in HOSTILE_UNITS]
    await register(liaison, codes[0], HOSTILE)
    unit = await bot.storage.units.by_name(HOSTILE_UNITS[0])
    form = await bot.storage.stats.current_form()
    campaign = await bot.storage.campaigns.current()
    await bot.storage.stats.submit(unit.id, form.id, campaign.id,
                                   {"launch_forms": HOSTILE_ANSWER, "leaflets": 12}, "chat",
                                   datetime(2026, 6, 30, tzinfo=UTC), 6001, None, None)
    other = await bot.storage.units.by_name(HOSTILE_UNITS[1])
    await bot.storage.stats.submit(other.id, form.id, campaign.id,
                                   {"launch_forms": OTHER_ANSWER}, "chat",
                                   datetime(2026, 6, 30, tzinfo=UTC), None, None, None)

    files = {"roster": await document_after(admin, "roster"),
             "export": await document_after(admin, "export", "2026-06-11"),
             "stats_total": await document_after(admin, "stats_total"),
             "stats_unit": await document_after(liaison, "stats_xlsx")}
    archive = zipfile.ZipFile(io.BytesIO(files.pop("export").data))
    (summary,) = [name for name in archive.namelist() if name.endswith(".xlsx")]
    books = {name: sent.data for name, sent in files.items()}
    books["summary"] = archive.read(summary)
    expected = {"roster": [*HOSTILE_UNITS, *HOSTILE.values()], "summary": [*HOSTILE_UNITS],
                "stats_total": [*HOSTILE_UNITS, HOSTILE_ANSWER, OTHER_ANSWER],
                "stats_unit": [HOSTILE_ANSWER, f"填报单位（盖章）：{HOSTILE_UNITS[0]}",
                               f"填报人：{HOSTILE['name']}"]}
    for name, data in books.items():
        cells = workbook_cells(data)
        assert [cell.coordinate for cell in cells if cell.data_type in ("f", "e")] == [], name
        values = {cell.value for cell in cells if isinstance(cell.value, str)}
        for text in expected[name]:
            assert text in values, (name, text)

    roster = load_workbook(io.BytesIO(books["roster"])).active
    assert_printable(roster, True, "$4:$4", "C5")
    assert roster.auto_filter.ref == "A4:N6"
    assert roster["B5"].border.left.style == "thin"
    assert_rows_fit(roster, 5, 6)
    sheet = load_workbook(io.BytesIO(books["summary"])).active
    assert_printable(sheet, True, "$3:$4", "C5")
    assert sheet.auto_filter.ref.startswith("A4:")
    stats_unit = load_workbook(io.BytesIO(books["stats_unit"])).worksheets[0]
    assert_printable(stats_unit, False, "$5:$5", "A6")
    assert stats_unit.oddHeader.right.text == HOSTILE_UNITS[0]
    assert_rows_fit(stats_unit, 6, stats_unit.max_row)
    totals = load_workbook(io.BytesIO(books["stats_total"]))
    for sheet in totals.worksheets:
        if sheet.sheet_state == "visible":
            title_rows = "$2:$2" if sheet.title in ("文字项", "未提交") else "$5:$5"
            assert_printable(sheet, False, title_rows, "A3" if title_rows == "$2:$2" else "A6")


async def send_photo_as(sandbox, bot, unit_name: str, user_id: int, colour, document=False):
    """A liaison of the unit (registered through storage the first time) sends a picture."""
    if user_id not in sandbox.users:
        unit = await bot.storage.units.by_name(unit_name)
        await bot.storage.people.seen(user_id, user_id, f"联络员{user_id}", None, "zh")
        await bot.storage.liaisons.register(unit.id, user_id, {"name": f"联络员{user_id}",
                                                               "mobile": f"139{user_id:08d}"})
    user = sandbox.user(user_id, f"联络员{user_id}")
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), colour).save(buffer, format="PNG" if document else "JPEG")
    if document:
        await user.send_document(buffer.getvalue(), "原图 现场.png", mime_type="image/png")
    else:
        await user.send_photo(buffer.getvalue())
    assert "已收到" in (await user.wait_reply(timeout=15))[-1].text, user.transcript()
    return user


TRICKY = ("甲/乙", "甲_乙", "长春市.", "长春市", "CON", "nul", "COM1", "长春石化1#装置区",
          "达标率50% 单位", "问答?单位")


def colour_of(number: int) -> tuple[int, int, int]:
    return (20 + number * 20, 200 - number * 15, (number * 70) % 256)


TOP = "2026年安全生产月_每周活动材料_6月11日一期"


async def tricky_export(bot, sandbox, admin) -> zipfile.ZipFile:
    """Units whose names collide once made safe, Windows device names, and names with #, %,
    spaces and ?: each liaison sends a picture (one as a file, 原图); the week's export."""
    for name in TRICKY:
        await add_unit(admin, name)
    for number, name in enumerate(TRICKY):
        await send_photo_as(sandbox, bot, name, 7000 + number, colour_of(number),
                            document=name == "长春石化1#装置区")
    sent = await document_after(admin, "export", "2026-06-11")
    return zipfile.ZipFile(io.BytesIO(sent.data))


async def test_export_folders_are_valid_on_every_system_unique_and_linked_once(
        bot, sandbox, admin):
    archive = await tricky_export(bot, sandbox, admin)
    week = f"{TOP}/每周活动材料/6月11日一期/"
    folders = {}
    for entry in archive.namelist():
        if entry.startswith(week) and not entry.endswith("说明.txt"):
            folders.setdefault(entry[len(week):].split("/")[0], []).append(entry)
    assert len(folders) == len(TRICKY)
    assert len({unicodedata.normalize("NFC", name).casefold() for name in folders}) == \
        len(TRICKY)
    for entry in archive.namelist():               # every part valid on Windows too
        for part in PurePosixPath(entry).parts:
            assert not re.search(r'[\\:*?"<>|\x00-\x1f]', part), entry
            assert part == part.strip() and not part.endswith("."), entry
            assert not WINDOWS_RESERVED.match(part.split(".")[0]), entry
    by_colour = {}
    for folder, entries in folders.items():
        (picture,) = entries
        with Image.open(io.BytesIO(archive.read(picture))) as image:
            by_colour[image.convert("RGB").getpixel((10, 10))] = folder
    for number, name in enumerate(TRICKY):          # each unit's picture in its own folder
        found = next(folder for pixel, folder in by_colour.items()
                     if all(abs(a - b) < 8 for a, b in zip(pixel, colour_of(number),
                                                           strict=True)))
        notes = archive.read(f"{week}{found}/说明.txt").decode("utf-8")
        assert f"单位：{name}\r\n" in notes
    assert sorted(folders)[:3] == ["_COM1", "_CON", "_nul"]
    assert {"甲_乙", "甲_乙_2", "长春市", "长春市_2"} <= set(folders)
    assert folders["长春石化1#装置区"] == [f"{week}长春石化1#装置区/长春石化1#装置区_原图 现场.png"]

    index = archive.read(f"{TOP}/index.html").decode("utf-8")
    assert "http" not in index                      # opens offline: nothing from a network
    links = re.findall(r'(?:href|src)="([^"]*)"', index)
    assert all(re.fullmatch(r"[A-Za-z0-9%/._~-]+", link) for link in links), links
    photos = [link for link in re.findall(r'class="photo" href="([^"]+)"', index)]
    assert len(photos) == len(set(photos)) == len(TRICKY)
    assert {unquote(link) for link in links} <= {name.removeprefix(f"{TOP}/")
                                                 for name in archive.namelist()}


async def test_the_unzipped_gallery_loads_every_thumbnail_in_chromium(bot, sandbox, admin,
                                                                     tmp_path):
    binary = require_chromium()
    archive = await tricky_export(bot, sandbox, admin)
    archive.extractall(tmp_path / "unzipped")
    page = (tmp_path / "unzipped" / TOP / "index.html").as_uri()
    async with chromium(binary) as browser:
        await browser.viewport(390, 844, mobile=True, scale=2)      # a phone
        await browser.open(page)
        images = await browser.evaluate("""(async () => {
            const images = [...document.querySelectorAll("main img")];
            images.forEach(image => { image.loading = "eager"; });
            await Promise.all(images.map(image => image.decode().catch(() => null)));
            return images.map(image => [image.getAttribute("src"),
                                        image.complete && image.naturalWidth > 0]);
        })()""")
        assert len(images) == len(TRICKY)
        assert [src for src, loaded in images if not loaded] == []
        assert await browser.evaluate(
            "document.documentElement.scrollWidth <= window.innerWidth + 1")
        box = await browser.evaluate("""(() => {
            const image = document.querySelector("main img");
            image.scrollIntoView({block: "center"});
            const r = image.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2];
        })()""")
        await browser.screenshot(tmp_path / "index-phone.png", whole_page=False)
        with Image.open(tmp_path / "index-phone.png") as shot:     # what a person sees
            seen = shot.convert("RGB").getpixel((int(box[0] * 2), int(box[1] * 2)))
        assert all(abs(a - b) < 12 for a, b in zip(seen, colour_of(0), strict=True)), seen
        opened = await browser.evaluate("""(async () => {
            document.querySelector("a.photo").click();
            const big = document.querySelector("#box img");
            await big.decode();
            return [document.getElementById("box").hidden, big.naturalWidth];
        })()""")
        assert opened == [False, 400]
        shown = await browser.evaluate("""(() => {
            document.getElementById("box").click();
            const pick = document.getElementById("unit");
            pick.value = pick.options[3].value;
            pick.dispatchEvent(new Event("change"));
            return [...document.querySelectorAll(".card")].filter(c => !c.hidden)
                .map(c => c.querySelector("h3").textContent);
        })()""")
        assert shown == [TRICKY[2]]


async def test_contact_sheets_take_originals_wrap_long_names_and_mark_the_late(
        bot, sandbox, admin):
    long_name = "长春市城市管理行政执法局（市城市管理委员会）"
    for name in (long_name, "长春市应急管理局"):
        await add_unit(admin, name)
    await send_photo_as(sandbox, bot, long_name, 7100, (200, 40, 40))
    await send_photo_as(sandbox, bot, long_name, 7100, (40, 200, 40), document=True)
    bot.clock.set(2026, 6, 11, 11, 30)                           # 1 h 30 min after 10:00
    await send_photo_as(sandbox, bot, "长春市应急管理局", 7102, (40, 40, 200))
    await admin.command("photos", "6-11")
    await admin.wait_reply(count=2, timeout=30)
    (sheet,) = [sent for sent in admin.messages if sent.photo is not None]
    assert "共 3 张照片" in sheet.plain_text
    image = Image.open(io.BytesIO(sheet.photo)).convert("RGB")
    assert image.size == (3 * TILE, TILE + LABEL)
    centres = [image.getpixel((n * TILE + TILE // 2, TILE // 2)) for n in range(3)]
    for pixel, want in zip(centres, [(200, 40, 40), (40, 200, 40), (40, 40, 200)],
                           strict=True):
        assert all(abs(a - b) < 16 for a, b in zip(pixel, want, strict=True)), centres

    def inked(left: int, top: int, height: int) -> bool:
        band = image.crop((left + 4, top, left + TILE - 4, top + height)).convert("L")
        return band.getextrema()[0] < 110

    from bot.desk.contact_sheets import LINE
    from bot.desk.drawing import cjk_face
    if cjk_face() is not None:                      # the long name takes two lines
        assert inked(0, TILE + 3 + LINE, LINE - 4)
        assert not inked(2 * TILE, TILE + 3 + LINE, LINE - 4)
    for tile in range(3):                           # the date, on every tile
        assert inked(tile * TILE, TILE + 3 + 2 * LINE, LINE - 6)
    red = image.getpixel((2 * TILE + 8, 10))       # the late one's marker
    assert red[0] > 150 and red[1] < 90 and red[2] < 90, red
    assert image.getpixel((8, 10)) != red


async def test_a_nil_report_is_never_on_time(desk, sandbox, admin):
    storage = desk.bot.storage
    seeded = desk.seeded
    unit = seeded.names[6]
    assert fate(6, 2) == ("missing", None)
    unit_id = seeded.units[unit]
    nil = await storage.submissions.record_nil(unit_id, seeded.weekly_id, WEEKS[2], None,
                                               datetime(2026, 6, 18, 9, 0, tzinfo=TZ), None)
    await storage.submissions.set_nil_reason(nil.submission.id, "本周全员参加应急演练")
    shown = "本期无材料（原因：本周全员参加应急演练）"

    sent = await document_after(admin, "export", "2026-06-18")
    archive = zipfile.ZipFile(io.BytesIO(sent.data))
    (summary,) = [name for name in archive.namelist() if name.endswith(".xlsx")]
    sheet = load_workbook(io.BytesIO(archive.read(summary))).active
    row = next(row for row in sheet.iter_rows(min_row=5, values_only=True) if row[1] == unit)
    assert row[3] == shown and row[5:] == (0, 0, 1, 0)
    total = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "合计")
    assert "本期无材料 1" in total[3] and total[7] == 1
    (index,) = [name for name in archive.namelist() if name.endswith("index.html")]
    page = archive.read(index).decode("utf-8")
    assert f'<h3>{unit}</h3><span class="badge">{shown}</span>' in page
    assert 'data-state="nil"' in page

    await admin.command("late")
    replies = (await admin.wait_reply(count=3, timeout=30))[:2]    # then the 通报 draft
    document = Document(io.BytesIO(replies[-1].document.data))
    weekly = document.tables[-1]
    rows = [[cell.text for cell in row.cells] for row in weekly.rows]
    assert [unit, "6月18日一期", shown] in [row[1:] for row in rows]
    assert [row[3] for row in rows[1:]].index(shown) > max(
        index for index, row in enumerate(rows[1:]) if row[3].startswith(("未交", "迟交")))


def late_list_checks(data: bytes) -> None:
    """The late list as GB/T 9704 lays a document out (shared with the render check)."""
    from docx.oxml.ns import qn
    from docx.shared import Mm

    document = Document(io.BytesIO(data))
    section = document.sections[0]
    found = (section.page_width, section.page_height, section.top_margin,
             section.bottom_margin, section.left_margin, section.right_margin)
    for length, millimetres in zip(found, (210, 297, 37, 35, 28, 26), strict=True):
        assert abs(length - Mm(millimetres)) < Mm(0.1), (found, millimetres)   # in twips
    styles = document.styles
    fonts = {name: styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))
             for name in ("GW Title", "GW Heading 1", "GW Body", "GW Table")}
    assert fonts == {"GW Title": "方正小标宋简体", "GW Heading 1": "黑体",
                     "GW Body": "仿宋_GB2312", "GW Table": "仿宋_GB2312"}
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    assert defaults.find(qn("w:rPr")).find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    font_table = next(rel.target_part for rel in document.part.rels.values()
                      if rel.reltype.endswith("/fontTable")).blob.decode("utf-8")
    for font, fallback in (("仿宋_GB2312", "仿宋"), ("方正小标宋简体", "华文中宋"),
                           ("黑体", "SimHei")):
        assert re.search(rf'w:name="{font}"><w:altName w:val="{fallback}"', font_table)
    titled = [p for p in document.paragraphs if p.style.name == "GW Title"]
    assert titled and titled[0].text == "迟交、未交情况通报"
    for table in document.tables:
        first = table.rows[0]
        assert first._tr.trPr.find(qn("w:tblHeader")) is not None      # repeated header
        assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
        widths = [cell.width for cell in first.cells]
        assert widths[0] < widths[2] < widths[1]                     # 序号 narrow, 单位 wide
        assert abs(sum(widths) - Mm(156)) < Mm(1)
    assert document.settings.odd_and_even_pages_header_footer
    for footer in (section.footer, section.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in xml and footer.paragraphs[0].text == "— 1 —"
    signature = [p for p in document.paragraphs if p.style.name == "GW Signature" and p.text]
    assert [p.text for p in signature] == ["安全生产月活动办公室", "2026年6月25日"]
    assert all(p.alignment == 2 for p in signature)                  # right


async def test_the_late_list_is_laid_out_as_a_gongwen(desk, sandbox, admin):
    await admin.command("late")
    replies = (await admin.wait_reply(count=3, timeout=30))[:2]    # then the 通报 draft
    late_list_checks(replies[-1].document.data)


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def convert(source: Path, out: Path) -> Path:
    subprocess.run(["soffice", f"-env:UserInstallation=file://{out}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=180)
    return source.with_suffix(".pdf")


async def test_libreoffice_prints_the_roster_one_page_wide_and_attachment_2_on_two_pages(
        desk, sandbox, admin, tmp_path):
    """The render check as an office does it (skipped where LibreOffice is missing; the
    figures for 12 and 200 units are bench/render_office.py's)."""
    if not all(shutil.which(tool) for tool in ("soffice", "pdftotext", "pdfinfo")):
        pytest.skip("LibreOffice (soffice) and poppler-utils are not installed")
    roster = tmp_path / "roster.xlsx"
    roster.write_bytes((await document_after(admin, "roster")).data)
    liaison = sandbox.users[5003]
    table = tmp_path / "table.xlsx"
    table.write_bytes((await document_after(liaison, "stats_xlsx")).data)
    pages = pdf_pages(convert(roster, tmp_path))
    assert 1 < len(pages) <= 4                   # 50 units
    for page in pages:                            # every column on every page, header too
        assert "序号" in page and "上级单位" in page and "登记时间" in page
    info = subprocess.run(["pdfinfo", str(tmp_path / "roster.pdf")], capture_output=True,
                          text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(width), round(height)) == (842, 595)      # A4 landscape, in points
    pages = pdf_pages(convert(table, tmp_path))
    assert len(pages) <= 2
    assert "附件2" in pages[0] and "填报单位（盖章）" in pages[0]
    assert all("项目" in page and "数值" in page for page in pages)


def test_the_gongwen_kit_has_a_masthead_and_pictures_for_the_bulletin(tmp_path):
    """What the weekly bulletin and the 通报 build on beyond the late list: 版头 (the
    issuer in red over a red rule, the document number) and a picture in the text area."""
    from docx.oxml.ns import qn
    from docx.shared import Mm

    from bot.office.gongwen import OfficialDocument, chinese_number

    assert [chinese_number(n) for n in (1, 10, 12, 20, 23)] == ["一", "十", "十二", "二十",
                                                                "二十三"]
    picture = tmp_path / "photo.png"
    Image.new("RGB", (800, 600), (10, 120, 200)).save(picture)
    document = OfficialDocument()
    document.masthead("长春市安全生产委员会办公室", "长安办〔2026〕12号")
    document.title("工作简报")
    document.picture(picture, 120)
    path = tmp_path / "bulletin.docx"
    document.save(path)
    opened = Document(path)
    issuer, number, *_ = opened.paragraphs
    assert issuer.text == "长春市安全生产委员会办公室" and issuer.style.name == "GW Masthead"
    assert str(opened.styles["GW Masthead"].font.color.rgb) == "C00000"
    assert number.text == "长安办〔2026〕12号"
    assert number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:color")) == "C00000"
    (shape,) = opened.inline_shapes
    assert abs(shape.width - Mm(120)) < Mm(0.1)
