"""Issue 13, points 9 (the file half), 10 and 11: a hostile file is refused with one clear
line, parsed off the event loop with caps, and the bot answers everyone else meanwhile.
Through the sandbox with the real bot; the 20 M-cell workbook also against the bot as a
real process."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from bot.storage import Storage
from tests import backends
from tests.bombs import deep_json, pixel_bomb_png, wide_row_xlsx, xlsx_bomb
from tests.conftest import ADMIN_ID
from tests.desk_seed import TZ
from tests.processes import BotProcess
from tests.test_submissions_flow import Clock, sandbox_clock, submission

MB = 1024 * 1024


@pytest.fixture
def clock(sandbox) -> Clock:
    """No plan due: the files are weekly materials."""
    return sandbox_clock(sandbox, datetime(2026, 6, 11, 9, 0, tzinfo=TZ))


async def help_is_answered(sandbox, user_id: int = 7001) -> None:
    other = sandbox.user(user_id, "路人")
    await other.command("help")
    assert (await other.wait_reply(timeout=10))[-1].text


# --------------------------------------------------------------------------- 11: json


async def test_a_deeply_nested_json_definition_is_refused_as_not_a_form(bot, sandbox, admin):
    for depth, name in ((100_000, "deep.json"), (50, "fifty.json")):
        await admin.send_document(deep_json(depth), name)
        refused = (await admin.wait_reply())[-1].text
        assert "统计表定义有 1 处错误，未加载" in refused, name
        assert "嵌套太深（超过 20 层），不是统计表定义" in refused, name
    # brackets inside a string are not nesting: this one is refused for what it is
    shallow = json.dumps({"id": "x", "title": "[" * 5000}).encode()
    await admin.send_document(shallow, "strings.json")
    refused = (await admin.wait_reply())[-1].text
    assert "嵌套太深" not in refused and "未加载" in refused
    assert (await bot.storage.stats.current_form()).id == 1
    await help_is_answered(sandbox)


# --------------------------------------------------------------------------- 9, 10: xlsx


async def test_a_statistics_workbook_bomb_is_refused_with_the_reason(bot, sandbox, liaison):
    bomb = xlsx_bomb()                     # 20 M cells, the marker's sheet beside them
    assert len(bomb) < 2 * MB
    await liaison.send_document(bomb, "统计表.xlsx")
    reply = (await liaison.wait_reply(timeout=20))[-1].text
    assert reply == ("这个统计表文件无法读取：解压后超过 32 MB。"
                     "请用 /stats_xlsx 重新下载统计表，只在黄色格子里填写后发送。")
    await help_is_answered(sandbox)
    assert await submission(bot, liaison, "weekly", "2026-06-11") is None   # not filed


async def test_sheet_limits_each_have_their_line(bot, sandbox, admin):
    cases = [
        (wide_row_xlsx(3_000_000), "解压后超过 32 MB"),          # one row of 3 M cells
        (wide_row_xlsx(300), "表格超过 256 列"),
        (xlsx_bomb(rows=12_000, columns=2, marker=False, dimension=False),
         "表格超过 10000 行"),
        (xlsx_bomb(rows=9_000, columns=30, marker=False, dimension=False),
         "表格超过 200000 个单元格"),
        # a dimension claiming a million rows: refused before a row is read
        (xlsx_bomb(rows=3, columns=2, marker=False, claimed_rows=1_048_576),
         "表格超过 10000 行"),
    ]
    for data, reason in cases:
        await admin.send_document(data, "units.xlsx")
        reply = (await admin.wait_reply(timeout=20))[-1].text
        assert reply == (f"这个单位名单文件无法读取：{reason}。请只保留“单位名称”和“上级单位”"
                         "两列（最多 5000 行）后重新发送。"), reason
    assert await bot.storage.units.count(None) == 0
    await help_is_answered(sandbox)


async def test_a_workbook_that_is_not_ours_is_filed_unread(bot, sandbox, liaison):
    """A liaison's own big spreadsheet (no marker sheet) is material: archived, never
    parsed, whatever it holds."""
    await liaison.send_document(xlsx_bomb(marker=False), "活动台账.xlsx")
    receipt = (await liaison.wait_reply(timeout=20))[-1].text
    assert "1 个文件" in receipt
    found = await submission(bot, liaison, "weekly", "2026-06-11")
    items = await bot.storage.submissions.items(found.id)
    assert [item.file_name for item in items] == ["活动台账.xlsx"]


# --------------------------------------------------------------------------- 10: images


async def test_a_pixel_bomb_is_stored_but_never_decoded(bot, sandbox, liaison):
    await liaison.send_document(pixel_bomb_png(9000), "现场.png", mime_type="image/png")
    receipt = (await liaison.wait_reply(timeout=20))[-1].text
    assert "1 个文件" in receipt
    found = await submission(bot, liaison, "weekly", "2026-06-11")
    item = (await bot.storage.submissions.items(found.id))[0]
    assert item.media_sha256 is not None and item.thumb_sha256 is None
    await help_is_answered(sandbox)


# --------------------------------------------------------------------------- real process


async def test_the_bot_process_refuses_a_20m_cell_workbook_and_lives_on(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    await process.start()
    try:
        admin = sandbox.user(ADMIN_ID, "王主任")
        await admin.send_document(xlsx_bomb(), "统计表.xlsx")
        reply = (await admin.wait_reply(timeout=30))[-1].text
        assert reply.startswith("这个统计表文件无法读取：解压后超过 32 MB。")
        await admin.send_document(wide_row_xlsx(), "units.xlsx")
        reply = (await admin.wait_reply(timeout=30))[-1].text
        assert reply.startswith("这个单位名单文件无法读取：解压后超过 32 MB。")
        # a small sheet whose <dimension> claims 20 M cells: refused before a row is read
        await admin.send_document(xlsx_bomb(rows=3, columns=20, claimed_rows=1_000_000),
                                  "统计表.xlsx")
        reply = (await admin.wait_reply(timeout=30))[-1].text
        assert reply.startswith("这个统计表文件无法读取：表格超过 10000 行。")
        await help_is_answered(sandbox)
        assert process.process.returncode is None
        with open(f"/proc/{process.process.pid}/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        assert peak < 300 * 1024, f"peak RSS {peak} kB"
    finally:
        assert await process.stop() == 0
    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
    await storage.open()
    try:
        assert await storage.inbox.unhandled() == []
    finally:
        await storage.close()
