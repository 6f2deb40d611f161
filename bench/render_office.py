"""The office files as a person sees them: made by the real bot, printed by LibreOffice.

For 12 and 200 units (two cities and the units under them, liaisons, four weeks of
materials with a few nil reports and late units, statistics from two units in three) the
bot is asked, through the sandbox, for /roster, /export (one week: the summary workbook
and index.html), /late, /stats_xlsx (a liaison's attachment 2) and /stats_total; each file
is converted with ``soffice --headless --convert-to pdf``, its pages counted (``pdfinfo``)
and drawn as PNGs (``pdftoppm``) to look at; for the workbooks the PDF's text shows whether
every column is on every page (the last column's header on each page).

    python bench/render_office.py [--units 12 200] [--out /tmp/render] [--code DIR]

``--code DIR`` runs another checkout's bot (e.g. main's, for the figures before a change);
the bench itself only talks to the bot through the sandbox, so any version answers it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
TZ = ZoneInfo("Asia/Shanghai")
ADMIN = 1001
LIAISON_BASE = 50_000
NAMES = ("交通运输局", "城市管理行政执法局（市城市管理委员会）", "应急管理局", "住房和城乡建设局",
         "石化1#装置区", "教育局", "卫生健康委员会", "市场监督管理局", "消防救援支队",
         "第一中学", "经济技术开发区管理委员会", "生态环境局")
CITIES = ("长春市", "吉林市")
WEEKS = ("2026-06-04", "2026-06-11", "2026-06-18", "2026-06-25")


def unit_name(index: int) -> str:
    if index < len(CITIES):
        return CITIES[index]
    city = CITIES[index % len(CITIES)]
    return f"{city}{NAMES[index % len(NAMES)]}{index:03d}"


async def seed(bot, clock, sandbox, count: int) -> list[int]:
    """Units, liaisons, four weeks of materials, statistics; returns the liaisons' ids."""
    from PIL import Image

    from bot.kernel.schedule import deadlines, default_rules
    from bot.storage.submissions import ArchivedItem

    storage = bot.storage
    clock.now = datetime(2026, 5, 20, 9, 0, tzinfo=TZ)
    await storage.campaigns.create(2026, "2026年安全生产月", "人人讲安全、个个会应急",
                                   date(2026, 6, 1), date(2026, 6, 30), "Asia/Shanghai",
                                   default_rules(2026), created_by=ADMIN)
    calendar = await storage.campaigns.calendar()
    weekly = calendar.rule("weekly")
    due = {d.period: d for d in deadlines(weekly, TZ)}
    chance = random.Random(16)
    units: list[int] = []
    liaisons: list[int] = []
    media = bot.settings.media_dir
    for index in range(count):
        parent = None if index < len(CITIES) else units[index % len(CITIES)]
        unit = await storage.units.create(unit_name(index), parent, ADMIN)
        units.append(unit.id)
        if index % 9 == 5:
            continue
        person = LIAISON_BASE + index
        sandbox.user(person, f"联络员{index}")
        await storage.people.seen(person, person, f"联络员{index}", None, "zh")
        await storage.liaisons.register(unit.id, person, {
            "name": f"张{index}", "gender": "male" if index % 2 else "female",
            "position": "安全生产科科长", "office_phone": f"0431-8888{index:04d}",
            "mobile": f"139{index:08d}", "fax": f"0431-8777{index:04d}", "qq": f"{10000 + index}",
            "wechat": f"wx_liaison{index}", "email": f"liaison{index}@example.gov.cn",
            "address": f"吉林省长春市朝阳区人民大街{index}号{NAMES[index % len(NAMES)]}办公楼"})
        liaisons.append(person)
    for period in WEEKS:
        for index, unit_id in enumerate(units):
            roll = chance.random()
            if roll < 0.12:
                continue
            if roll < 0.17:
                await storage.submissions.record_nil(unit_id, weekly.id, period, None,
                                                     due[period].due - timedelta(hours=1), None)
                row = await storage.submissions.find(unit_id, weekly.id, period)
                await storage.submissions.set_nil_reason(row.id, "本周集中开展隐患排查，无宣传活动")
                continue
            late = 3600 * chance.randint(1, 30) if roll < 0.3 else None
            received = due[period].due + timedelta(seconds=late) if late else \
                due[period].due - timedelta(hours=3)
            buffer = io.BytesIO()
            Image.new("RGB", (80, 60), (chance.randrange(256), 120, 90)).save(buffer, "JPEG")
            data = buffer.getvalue()
            sha = hashlib.sha256(data).hexdigest()
            path = media / sha[:2] / sha
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            await storage.submissions.record_archived(unit_id, weekly.id, period, [
                ArchivedItem("photo", received, "启动仪式现场", sha, None, None, "image/jpeg",
                             len(data)),
                ArchivedItem("text", received, f"{unit_name(index)}开展安全生产宣传咨询活动，"
                             "发放资料三百余份，现场咨询一百余人次。")], late_seconds=late)
    version = await storage.stats.current_form()
    campaign = await storage.campaigns.current()
    for index, unit_id in enumerate(units):
        if index % 3 == 2:
            continue
        figures = {}
        for _, figure in version.form.figures:
            figures[figure.key] = (chance.randint(0, 40) if figure.type == "count" else
                                   chance.random() < 0.5 if figure.type == "yesno" else
                                   "以视频会议形式召开启动仪式，主要负责同志出席并讲话")
        await storage.stats.submit(unit_id, version.id, campaign.id, figures, "chat",
                                   datetime(2026, 6, 28, 9, 0, tzinfo=TZ), None, None, None)
    clock.now = datetime(2026, 6, 25, 10, 30, tzinfo=TZ)
    return liaisons


