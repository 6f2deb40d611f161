"""退回待改 on the desk's files and the digest, on the seeded campaign: a unit whose week is
returned is not delivered, and every file says why — the late list (chat and .docx), the
export's summary workbook and notes; the coordinator's digest marks it among the missing."""

from __future__ import annotations

import io
import re
import zipfile

from docx import Document
from openpyxl import load_workbook

from bot.kernel.schedule import deadlines
from bot.kernel.words import Words
from bot.outbox import notices
from bot.storage.audience import UnitContact
from bot.texts import Texts
from tests.desk_seed import TZ, WEEKS
from tests.test_desk_files_flow import document_of

WEEK = WEEKS[3]


async def return_first_card(admin, reason: str) -> str:
    """/review's first card (6/25) returned with ``reason``; the unit's name."""
    await admin.command("review")
    card = (await admin.wait_reply(count=2))[-1]
    unit = re.match(r"(\S+) — ", card.plain_text).group(1)
    await admin.press("↩️ 退回", card)
    await admin.wait_reply()
    await admin.send(reason)
    assert "已退回" in (await admin.wait_reply())[-1].plain_text
    return unit


async def test_the_late_list_and_the_export_say_returned_for_revision(desk, sandbox, admin):
    unit = await return_first_card(admin, "照片与活动无关")

    await admin.command("late")
    sent = await admin.wait_reply(count=3, timeout=30)   # the text, the list, the 通报 draft
    document = Document(io.BytesIO(sent[1].document.data))
    weekly = document.tables[-1]
    rows = [[cell.text for cell in row.cells][1:] for row in weekly.rows]
    assert [unit, "6月25日一期", "退回待改"] in rows

    await admin.command("export", WEEK)
    (sent,) = await document_of(admin, count=2)
    archive = zipfile.ZipFile(io.BytesIO(sent.document.data))
    names = archive.namelist()
    summary = next(name for name in names if name.endswith("报送汇总.xlsx"))
    sheet = load_workbook(io.BytesIO(archive.read(summary))).active
    row = next(row for row in sheet.iter_rows(values_only=True) if row[1] == unit)
    assert "退回待改" in row
    notes = next(name for name in names if name.endswith(f"/{unit}/说明.txt"))
    text = archive.read(notes).decode("utf-8")
    assert "情况：退回待改" in text and "退回（6月25日 10:30）：照片与活动无关" in text


async def test_the_digest_marks_a_returned_unit_among_the_missing(desk):
    calendar = await desk.bot.storage.campaigns.calendar()
    rule = calendar.rule("weekly")
    deadline = next(d for d in deadlines(rule, TZ) if d.period == WEEK)
    units = [UnitContact(1, "甲单位", 11, "张三", "13900000001", 11, "zh", True),
             UnitContact(2, "乙单位", 12, "李四", "13900000002", 12, "zh", True)]
    words = Words(Texts.load(), "zh", TZ)
    (text,) = notices.digest(words, rule, deadline, units, {}, frozenset({2}))
    lines = text.splitlines()
    assert "• 甲单位 — 张三，13900000001" in lines
    assert "• 乙单位 — 李四，13900000002 — 退回待改" in lines
