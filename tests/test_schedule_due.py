"""Pure "what is due" functions: prompts, reminders, overdue notices and digests at a moment."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.kernel.schedule import (
    ANNOUNCE,
    DIGEST,
    LATE,
    MISSING,
    NOT_DUE,
    ON_TIME,
    ONCE,
    OVERDUE,
    PROMPT,
    REMIND,
    Rule,
    deadlines,
    default_rules,
    next_times,
    notices,
    plan,
    unit_state,
)

pytestmark = pytest.mark.no_database      # opens no database: runs once

TZ = ZoneInfo("Asia/Shanghai")


def rules(year: int, **weekly_extra) -> list[Rule]:
    found = []
    for number, spec in enumerate(default_rules(year), start=1):
        if spec["key"] not in ("weekly", "plan"):
            continue
        fields = {name: spec[name] for name in ("due_time", "due_date", "weekday", "first_date",
                                                "last_date", "prompt_time") if name in spec}
        extra = weekly_extra if spec["key"] == "weekly" else {}
        found.append(Rule(id=number, key=spec["key"], kind=spec["kind"],
                          reminder_minutes=tuple(spec["reminder_minutes"]), **fields, **extra))
    return found


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)


def due_now(found, since: datetime, now: datetime) -> list[tuple[str, str, str]]:
    return [(n.kind, n.key, n.period) for n in plan(found, since, now).send]


def test_thursday_boundary_prompt_at_eight_reminders_at_nine_and_nine_forty_five():
    found = notices(rules(2026), TZ, date(2026, 6, 1), created_at=at(2026, 5, 20, 12))
    wednesday = at(2026, 6, 3, 23, 59, 59)
    # Thursday 07:59:59: nothing of the week's materials yet
    assert [n for n in due_now(found, wednesday, at(2026, 6, 4, 7, 59, 59))
            if n[1] == "weekly"] == []
    # 08:00:00 exactly: the prompt for this Thursday, no other week's
    assert due_now(found, at(2026, 6, 4, 7, 59, 59), at(2026, 6, 4, 8)) == [
        ("prompt", "weekly", "2026-06-04")]
    # 09:00: the 60-minute reminder (the prompt window is still open for late joiners)
    assert due_now(found, at(2026, 6, 4, 8, 30), at(2026, 6, 4, 9)) == [
        ("prompt", "weekly", "2026-06-04"), ("remind", "weekly", "2026-06-04")]
    reminder = plan(found, at(2026, 6, 4, 8, 30), at(2026, 6, 4, 9)).send[1]
    assert reminder.offset == 60 and reminder.tag == "remind-60@20260604T0200Z"
    # 09:45: the 15-minute one
    assert [n.offset for n in plan(found, at(2026, 6, 4, 9), at(2026, 6, 4, 9, 45)).send
            if n.kind == REMIND] == [15]
    # 10:00: the deadline: the digest; the prompt window has closed
    assert due_now(found, at(2026, 6, 4, 9, 45), at(2026, 6, 4, 10)) == [
        ("digest", "weekly", "2026-06-04")]
    # Friday 10:00: first overdue notice; Sunday the third and last; Monday nothing
    friday = plan(found, at(2026, 6, 5, 9), at(2026, 6, 5, 10)).send
    assert [(n.kind, n.offset, n.period) for n in friday] == [(OVERDUE, 1, "2026-06-04")]
    assert [(n.kind, n.offset) for n in plan(found, at(2026, 6, 7, 9),
                                            at(2026, 6, 7, 10)).send] == [(OVERDUE, 3)]
    assert plan(found, at(2026, 6, 8, 9), at(2026, 6, 8, 10)).send == ()


def test_the_next_thursday_is_its_own_period():
    found = notices(rules(2026), TZ, date(2026, 6, 1), created_at=at(2026, 5, 20, 12))
    assert due_now(found, at(2026, 6, 11, 7), at(2026, 6, 11, 8)) == [
        ("prompt", "weekly", "2026-06-11")]
    assert next_times(found, at(2026, 6, 11, 8))[:3] == [
        at(2026, 6, 11, 9), at(2026, 6, 11, 9, 45), at(2026, 6, 11, 10)]


def test_a_deadline_moved_by_a_coordinator_moves_prompt_reminders_and_digest():
    moved = {date(2026, 6, 11): datetime(2026, 6, 10, 16, 0)}
    found = notices(rules(2026, overrides=moved), TZ, date(2026, 6, 1),
                    created_at=at(2026, 5, 20))
    # Wednesday 08:00: this week's prompt comes a day early
    assert due_now(found, at(2026, 6, 10, 7), at(2026, 6, 10, 8)) == [
        ("prompt", "weekly", "2026-06-11")]
    assert [n.offset for n in plan(found, at(2026, 6, 10, 14), at(2026, 6, 10, 15)).send
            if n.kind == REMIND] == [60]
    assert [n.kind for n in plan(found, at(2026, 6, 10, 15, 50),
                                 at(2026, 6, 10, 16)).send] == [DIGEST]
    # the nominal Thursday itself brings nothing but the first overdue notice at 16:00
    thursday = plan(found, at(2026, 6, 10, 16), at(2026, 6, 11, 12)).send
    assert [n.kind for n in thursday] == []
    # a reminder of the moved deadline has its own outbox kind (the due instant differs)
    unmoved = notices(rules(2026), TZ, date(2026, 6, 1), created_at=at(2026, 5, 20))
    tags = {n.tag for n in found if n.period == "2026-06-11" and n.kind == REMIND}
    old_tags = {n.tag for n in unmoved if n.period == "2026-06-11" and n.kind == REMIND}
    assert tags.isdisjoint(old_tags)


def test_dragon_boat_thursday_2023_prompts_on_the_make_up_working_day():
    found = notices(rules(2023), TZ, date(2023, 6, 1), created_at=at(2023, 5, 20))
    # 2023-06-22 is a public holiday: nothing for that period is due on the Thursday
    assert [n for n in due_now(found, at(2023, 6, 21, 23), at(2023, 6, 22, 23, 59))
            if n[1] == "weekly" and n[2] == "2023-06-22"] == []
    # it moved to Sunday 2023-06-25 (an official working day): prompt at 08:00 that day
    assert due_now(found, at(2023, 6, 25, 7), at(2023, 6, 25, 8)) == [
        ("prompt", "weekly", "2023-06-22")]
    digest = next(n for n in found if n.kind == DIGEST and n.period == "2023-06-22")
    assert digest.at == at(2023, 6, 25, 10)


def test_catch_up_after_downtime_sends_what_is_open_and_skips_what_closed():
    found = notices(rules(2026), TZ, date(2026, 6, 1), created_at=at(2026, 5, 20))
    # down from 07:00 to 09:00: the prompt is still open; the 60-minute reminder came due in
    # the same tick as the prompt, so it is dropped (the prompt says the same)
    result = plan(found, at(2026, 6, 4, 7), at(2026, 6, 4, 9))
    assert [(n.kind, n.period) for n in result.send] == [(PROMPT, "2026-06-04")]
    assert [(n.kind, n.offset) for n in result.skipped] == [(REMIND, 60)]
    # down from 08:30 to 09:50: the 60-minute reminder closed when the 15-minute one came due
    result = plan(found, at(2026, 6, 4, 8, 30), at(2026, 6, 4, 9, 50))
    assert [(n.kind, n.offset) for n in result.send if n.kind != PROMPT] == [(REMIND, 15)]
    assert [(n.kind, n.offset) for n in result.skipped] == [(REMIND, 60)]
    # down the whole Thursday: prompt skipped (period closed), the digest still goes
    result = plan(found, at(2026, 6, 4, 7), at(2026, 6, 4, 12))
    assert [n.kind for n in result.send] == [DIGEST]
    assert {n.kind for n in result.skipped} == {PROMPT, REMIND}


def test_one_time_deliverables_are_announced_and_reminded_3_days_1_day_and_2_hours_before():
    found = notices(rules(2026), TZ, date(2026, 6, 1), created_at=at(2026, 5, 20))
    announce = next(n for n in found if n.kind == ANNOUNCE)
    assert announce.at == at(2026, 6, 1, 9) and announce.closes == at(2026, 6, 2, 18)
    plan_reminders = [n.at for n in found if n.key == "plan" and n.kind == REMIND]
    assert plan_reminders == [at(2026, 5, 30, 18), at(2026, 6, 1, 18), at(2026, 6, 2, 16)]
    # a campaign set up on June 1 at noon announces at once, and never sends the reminder
    # that was due before it existed
    late = notices(rules(2026), TZ, date(2026, 6, 1), created_at=at(2026, 6, 1, 12))
    assert next(n for n in late if n.kind == ANNOUNCE).at == at(2026, 6, 1, 12)
    assert due_now(late, at(2026, 6, 1, 12), at(2026, 6, 1, 12)) == [
        ("announce", "", "2026")]


def test_unit_state_on_time_late_missing_not_yet_due():
    rule = Rule(id=1, key="plan", kind=ONCE, due_date=date(2026, 6, 2), due_time=time(18))
    (deadline,) = deadlines(rule, TZ)
    delivered = {1: None, 2: 3600}
    before, after = at(2026, 6, 2, 17), at(2026, 6, 2, 18) + timedelta(seconds=1)
    assert unit_state(deadline, delivered, 1, after) == ON_TIME
    assert unit_state(deadline, delivered, 2, after) == LATE
    assert unit_state(deadline, delivered, 3, after) == MISSING
    assert unit_state(deadline, delivered, 3, before) == NOT_DUE

