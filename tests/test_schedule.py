"""Pure calendar functions: periods, holiday shifting, overrides, lateness."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.kernel.schedule import (
    WEEKLY,
    Rule,
    deadlines,
    default_rules,
    lateness,
    period_at,
    shift_for_holiday,
)

pytestmark = pytest.mark.no_database      # opens no database: runs once

TZ = ZoneInfo("Asia/Shanghai")


def weekly(year: int, **extra) -> Rule:
    spec = next(rule for rule in default_rules(year) if rule["key"] == "weekly")
    return Rule(id=3, key="weekly", kind=WEEKLY, weekday=spec["weekday"],
                due_time=spec["due_time"], first_date=spec["first_date"],
                last_date=spec["last_date"], **extra)


def test_every_thursday_of_june_at_10():
    found = deadlines(weekly(2026), TZ)
    assert [d.period for d in found] == ["2026-06-04", "2026-06-11", "2026-06-18", "2026-06-25"]
    assert found[0].due == datetime(2026, 6, 4, 10, 0, tzinfo=TZ)
    assert all(d.moved is None for d in found)


def test_dragon_boat_thursday_2023_moves_to_the_make_up_working_day():
    # 2023-06-22 (Thu) and 06-23 are days off; Sunday 06-25 is an official working day
    assert shift_for_holiday(date(2023, 6, 22)) == date(2023, 6, 25)
    found = {d.period: d for d in deadlines(weekly(2023), TZ)}
    moved = found["2023-06-22"]
    assert moved.due == datetime(2023, 6, 25, 10, 0, tzinfo=TZ) and moved.moved == "holiday"
    assert found["2023-06-15"].due == datetime(2023, 6, 15, 10, 0, tzinfo=TZ)


def test_an_override_wins_over_the_holiday_shift():
    rule = weekly(2023, overrides={date(2023, 6, 22): datetime(2023, 6, 21, 15, 0)})
    found = {d.period: d for d in deadlines(rule, TZ)}
    assert found["2023-06-22"].due == datetime(2023, 6, 21, 15, 0, tzinfo=TZ)
    assert found["2023-06-22"].moved == "override"


def test_period_boundary_is_the_deadline_itself():
    found = deadlines(weekly(2026), TZ)
    before = datetime(2026, 6, 4, 9, 59, 59, tzinfo=TZ)
    after = datetime(2026, 6, 4, 10, 0, 1, tzinfo=TZ)
    assert period_at(found, before).period == "2026-06-04"
    assert period_at(found, datetime(2026, 6, 4, 10, 0, tzinfo=TZ)).period == "2026-06-04"
    assert period_at(found, after).period == "2026-06-11"
    assert period_at(found, datetime(2026, 7, 1, tzinfo=TZ)).period == "2026-06-25"
    assert lateness(found[0], after) == 1 and lateness(found[0], before) is None


def test_default_calendar_has_every_deliverable():
    keys = [rule["key"] for rule in default_rules(2026)]
    assert keys == ["registration", "plan", "weekly", "monthly_case", "summary", "statistics",
                    "event"]
    plan = next(rule for rule in default_rules(2026) if rule["key"] == "plan")
    assert plan["due_date"] == date(2026, 6, 2) and plan["due_time"] == time(18, 0)
