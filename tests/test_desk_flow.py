"""The coordinator's desk on a seeded campaign (50 units × 4 weeks), through the sandbox."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests.conftest import answer, register_liaison
from tests.desk_seed import (
    CITIES,
    LIAISON_BASE_ID,
    NO_LIAISON,
    SCOPED_COORDINATOR_ID,
    TZ,
    expected,
    fate,
)


def listed(text: str) -> dict[str, list[str]]:
    """Unit names per group as a /status page shows them."""
    groups: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r"^(按时|迟交|未交)（\d+）$", line)
        if heading:
            current = {"按时": "on_time", "迟交": "late", "未交": "missing"}[heading.group(1)]
            groups.setdefault(current, [])
            continue
        entry = re.match(r"^\d+\. (\S+)", line)
        if entry and current:
            groups[current].append(entry.group(1))
    return groups


def zh_duration(seconds: int) -> str:
    """The vocabulary's wording: the two largest parts, minutes rounded up."""
    minutes = -(-seconds // 60)
    days, hours, rest = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        shown = [f"{days} 天"] + ([f"{hours} 小时"] if hours else [])
    elif hours:
        shown = [f"{hours} 小时"] + ([f"{rest} 分钟"] if rest else [])
    else:
        shown = [f"{rest} 分钟"]
    return " ".join(shown)


async def read_all_pages(user, first) -> dict[str, list[str]]:
    found = listed(first.plain_text)
    while first.find_button("下一页 ▶"):
        await user.press("下一页 ▶", first)
        await user.wait_reply()
        for group, names in listed(first.plain_text).items():
            found.setdefault(group, []).extend(names)
    return found


async def test_status_counts_lists_paging_and_switching_week(desk, sandbox, admin):
    seeded = desk.seeded
    await admin.command("status")
    message = (await admin.wait_reply())[-1]
    want = expected(seeded, 3)
    assert "报送情况 · 每周活动材料（6月25日一期）" in message.plain_text
    assert "（已截止）" in message.plain_text
    assert (f"共 50 个单位：按时 {len(want['on_time'])} · 迟交 {len(want['late'])} · "
            f"未交 {len(want['missing'])}") in message.plain_text
    assert "第 1/3 页" in message.plain_text
    assert len(re.findall(r"^\d+\. ", message.plain_text, re.M)) == 20
    assert await read_all_pages(admin, message) == want

    await admin.press("◀ 上一期", message)
    await admin.wait_reply()
    want = expected(seeded, 2)
    assert "每周活动材料（6月18日一期）" in message.plain_text
    assert (f"按时 {len(want['on_time'])} · 迟交 {len(want['late'])} · "
            f"未交 {len(want['missing'])}") in message.plain_text
    assert expected(seeded, 2) != expected(seeded, 3)
    assert await read_all_pages(admin, message) == want
    late_lines = re.findall(r"^\d+\. (\S+) — 迟交 (.+)$", message.plain_text, re.M)
    assert late_lines
    for name, shown in late_lines:
        assert shown == zh_duration(fate(seeded.names.index(name), 2)[1])


async def test_default_deadline_is_the_one_being_chased(desk, sandbox, admin):
    clock = desk.clock
    clock.now = datetime(2026, 6, 11, 10, 30, tzinfo=TZ)
    await admin.command("status")
    assert "每周活动材料（6月11日一期）" in (await admin.wait_reply())[-1].plain_text
    clock.now = datetime(2026, 6, 12, 10, 30, tzinfo=TZ)    # a day after: the next one
    await admin.command("status")
    text = (await admin.wait_reply())[-1].plain_text
    assert "每周活动材料（6月18日一期）" in text and "（尚未截止）" in text


async def test_switching_deliverable_by_button(desk, sandbox, admin):
    await admin.command("status")
    message = (await admin.wait_reply())[-1]
    await admin.press("联络员推荐表", message)
    await admin.wait_reply()
    assert "报送情况 · 联络员推荐表" in message.plain_text
    assert "按时 47 · 迟交 0 · 未交 3" in message.plain_text


async def test_missing_lists_exactly_the_missing_and_reminds_them_once(desk, sandbox, admin):
    clock = desk.clock
    seeded = desk.seeded
    clock.now = datetime(2026, 6, 11, 10, 30, tzinfo=TZ)
    await admin.command("missing")
    message = (await admin.wait_reply())[-1]
    want = expected(seeded, 1)["missing"]
    assert "未交名单 · 每周活动材料（6月11日一期）" in message.plain_text
    assert f"未交 {len(want)} 个单位（共 50 个）" in message.plain_text
    shown = re.findall(r"^\d+\. (\S+) — (.+)$", message.plain_text, re.M)
    assert [name for name, _ in shown] == want
    for name, rest in shown:
        if name in seeded.liaison_of:
            _, liaison_name, mobile = seeded.liaison_of[name]
            assert rest == f"{liaison_name} {mobile}"
        else:
            assert rest == "尚无联络员"
    with_liaison = [name for name in want if name in seeded.liaison_of]
    button = f"🔔 立即提醒（{len(with_liaison)}）"
    assert message.find_button(button)

    await admin.press(button, message)
    report = await admin.wait_reply(count=2, timeout=20)
    assert any(f"送达 {len(with_liaison)} 位联络员" in sent.plain_text for sent in report)
    reminded = {person_id for person_id, user in sandbox.users.items()
                if person_id >= LIAISON_BASE_ID
                and any("提醒" in text for text in user.texts())}
    assert reminded == {seeded.liaison_of[name][0] for name in with_liaison}
    for person_id in reminded:
        texts = sandbox.users[person_id].texts()
        assert len(texts) == 1 and "每周活动材料（6月11日一期）" in texts[0]
        assert "6月11日（周四）10:00" in texts[0]
    rows = [row for row in await desk.bot.storage.outbox.rows(period="2026-06-11")
            if row.kind.startswith("remind-now-")]
    assert {row.person_id for row in rows} == reminded      # through the outbox, once each
    assert {row.state for row in rows} == {"sent"}
    again = "⏳ 6月11日 11:30 后可再次提醒"
    assert message.find_button(again)

    clock.now += timedelta(minutes=20)
    await admin.press(again, message)
    await admin.wait_quiet(0.5)
    refusal = "一小时内只能提醒一次，6月11日 11:30 后可再次提醒。"
    assert sandbox.callback_answers[-1]["text"] == refusal
    assert sandbox.callback_answers[-1]["show_alert"]
    for person_id in reminded:
        assert len(sandbox.users[person_id].texts()) == 1


async def test_a_blocked_liaison_does_not_stop_the_reminders(desk, sandbox, admin):
    clock = desk.clock
    seeded = desk.seeded
    clock.now = datetime(2026, 6, 11, 10, 30, tzinfo=TZ)
    want = [name for name in expected(seeded, 1)["missing"] if name in seeded.liaison_of]
    blocked = seeded.liaison_of[want[0]][0]
    sandbox.block_chat(blocked)
    await admin.command("missing")
    message = (await admin.wait_reply())[-1]
    await admin.press(f"🔔 立即提醒（{len(want)}）", message)
    report = await admin.wait_reply(count=2, timeout=20)
    text = "\n".join(sent.plain_text for sent in report)
    assert f"送达 {len(want) - 1} 位联络员" in text
    assert f"无法送达（对方已屏蔽机器人或出错）：{want[0]}" in text
    for name in want[1:]:
        assert len(sandbox.users[seeded.liaison_of[name][0]].texts()) == 1
    assert not (await desk.bot.storage.people.get(blocked)).reachable


async def test_scoped_coordinator_sees_and_reminds_only_their_city(desk, sandbox):
    clock = desk.clock
    seeded = desk.seeded
    clock.now = datetime(2026, 6, 11, 10, 30, tzinfo=TZ)
    city = CITIES[0]
    coordinator = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")
    await coordinator.command("status")
    message = (await coordinator.wait_reply())[-1]
    want = expected(seeded, 1, city)
    total = sum(len(names) for names in want.values())
    assert f"共 {total} 个单位：按时 {len(want['on_time'])}" in message.plain_text
    assert await read_all_pages(coordinator, message) == want
    await coordinator.command("missing")
    message = (await coordinator.wait_reply())[-1]
    shown = re.findall(r"^\d+\. (\S+) — ", message.plain_text, re.M)
    assert shown == want["missing"]
    reminded_units = [name for name in want["missing"] if name in seeded.liaison_of]
    await coordinator.press(f"🔔 立即提醒（{len(reminded_units)}）", message)
    await coordinator.wait_reply(count=2, timeout=20)
    reminded = {person_id for person_id, user in sandbox.users.items()
                if person_id >= LIAISON_BASE_ID and user.texts()}
    assert reminded == {seeded.liaison_of[name][0] for name in reminded_units}


async def test_views_show_liaison_changes_made_after_a_first_view(desk, sandbox, admin):
    """The liaisons are cached for the desk (bot/storage/liaisons.py): a registration, an
    approved replacement and a profile edit made after the first /status and /missing show
    in the next ones."""
    seeded = desk.seeded
    storage = desk.bot.storage
    replaced, edited = [name for name in expected(seeded, 3)["missing"]
                        if name in seeded.liaison_of][:2]
    _, old_name, old_mobile = seeded.liaison_of[replaced]
    await admin.command("missing")
    assert f"{replaced} — {old_name} {old_mobile}" in (await admin.wait_reply())[-1].plain_text
    await admin.command("status")
    message = (await admin.wait_reply())[-1]
    await admin.press("联络员推荐表", message)
    await admin.wait_reply()
    assert "按时 47 · 迟交 0 · 未交 3" in message.plain_text

    newcomer_unit = seeded.names[NO_LIAISON[0]]
    code = await storage.invites.unit_code(seeded.units[newcomer_unit])
    await register_liaison(sandbox.user(9001, "钱新"), code, name="钱新", mobile="13800000001")
    await admin.wait_reply()                       # "new liaison" notice
    code = await storage.invites.unit_code(seeded.units[replaced])
    await register_liaison(sandbox.user(9002, "孙接"), code, name="孙接", mobile="13800000002")
    request = await admin.wait_reply()
    await admin.press("✅ 批准", request[-1])
    await admin.wait_reply()
    liaison = sandbox.users[seeded.liaison_of[edited][0]]
    await liaison.command("profile")
    await liaison.wait_reply()
    await answer(liaison, press="✏️ 修改某项", count=2)
    await answer(liaison, press="姓名", count=2)
    await answer(liaison, "周改")
    assert "已保存" in (await answer(liaison, press="✅ 完成", count=2))[-1].text

    await admin.command("status")
    message = (await admin.wait_reply())[-1]
    await admin.press("联络员推荐表", message)
    await admin.wait_reply()
    assert "按时 47 · 迟交 1 · 未交 2" in message.plain_text
    await admin.command("missing")
    text = (await admin.wait_reply())[-1].plain_text
    assert f"{replaced} — 孙接 13800000002" in text
    assert f"{edited} — 周改 {seeded.liaison_of[edited][2]}" in text


async def test_no_campaign_says_how_to_start_one(bot, sandbox, admin):
    await admin.command("status")
    assert "/campaign" in (await admin.wait_reply())[-1].plain_text
    await admin.command("missing")
    assert "/campaign" in (await admin.wait_reply())[-1].plain_text
