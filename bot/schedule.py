"""What is due when: pure functions of the calendar (rules), deliveries and now.

Nothing here touches the database, the network or the real clock; tests call it directly
and the JobQueue callbacks call it with what storage loaded.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

ONCE, WEEKLY, MONTHLY, ANYTIME = "once", "weekly", "monthly", "anytime"

WorkingDay = Callable[[date], bool]
PublicHoliday = Callable[[date], bool]


@dataclass(frozen=True)
class Rule:
    """A deliverable's due rule as stored (times local to the campaign's time zone)."""

    id: int
    key: str
    kind: str
    due_time: time = time(18, 0)
    due_date: date | None = None          # once
    weekday: int | None = None            # weekly: 0 = Monday
    month_day: int | None = None          # monthly: None = last day of the month
    first_date: date | None = None        # weekly / monthly range (inclusive)
    last_date: date | None = None
    prompt_time: time | None = None
    reminder_minutes: tuple[int, ...] = ()
    overdue_days: int = 3
    shift_holidays: bool = True
    overrides: Mapping[date, datetime] = field(default_factory=dict)  # nominal -> local naive


@dataclass(frozen=True)
class Deadline:
    deliverable_id: int
    key: str
    period: str        # stable period key: see migrations/0002
    nominal: date      # the date the rule gives, before holiday shifting or overrides
    due: datetime      # aware, in the campaign's time zone
    moved: str | None = None   # None, "holiday" or "override"


@lru_cache(maxsize=16)
def _china(year: int):
    import holidays

    return holidays.China(years=range(year - 1, year + 2))


def china_public_holiday(day: date) -> bool:
    return day in _china(day.year)


def china_working_day(day: date) -> bool:
    """Weekdays that are not public holidays, plus official make-up working days."""
    return bool(_china(day.year).is_working_day(day))


def shift_for_holiday(day: date, is_holiday: PublicHoliday = china_public_holiday,
                      is_working: WorkingDay = china_working_day) -> date:
    """A date on a public holiday moves to the next working day; other dates stay."""
    if not is_holiday(day):
        return day
    shifted = day + timedelta(days=1)
    while not is_working(shifted):
        shifted += timedelta(days=1)
    return shifted


def nominal_dates(rule: Rule) -> list[tuple[str, date]]:
    """(period key, nominal date) for every period of the rule, in order."""
    if rule.kind == ONCE:
        return [("once", rule.due_date)] if rule.due_date else []
    if rule.kind == WEEKLY:
        if rule.first_date is None or rule.last_date is None or rule.weekday is None:
            return []
        day = rule.first_date + timedelta(days=(rule.weekday - rule.first_date.weekday()) % 7)
        found = []
        while day <= rule.last_date:
            found.append((day.isoformat(), day))
            day += timedelta(days=7)
        return found
    if rule.kind == MONTHLY:
        if rule.first_date is None or rule.last_date is None:
            return []
        found = []
        year, month = rule.first_date.year, rule.first_date.month
        while (year, month) <= (rule.last_date.year, rule.last_date.month):
            last = month_calendar.monthrange(year, month)[1]
            day = date(year, month, min(rule.month_day or last, last))
            found.append((f"{year:04d}-{month:02d}", day))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found
    return []


def deadlines(rule: Rule, tz: ZoneInfo, is_holiday: PublicHoliday = china_public_holiday,
              is_working: WorkingDay = china_working_day) -> list[Deadline]:
    """Every deadline of a rule: holiday shifting first, then a coordinator's override wins."""
    found = []
    for period, nominal in nominal_dates(rule):
        moved = None
        if nominal in rule.overrides:
            due = rule.overrides[nominal].replace(tzinfo=tz)
            moved = "override"
        else:
            day = shift_for_holiday(nominal, is_holiday, is_working) if rule.shift_holidays \
                else nominal
            due = datetime.combine(day, rule.due_time, tz)
            moved = "holiday" if day != nominal else None
        found.append(Deadline(rule.id, rule.key, period, nominal, due, moved))
    return found


def period_at(found: Sequence[Deadline], at: datetime) -> Deadline | None:
    """The period something received at ``at`` belongs to: the first deadline not yet passed,
    or, after the last one, the last (then late)."""
    if not found:
        return None
    for deadline in found:
        if at <= deadline.due:
            return deadline
    return found[-1]


def lateness(deadline: Deadline, received: datetime) -> int | None:
    """Seconds late (judged by Telegram's message date), or None when on time."""
    late = (received - deadline.due).total_seconds()
    return int(late) if late > 0 else None


def default_rules(year: int) -> list[dict]:
    """The Changchun 2019 calendar: registration and plan by June 2, materials every Thursday
    10:00 in June, summary and statistics by July 2; the companion campaign's monthly case
    June–December. Dicts with the ``deliverable`` table's columns."""
    june_first, june_last = date(year, 6, 1), date(year, 6, 30)
    once_reminders = [3 * 24 * 60, 24 * 60, 120]
    return [
        {"key": "registration", "kind": ONCE, "position": 1, "due_date": date(year, 6, 2),
         "due_time": time(18, 0), "reminder_minutes": once_reminders},
        {"key": "plan", "kind": ONCE, "position": 2, "due_date": date(year, 6, 2),
         "due_time": time(18, 0), "reminder_minutes": once_reminders},
        {"key": "weekly", "kind": WEEKLY, "position": 3, "weekday": 3, "due_time": time(10, 0),
         "first_date": june_first, "last_date": june_last, "prompt_time": time(8, 0),
         "reminder_minutes": [60, 15]},
        {"key": "monthly_case", "kind": MONTHLY, "position": 4, "month_day": None,
         "due_time": time(18, 0), "first_date": june_first, "last_date": date(year, 12, 31),
         "reminder_minutes": once_reminders},
        {"key": "summary", "kind": ONCE, "position": 5, "due_date": date(year, 7, 2),
         "due_time": time(18, 0), "reminder_minutes": once_reminders},
        {"key": "statistics", "kind": ONCE, "position": 6, "due_date": date(year, 7, 2),
         "due_time": time(18, 0), "reminder_minutes": once_reminders},
        {"key": "event", "kind": ANYTIME, "position": 7, "reminder_minutes": []},
    ]


CHASE_WINDOW = timedelta(hours=24)


def chased_deadline(found: Sequence[Deadline], now: datetime,
                    window: timedelta = CHASE_WINDOW) -> Deadline | None:
    """The deadline coordinators are chasing at ``now``: the most recent one that has passed,
    when it passed less than ``window`` ago; otherwise the next one to come; after the last
    one, the last. Deadlines due at the same instant keep the order given (first wins)."""
    if not found:
        return None
    passed = [deadline for deadline in found if deadline.due <= now]
    latest = max(passed, key=lambda deadline: deadline.due) if passed else None
    if latest is not None and now - latest.due < window:
        return latest
    upcoming = [deadline for deadline in found if deadline.due > now]
    if upcoming:
        return min(upcoming, key=lambda deadline: deadline.due)
    return latest