async def next_document(user, timeout: float = 120) -> bytes:
    """The next document the user is sent."""
    before = sum(1 for sent in user.messages if sent.document)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        documents = [sent.document for sent in user.messages if sent.document]
        if len(documents) > before:
            return documents[before].data
        await asyncio.sleep(0.1)
    raise TimeoutError(f"no document came; last said: {user.texts()[-2:]}")


async def files_for(count: int, work: Path) -> dict[str, bytes]:
    """The files the bot sends for a campaign of ``count`` units, by a short name."""
    from bot.sandbox import FakeTelegram
    from tests.conftest import BotUnderTest
    from tests.desk_seed import Clock

    sandbox = FakeTelegram()
    await sandbox.start()
    clock = Clock(datetime(2026, 5, 20, 9, 0, tzinfo=TZ))
    bot = BotUnderTest(sandbox, work / "data", frozenset({ADMIN}), clock=clock)
    await bot.start()
    found: dict[str, bytes] = {}
    try:
        liaisons = await seed(bot, clock, sandbox, count)
        admin = sandbox.user(ADMIN, "王主任", language_code="zh-hans")
        for command, argument, name in (("roster", "", "roster.xlsx"),
                                        ("export", "2026-06-18", "export.zip"),
                                        ("late", "", "late.docx"),
                                        ("stats_total", "", "stats_total.xlsx")):
            await admin.command(command, argument)
            found[name] = await next_document(admin)
        liaison = sandbox.users[liaisons[0]]
        await liaison.command("stats_xlsx")
        found["stats_unit.xlsx"] = await next_document(liaison)
    finally:
        await bot.stop()
        await sandbox.stop()
    archive = zipfile.ZipFile(io.BytesIO(found.pop("export.zip")))
    for entry in archive.namelist():
        if entry.endswith(".xlsx"):
            found["summary.xlsx"] = archive.read(entry)
        elif entry.endswith("index.html"):
            found["index.html"] = archive.read(entry)
    return found


def pdf_facts(pdf: Path) -> tuple[int, str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info)
    width, height = float(size.group(1)), float(size.group(2))
    a4 = abs(min(width, height) - 595) < 3 and abs(max(width, height) - 842) < 3
    paper = ("A4" if a4 else f"{width:.0f}x{height:.0f}pt") + \
        (" landscape" if width > height else " portrait")
    return pages, paper


def every_page_has(pdf: Path, words: list[str]) -> bool:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    pages = [page for page in text.split("\f") if page.strip()]
    return all(all(word in page for word in words) for page in pages)


LAST_HEADERS = {"roster.xlsx": ["序号", "登记时间"], "summary.xlsx": ["序号", "合计"],
                "stats_unit.xlsx": [], "stats_total.xlsx": [], "late.docx": []}


def render(found: dict[str, bytes], out: Path, label: str) -> list[tuple[str, int, str, str]]:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    for name, data in sorted(found.items()):
        if name == "index.html":
            (out / f"{label}_{name}").write_bytes(data)
            continue
        source = out / f"{label}_{name}"
        source.write_bytes(data)
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(out), str(source)],
                       capture_output=True, timeout=300, check=True)
        pdf = source.with_suffix(".pdf")
        pages, paper = pdf_facts(pdf)
        subprocess.run(["pdftoppm", "-r", "45", "-png", "-l", "3", str(pdf),
                        str(out / f"{label}_{Path(name).stem}")], check=True)
        wanted = LAST_HEADERS.get(name) or []
        whole = ("yes" if every_page_has(pdf, wanted) else "NO") if wanted else "–"
        rows.append((name, pages, paper, whole))
    shutil.rmtree(profile, ignore_errors=True)
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, nargs="+", default=[12, 200])
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "render")
    parser.add_argument("--code", type=Path, default=ROOT)
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    sys.path.insert(1, str(ROOT))
    for missing in [tool for tool in ("soffice", "pdfinfo", "pdftoppm", "pdftotext")
                    if shutil.which(tool) is None]:
        raise SystemExit(f"{missing} is not installed (LibreOffice / poppler-utils)")
    print(f"code: {args.code.resolve()}  out: {args.out}")
    print("| units | file | pages | paper | every column on every page |")
    print("|---|---|---|---|---|")
    for count in args.units:
        with tempfile.TemporaryDirectory() as work:
            found = await files_for(count, Path(work))
        for name, pages, paper, whole in render(found, args.out, f"u{count}"):
            print(f"| {count} | {name} | {pages} | {paper} | {whole} |")


if __name__ == "__main__":
    asyncio.run(main())
