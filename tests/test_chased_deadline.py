"""schedule.chased_deadline: which deadline /status and /missing show by default."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.kernel.schedule import Deadline, Rule, chased_deadline, deadlines

pytestmark = pytest.mark.no_database      # opens no database: runs once

TZ = ZoneInfo("Asia/Shanghai")
WEEKLY = Rule(1, "weekly", "weekly", weekday=3, first_date=date(2026, 6, 1),
              last_date=date(2026, 6, 30), due_time=datetime(2026, 1, 1, 10).time(),
              shift_holidays=False)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=TZ)


def test_half_an_hour_after_a_deadline_it_is_that_deadline():
    found = deadlines(WEEKLY, TZ)
    assert chased_deadline(found, at(11, 10, 30)).period == "2026-06-11"


def test_within_24_hours_it_stays_then_moves_to_the_next():
    found = deadlines(WEEKLY, TZ)
    assert chased_deadline(found, at(12, 9, 59)).period == "2026-06-11"
    assert chased_deadline(found, at(12, 10, 0)).period == "2026-06-18"


def test_at_the_deadline_instant_it_is_that_deadline():
    assert chased_deadline(deadlines(WEEKLY, TZ), at(11, 10)).period == "2026-06-11"


def test_before_the_first_the_first_and_after_the_last_the_last():
    found = deadlines(WEEKLY, TZ)
    assert chased_deadline(found, at(1, 8)).period == "2026-06-04"
    assert chased_deadline(found, at(30, 23) + timedelta(days=5)).period == "2026-06-25"
    assert chased_deadline([], at(1, 8)) is None


def test_across_deliverables_the_nearest_wins_and_ties_keep_the_given_order():
    registration = Deadline(2, "registration", "once", date(2026, 6, 2), at(2, 18))
    plan = Deadline(3, "plan", "once", date(2026, 6, 2), at(2, 18))
    found = [registration, plan, *deadlines(WEEKLY, TZ)]
    assert chased_deadline(found, at(2, 20)) is registration
    assert chased_deadline(found, at(1, 12)) is registration
    assert chased_deadline(found, at(3, 18)).period == "2026-06-04"
