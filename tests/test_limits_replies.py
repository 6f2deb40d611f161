"""Replies that grow with the data, at 1,000 units with 30-character names: split or paged
under Telegram's limits, every name whole, every workbook still sent (issue 14, point 1)."""

from __future__ import annotations

import time

from tests.limits_seed import UNITS
from tests.limits_support import assert_within_limits, province_fixture  # noqa: F401
from tests.schedule_support import wait_for


def texts_of(user) -> list[str]:
    return [sent.plain_text for sent in user.messages if sent.document is None]


async def test_stats_total_lists_every_missing_unit_in_parts_and_sends_the_workbook(
        province, sandbox, admin):
    _, _, seeded = province
    await admin.command("stats_total")
    # the parts, then the workbook (built in a worker thread: on a loaded machine more than
    # a second after the last part)
    await wait_for(lambda: any(sent.document is not None
                               and sent.document.file_name.endswith(".xlsx")
                               for sent in admin.messages), timeout=120)
    texts = texts_of(admin)
    assert len(texts) > 2
    joined = "\n".join(texts)
    assert all(name in joined for name in seeded.names)     # no name cut between parts
    assert all(text.startswith("（续）") for text in texts[1:])
    assert_within_limits(sandbox)


async def test_bulk_import_refusing_every_row_echoes_long_cells_shortened(province, sandbox,
                                                                          admin):
    _, _, seeded = province
    rows = [f"新单位{index:04d},{'上级' * 2000}{index}" for index in range(39)]
    rows.append("新单位R,R&D <中心>")
    rows += [f"{name},{'上级' * 60}" for name in seeded.names]
    await admin.send_document("\n".join(rows).encode(), "units.csv", "text/csv")
    await admin.wait_reply(timeout=60)
    await admin.wait_quiet(1.0, timeout=60)
    texts = texts_of(admin)
    joined = "\n".join(texts)
    assert texts[0].startswith(f"导入完成：新增 0 个单位，拒绝 {UNITS + 40} 行。")
    assert "第 1 行：上级单位“" + "上级" * 29 + "上…”不存在或不在您的管理范围内" in joined
    assert "第 40 行：上级单位“R&D <中心>”不存在" in joined      # escaped once (point 8)
    assert f"……另有 {UNITS} 行被拒绝。" in texts[-1]
    assert_within_limits(sandbox)


async def test_a_very_long_argument_is_echoed_shortened(province, sandbox, admin):
    await admin.command("stats_unit", "某" * 4000)
    await admin.command("invite", "单位 " * 1300)
    await admin.command("addcoordinator", "甲" * 4000)
    await admin.command("addunit", "新单位 | " + "乙" * 4000)
    await admin.wait_reply(count=4, timeout=30)
    texts = texts_of(admin)
    assert texts[0] == "找不到单位“" + "某" * 59 + "…”（或不在您的管理范围内）。"
    assert all(text.startswith("找不到单位“") and len(text) < 100 for text in texts), texts
    assert_within_limits(sandbox)


async def test_units_status_and_missing_are_paged_at_a_thousand_units(province, sandbox, admin):
    _, _, seeded = province
    for command in ("units", "status", "missing"):
        await admin.command(command)
        (page,) = await admin.wait_reply(timeout=30)
        assert seeded.names[0] in page.plain_text or "1. " in page.plain_text
        assert page.find_button("下一页 ▶"), command
        await admin.press("下一页 ▶", page)
        await admin.wait_reply(timeout=30)
    assert_within_limits(sandbox)


async def test_remind_now_names_every_unreached_unit_in_parts(province, sandbox, admin):
    bot, _, seeded = province
    await bot.app.bot_data.sender.settled(timeout=120)
    for person_id in seeded.liaison_of.values():
        sandbox.block_chat(person_id)
    await admin.command("missing")
    (page,) = await admin.wait_reply(timeout=30)
    sandbox.stats.clear()
    admin.mark()
    await admin.press(f"🔔 立即提醒（{UNITS}）", page)
    await admin.wait_reply(timeout=30)

    def report() -> list[str]:
        return [sent.plain_text for sent in admin.messages if sent.plain_text and
                ("已提醒" in sent.plain_text or "无法送达" in sent.plain_text
                 or sent.plain_text.startswith("（续）"))]

    # the reminders are queued after the press's answer (on PostgreSQL a while after): the
    # report comes once every one of them is settled
    give_up = time.monotonic() + 300
    while not report() and time.monotonic() < give_up:
        await sandbox.wait_change(0.5)
    await admin.wait_quiet(2.0, timeout=60)
    report = report()
    joined = "\n".join(report)
    assert len(report) > 1, report
    assert all(name in joined for name in seeded.names)
    sandbox.stats.pop("403", None)        # the blocked liaisons' refusals
    assert_within_limits(sandbox)
