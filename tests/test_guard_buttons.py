"""Issue 13, points 5 and 6: a press is re-checked against what that person could have been
shown (forged callback data gets the stale-button line and changes nothing), and "remind
them now" is limited once an hour per scope. Through the sandbox with the real bot."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.desk_seed import CITIES, LIAISON_BASE_ID, SCOPED_COORDINATOR_ID, TZ, expected
from tests.test_submissions_flow import Clock, sandbox_clock, submission, unit_of


@pytest.fixture
def clock(sandbox) -> Clock:
    return sandbox_clock(sandbox, datetime(2026, 6, 4, 9, 0, tzinfo=TZ))


STALE = "这个按钮已过期。"
LIAISONS_ONLY = "此功能仅限已登记的联络员使用。请通过本单位的邀请链接登记。"


async def forged(sandbox, user, data: str) -> dict:
    """Press ``data`` as if it were on the user's last message; the bot's answer to it."""
    before = len(sandbox.callback_answers)
    await user.press_data(data)
    await user.wait_quiet(0.4)
    assert len(sandbox.callback_answers) > before, f"{data} not answered"
    return sandbox.callback_answers[-1]


async def test_forged_nil_reports_are_stale_and_record_nothing(bot, sandbox, clock, liaison):
    clock.set(2026, 6, 1, 9, 30)
    unit_id = await unit_of(bot, liaison)
    for data in ("submit:nil:statistics:once", "submit:nil:summary:once",
                 "submit:nil:monthly_case:2026-12", "submit:nil:weekly:2026-06-25",
                 "submit:nil:weekly:2026-06-11", "submit:nil:weekly:2026-13-01",
                 "submit:nil:event:", "submit:nil:registration:once", "submit:nil:x"):
        messages = len(liaison.messages)
        answer = await forged(sandbox, liaison, data)
        assert answer["text"] == STALE, data
        assert len(liaison.messages) == messages, data    # nothing said but the alert
    storage = bot.storage
    calendar = await storage.campaigns.calendar()
    for rule in calendar.rules:
        for period in ("once", "2026-12", "2026-06-25", "2026-06-11", "2026-06"):
            assert await storage.submissions.find(unit_id, rule.id, period) is None

    # what the prompts offered: June's case (its prompt went on June 1, 09:00)
    answer = await forged(sandbox, liaison, "submit:nil:monthly_case:2026-06")
    assert answer.get("text") != STALE
    assert "本期无材料" in liaison.last.text
    found = await submission(bot, liaison, "monthly_case", "2026-06")
    assert found.state == "nil"


async def test_nil_only_from_the_prompt_until_the_last_overdue_day(bot, sandbox, clock,
                                                                    liaison):
    # the week of June 11: its prompt goes at 08:00 that Thursday
    clock.set(2026, 6, 11, 7, 59)
    assert (await forged(sandbox, liaison, "submit:nil:weekly:2026-06-11"))["text"] == STALE
    clock.set(2026, 6, 14, 10, 1)       # three overdue days after 10:00 on the 11th: closed
    assert (await forged(sandbox, liaison, "submit:nil:weekly:2026-06-11"))["text"] == STALE
    assert await submission(bot, liaison, "weekly", "2026-06-11") is None
    clock.set(2026, 6, 13, 9, 0)        # late, still within the overdue days
    await forged(sandbox, liaison, "submit:nil:weekly:2026-06-11")
    found = await submission(bot, liaison, "weekly", "2026-06-11")
    assert found.state == "nil" and found.late_seconds > 0


async def test_forged_start_buttons_are_stale_and_open_nothing(bot, sandbox, clock, liaison):
    clock.set(2026, 6, 1, 9, 30)
    for data in ("submit:start:monthly_case:2026-12", "submit:start:weekly:2026-06-25",
                 "submit:start:summary:2026-07", "submit:start:nothing:once"):
        answer = await forged(sandbox, liaison, data)
        assert answer["text"] == STALE, data
    # a text now goes where it would have gone anyway, not to December's case
    await liaison.send("周一开展了消防演练")
    await liaison.wait_reply()
    assert await submission(bot, liaison, "monthly_case", "2026-12") is None
    assert await submission(bot, liaison, "weekly", "2026-06-25") is None
    # a reminder's start button for the plan (its reminders begin May 30)
    answer = await forged(sandbox, liaison, "submit:start:plan:once")
    assert answer.get("text") != STALE
    assert "请发送活动方案" in liaison.last.text


async def table_counts(bot) -> dict[str, int]:
    """Rows per table, straight from the database (what a forged press could change)."""
    if bot.settings.uses_postgres:
        listing = ("SELECT table_name FROM information_schema.tables "
                   "WHERE table_schema = current_schema()")
    else:
        listing = "SELECT name FROM sqlite_master WHERE type = 'table'"
    db = bot.storage.db
    skip = {"inbox", "person", "user_data", "conversation_state", "scheduler_mark",
            "bot_process"}
    tables = [table for (table,) in await db.fetchall(listing) if table not in skip]
    return {table: (await db.fetchone(f'SELECT count(*) FROM "{table}"'))[0]
            for table in tables}


async def test_forged_data_for_every_kind_of_button_is_stale(bot, sandbox, clock, admin,
                                                             liaison):
    """Objects that do not exist, or not for this person: the stale line, nothing changed."""
    await admin.command("units")
    await admin.wait_reply()
    before = await table_counts(bot)
    revoked = await bot.storage.invites.unit_code(await unit_of(bot, liaison))
    presses = {
        admin: ["liaison:approve:99999", "liaison:reject:99999", f"coord:revoke:{revoked}",
                "coord:revoke:no-such-code", "statsv:99999", "broadcast:send:99999",
                "desk:remind:99999:2026-06-04", "submit:nil:weekly:2026-06-04",
                "lang:fr", "stats:zero:nothing", "statsup:confirm:1"],
        liaison: ["submit:nil:summary:once", "submit:start:weekly:1999-01-01",
                  "intake:to:weekly:no-such-burst", "reg:skip:qq", "lang:xx"],
    }
    for user, datas in presses.items():
        for data in datas:
            answer = await forged(sandbox, user, data)
            assert answer.get("text") in (STALE, LIAISONS_ONLY), (user, data, answer)
    assert await table_counts(bot) == before
    assert await bot.storage.invites.unit_code(await unit_of(bot, liaison)) == revoked


# --------------------------------------------------------------------------- remind now


async def _missing(user):
    await user.command("missing")
    return (await user.wait_reply())[-1]


def _reminded(sandbox) -> set[int]:
    return {person_id for person_id, user in sandbox.users.items()
            if person_id >= LIAISON_BASE_ID and any("提醒" in text for text in user.texts())}


async def test_remind_now_is_limited_per_scope(desk, sandbox, admin):
    seeded = desk.seeded
    desk.clock.now = datetime(2026, 6, 11, 10, 30, tzinfo=TZ)
    city = CITIES[0]
    in_city = [name for name in expected(seeded, 1, city)["missing"]
               if name in seeded.liaison_of]
    everyone = [name for name in expected(seeded, 1)["missing"] if name in seeded.liaison_of]
    coordinator = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")
    message = await _missing(coordinator)
    await coordinator.press(f"🔔 立即提醒（{len(in_city)}）", message)
    await coordinator.wait_reply(count=2, timeout=20)
    assert _reminded(sandbox) == {seeded.liaison_of[name][0] for name in in_city}

    # the admin's scope is everything: the city's press does not block it
    desk.clock.now += timedelta(minutes=5)
    message = await _missing(admin)
    await admin.press(f"🔔 立即提醒（{len(everyone)}）", message)
    report = await admin.wait_reply(count=2, timeout=20)
    assert any(f"送达 {len(everyone)} 位联络员" in sent.plain_text for sent in report)
    assert _reminded(sandbox) == {seeded.liaison_of[name][0] for name in everyone}

    # within the hour each scope is refused on its own
    desk.clock.now += timedelta(minutes=5)
    message = await _missing(coordinator)
    assert message.find_button("⏳ 6月11日 11:30 后可再次提醒")
    await coordinator.press("⏳ 6月11日 11:30 后可再次提醒", message)
    await coordinator.wait_quiet(0.5)
    assert sandbox.callback_answers[-1]["text"] == \
        "一小时内只能提醒一次，6月11日 11:30 后可再次提醒。"
    message = await _missing(admin)
    assert message.find_button("⏳ 6月11日 11:35 后可再次提醒")


async def test_a_forged_remind_press_reminds_nobody(desk, sandbox, admin):
    desk.clock.now = datetime(2026, 6, 11, 10, 30, tzinfo=TZ)
    await _missing(admin)
    for data in (f"desk:remind:{desk.seeded.weekly_id}:2026-06-12",
                 f"desk:remind:{desk.seeded.weekly_id}:once", "desk:remind:99999:2026-06-11",
                 "desk:remind:x:y"):
        answer = await forged(sandbox, admin, data)
        assert answer["text"] == STALE, data
    await admin.wait_quiet(0.5)
    assert _reminded(sandbox) == set()
    assert [row for row in await desk.bot.storage.outbox.rows(period="2026-06-11")
            if row.kind.startswith("remind-now-")] == []
