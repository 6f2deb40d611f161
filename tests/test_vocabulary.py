"""One vocabulary: the same lateness and the same deliverable read the same on every path —
the receipt, /mysubmissions, /mystatus, the coordinator's digest, /status and the export's
summary.xlsx — because they all come from bot.kernel.words."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bot.kernel.words import Words
from bot.storage.submissions import NewItem
from bot.texts import Texts
from tests import backends
from tests.conftest import ADMIN_ID, BotUnderTest
from tests.schedule_support import SetClock, local, seed, wait_for

LATE_SECONDS = 3_599         # the case: 59 min 59 s, which is "1 hour" everywhere
DUE = local(2026, 6, 4, 10, 0)


async def test_a_lateness_and_a_deliverable_read_the_same_on_every_path(sandbox, tmp_path):
    words = Words(Texts.load(), "zh", ZoneInfo("Asia/Shanghai"))
    late = words.state("late", LATE_SECONDS)
    weekly = words.deliverable("weekly")
    assert late == "迟交 1 小时" and weekly == "每周活动材料"
    variants = ("59 分钟", "1 小时 0 分钟", "1小时", "每周材料", "逾期")

    seeded = await seed(tmp_path / "data", liaisons=2, only=("weekly",))
    early, live = seeded
    # the bot is down at the deadline; it starts at 10:59:50 and catches up on the digest
    clock = SetClock(DUE + timedelta(seconds=LATE_SECONDS - 10))
    sandbox.now = lambda: clock().timestamp()
    admin = sandbox.user(ADMIN_ID, "王主任", language_code="zh-hans")
    liaison = sandbox.user(live.person_id, live.name)
    sandbox.user(early.person_id, early.name)

    from bot.storage import Storage
    storage = Storage(backends.target(tmp_path / "data" / "bot.sqlite3"))
    await storage.open()
    calendar = await storage.campaigns.calendar()
    rule = calendar.rule("weekly")
    seeded_liaison = await storage.liaisons.open_for_person(early.person_id)
    await storage.submissions.add_items(
        early.unit_id, rule.id, "2026-06-04", seeded_liaison.id,
        [NewItem(kind="text", received_at=DUE + timedelta(seconds=LATE_SECONDS),
                 text="本周开展了应急演练", message_id=1, late_seconds=LATE_SECONDS)])
    await storage.close()

    bot = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock)
    await bot.start()
    try:
        def digests() -> list[str]:
            return [sent.plain_text for sent in sandbox.messages_to(ADMIN_ID)
                    if sent.plain_text.startswith("📋")]
        await wait_for(digests)
        paths: dict[str, str] = {"digest": digests()[0]}

        # the live liaison's text, 3,599 s after the deadline by its message date
        while clock() < DUE + timedelta(seconds=LATE_SECONDS):
            await asyncio.sleep(0.05)
        await liaison.send("补报：本周安全宣传咨询日活动")
        paths["receipt"] = (await liaison.wait_reply())[-1].plain_text
        await liaison.command("mysubmissions")
        paths["mysubmissions"] = (await liaison.wait_reply())[-1].plain_text
        await liaison.command("mystatus")
        paths["mystatus"] = (await liaison.wait_reply())[-1].plain_text

        await admin.command("status")
        paths["status"] = (await admin.wait_reply())[-1].plain_text
        await admin.command("export")
        sent = await admin.wait_reply(count=2, timeout=30)
        (zipped,) = [s for s in sent if s.document is not None]
        with zipfile.ZipFile(io.BytesIO(zipped.document.data)) as archive:
            (name,) = [name for name in archive.namelist() if name.endswith("/报送汇总.xlsx")]
            summary = load_workbook(io.BytesIO(archive.read(name))).active
        cells = [str(cell.value) for row in summary.iter_rows() for cell in row
                 if cell.value is not None]
        paths["summary.xlsx"] = "\n".join(cells)

        for path, text in paths.items():
            assert weekly in text, (path, text)
            for variant in variants:
                assert variant not in text, (path, variant, text)
        for path in ("digest", "receipt", "mysubmissions", "mystatus", "status",
                     "summary.xlsx"):
            assert late in paths[path], (path, paths[path])
    finally:
        await bot.stop()
