"""/bulletin: the week's 工作简报 as a .docx — masthead, figures, the adopted pieces in
order (at most three photos each, upright), the units that did not report; reordered and
trimmed from its list; rendered by LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from datetime import datetime, timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn
from PIL import Image

from bot.storage.submissions import ArchivedItem
from tests.desk_seed import (
    LIAISON_BASE_ID,
    SCOPED_COORDINATOR_ID,
    TZ,
    WEEKS,
    _store,
    expected,
    fate,
)
from tests.scoring_support import adopt, submission_of

WEEK = 1            # the second week: 6月11日一期, issue 2


def reported(seeded, week: int = WEEK) -> list[str]:
    return [name for index, name in enumerate(seeded.names)
            if index >= 2 and fate(index, week)[0] != "missing"]


def sideways_photo(number: int) -> bytes:
    """A landscape JPEG whose EXIF says "rotate 90°": upright it is portrait."""
    image = Image.new("RGB", (120, 60), (200, 30 + number * 40, 30))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


async def add_photos(world, name: str, count: int) -> None:
    storage = world.bot.storage
    submission = await submission_of(world, name, WEEK)
    received = world.clock.now - timedelta(days=10)
    items = []
    for number in range(count):
        sha, _ = _store(world.bot.settings.media_dir, sideways_photo(number), thumb=False)
        items.append(ArchivedItem("photo", received, f"现场照片{number}", sha, None, None,
                                  "image/jpeg", 100))
    await storage.submissions.record_archived(submission.unit_id, submission.deliverable_id,
                                              submission.period, items)


def structure(data: bytes) -> list[tuple[str, str, int]]:
    """(style, text, pictures in the paragraph) for every paragraph of the body."""
    document = Document(io.BytesIO(data))
    return [(p.style.name, p.text, len(p._p.findall(".//" + qn("w:drawing"))))
            for p in document.paragraphs]


def pieces_of(paragraphs) -> list[tuple[str, int, list[str]]]:
    """(heading, pictures, texts) per piece: the level-2 headings and what follows them."""
    found = []
    for style, text, pictures in paragraphs:
        if style == "GW Heading 1" and found:
            found.append(None)
        if found and found[-1] is None:
            continue
        if style == "GW Heading 2":
            found.append([text, 0, []])
        elif found:
            found[-1][1] += pictures
            if text:
                found[-1][2].append(text)
    return [tuple(piece) for piece in found if piece is not None]


async def bulletin_list(user, argument: str = ""):
    await user.command("bulletin", argument)
    (listing,) = await user.wait_reply(timeout=20)
    return listing


async def build(user, listing) -> bytes:
    await user.press("📄 生成简报", listing)
    sent = await user.wait_reply(timeout=60)
    (document,) = [s for s in sent if s.document is not None]
    return document.document.data


async def test_the_bulletin_holds_the_adopted_pieces_in_order(desk, sandbox, admin, tmp_path):
    seeded = desk.seeded
    first, second, third = reported(seeded)[3:6]
    await add_photos(desk, second, 3)          # with its own one or two: four or five photos
    for name, level in ((first, "县级简报采用"), (second, "市级简报采用"), (third, "县级专报采用"),
                        (first, "市级专报采用")):
        await adopt(desk, admin, (await submission_of(desk, name, WEEK)).id, level)
    listing = await bulletin_list(admin, "2")
    text = listing.plain_text
    assert "工作简报 · 第 2 期（6月11日一期）" in text
    assert f"1. {first} — 县级简报采用、市级专报采用" in text
    assert f"2. {second} — 市级简报采用" in text and f"3. {third} — 县级专报采用" in text
    data = await build(admin, listing)

    paragraphs = structure(data)
    assert paragraphs[0][:2] == ("GW Masthead", "安全生产月工作简报")
    assert paragraphs[1][1] == "第2期"
    assert paragraphs[2][1].startswith("安全生产月活动办公室\t2026年6月25日")
    groups = expected(seeded, WEEK)
    photos = sum(1 + index % 2 for index, name in enumerate(seeded.names)
                 if fate(index, WEEK)[0] != "missing") + 3
    figures = next(text for _, text, _ in paragraphs if text.startswith("本期（"))
    assert figures == (
        f"本期（6月11日一期）应报送单位 50 个，已报送 {50 - len(groups['missing'])} 个，其中按时 "
        f"{len(groups['on_time'])} 个、迟报 {len(groups['late'])} 个，未报送 "
        f"{len(groups['missing'])} 个；收到照片 {photos} 张，事件报告 0 份。")
    pieces = pieces_of(paragraphs)
    assert [heading for heading, _, _ in pieces] == [f"（一）{first}", f"（二）{second}",
                                                     f"（三）{third}"]
    assert pieces[1][1] == 3                                  # four or more photos: three
    for heading, pictures, texts in pieces:
        name = heading[3:]
        index = seeded.names.index(name)
        assert pictures == min(3, 1 + index % 2 + (3 if name == second else 0))
        assert f"{name}第{WEEK + 1}周开展安全宣传活动。" in texts
    unreported_at = [text for _, text, _ in paragraphs].index("三、本期未报送单位")
    office_order = [name for city in ("长春市", "吉林市") for name in seeded.names
                    if seeded.city_of[name] == city]
    assert paragraphs[unreported_at + 1][1] == "、".join(
        name for name in office_order if name in groups["missing"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        media = [name for name in archive.namelist() if name.startswith("word/media/")]
        assert len(media) == sum(pictures for _, pictures, _ in pieces)
        sizes = [Image.open(io.BytesIO(archive.read(name))).size for name in media]
    own = 1 + seeded.names.index(second) % 2         # its seeded photos come first
    assert sum(1 for width, height in sizes if height > width) == 3 - own   # upright

    if not all(shutil.which(tool) for tool in ("soffice", "pdftoppm", "pdftotext")):
        pytest.skip("LibreOffice (soffice) and poppler-utils are not installed")
    source = tmp_path / "bulletin.docx"
    source.write_bytes(data)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "bulletin.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.replace(" ", "")
    assert "安全生产月工作简报" in text and "本期未报送单位" in text and second in text
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, capture_output=True, timeout=120)
    (page,) = tmp_path.glob("page*.png")
    with Image.open(page) as image:
        width, height = image.size
        assert abs(width / height - 210 / 297) < 0.01                    # A4 portrait
        pixels = image.convert("RGB").tobytes()
        red = sum(1 for at in range(0, len(pixels), 3)
                  if pixels[at] > 150 and pixels[at + 1] < 80)
        assert red > 50                                                  # the red masthead


async def test_a_coordinator_reorders_and_leaves_out_pieces(desk, sandbox, admin):
    first, second, third = reported(desk.seeded)[6:9]
    for name in (first, second, third):
        await adopt(desk, admin, (await submission_of(desk, name, WEEK)).id, "县级简报采用")
    listing = await bulletin_list(admin, "6月11日")
    assert listing.button_texts() == ["✖ 1", "⬆ 2", "✖ 2", "⬆ 3", "✖ 3", "📄 生成简报"]
    await admin.press("⬆ 3", listing)
    (listing,) = await admin.wait_reply()
    assert f"2. {third}" in listing.plain_text
    await admin.press("✖ 1", listing)
    (listing,) = await admin.wait_reply()
    assert f"1. {first} — 已删除" in listing.plain_text and "↩ 1" in listing.button_texts()
    pieces = pieces_of(structure(await build(admin, listing)))
    assert [heading for heading, _, _ in pieces] == [f"（一）{third}", f"（二）{second}"]
    # forged and stale presses change nothing
    for data in ("score:piece:up:0", "score:piece:drop:9", "score:piece:jump:1"):
        await admin.press_data(data, listing)
        await admin.wait_quiet()
        assert sandbox.callback_answers[-1]["text"] == "这个按钮已过期。"


async def test_nothing_adopted_the_on_time_pieces_go_in(desk, sandbox, admin):
    scoped = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")
    listing = await bulletin_list(scoped, "1")
    assert "本期尚无采用稿件" in listing.plain_text
    data = await build(scoped, listing)
    paragraphs = structure(data)
    assert paragraphs[2][1].startswith("长春市\t")              # a scoped desk issues as its unit
    assert "二、按时报送材料" in [text for _, text, _ in paragraphs]
    assert "本期尚无采用稿件，以下为按时报送的材料。" in [text for _, text, _ in paragraphs]
    seeded = desk.seeded
    on_time = [name for city in ("长春市",) for index, name in enumerate(seeded.names)
               if seeded.city_of[name] == city and fate(index, 0)[0] == "on_time"]
    assert [heading.split("）", 1)[1] for heading, _, _ in pieces_of(paragraphs)] == on_time
    liaison = sandbox.user(LIAISON_BASE_ID + 3, "联络员03")
    await liaison.command("bulletin")
    (refused,) = await liaison.wait_reply()
    assert refused.plain_text == "此功能仅限协调员使用。"
    await liaison.press_data("score:piece:build:0", liaison.last)
    await liaison.wait_quiet()
    assert sandbox.callback_answers[-1]["text"] == "这个按钮已过期。"
    assert WEEKS[0] == "2026-06-04" and TZ.key == "Asia/Shanghai"


async def test_an_adopted_event_report_of_the_week_goes_in_and_is_counted(desk, sandbox, admin):
    storage = desk.bot.storage
    seeded = desk.seeded
    calendar = await storage.campaigns.calendar()
    event = calendar.rule("event")
    name = reported(seeded)[10]
    received = datetime(2026, 6, 8, 15, 0, tzinfo=TZ)           # within the second week
    submission_id = await storage.submissions.record_archived(
        seeded.units[name], event.id, "event-1",
        [ArchivedItem("text", received, "6月8日开展消防应急演练，参加人员120人。")])
    await storage.submissions.record_archived(         # another week's event: not counted
        seeded.units[name], event.id, "event-2",
        [ArchivedItem("text", received + timedelta(days=5), "另一周的演练。")])
    await adopt(desk, admin, submission_id, "县级简报采用")
    listing = await bulletin_list(admin, "2")
    assert f"1. {name}（大型活动、演练报告（第 1 份））" in listing.plain_text
    paragraphs = structure(await build(admin, listing))
    assert any(text.endswith("事件报告 1 份。") for _, text, _ in paragraphs)
    (piece,) = pieces_of(paragraphs)
    assert piece[0] == f"（一）{name}" and piece[2] == ["6月8日开展消防应急演练，参加人员120人。"]


async def test_an_unknown_issue_is_answered_in_one_line(desk, sandbox, admin):
    for argument in ("9", "7月30日", "下周"):
        await admin.command("bulletin", argument)
        (answer,) = await admin.wait_reply()
        assert answer.plain_text.startswith(f"没有“{argument}”这一期。可写期次（1–4）"), argument
