"""What is due when: pure functions of the calendar (rules), deliveries and now.

Nothing here touches the database, the network or the real clock; tests call it directly
and the JobQueue callbacks call it with what storage loaded.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
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


@lru_cache(maxsize=16)
def _china_holiday_dates(year: int) -> frozenset[date]:
    """The year's public holidays as a plain set (a holidays lookup is ~30 µs, this ~0.1)."""
    return frozenset(day for day in _china(year) if day.year == year)


def china_public_holiday(day: date) -> bool:
    return day in _china_holiday_dates(day.year)


def warm_holidays(year: int) -> None:
    """Build the calendars ahead (at start-up, in a thread): the first build takes ~0.3 s."""
    _china_holiday_dates(year)
    _china(year).is_working_day(date(year, 6, 1))


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


# --- What is due when: notices (prompts, announcements, reminders, overdue notices, digests)

PROMPT, ANNOUNCE, REMIND, OVERDUE, DIGEST = "prompt", "announce", "remind", "overdue", "digest"
WEEKLY_PROMPT_TIME = time(8, 0)     # on the due day
MONTHLY_PROMPT_TIME = time(9, 0)    # on the first day of the month
ANNOUNCE_TIME = time(9, 0)          # on the campaign's first day
ON_TIME, LATE, MISSING, NOT_DUE = "on_time", "late", "missing", "not_due"


@dataclass(frozen=True)
class Notice:
    """Something to send at ``at`` while ``now < closes``.

    Prompts and the announcement are *open windows*: every tick in [at, closes) sends them
    to whoever has not had them yet (a liaison registering late included). Reminders,
    overdue notices and digests are *moments*: handled once, at the first tick after ``at``;
    if that tick comes only after ``closes`` (the bot was down), they are skipped.
    """

    kind: str
    at: datetime
    closes: datetime
    deliverable_id: int          # 0 for the campaign announcement
    key: str                     # the deliverable's key ('' for the announcement)
    period: str
    deadline: Deadline | None = None
    offset: int = 0              # remind: minutes before the deadline; overdue: days after

    @property
    def tag(self) -> str:
        """The outbox kind. Reminders, overdue notices and digests carry the due instant,
        so that moving a deadline schedules them afresh."""
        if self.kind in (PROMPT, ANNOUNCE) or self.deadline is None:
            return self.kind
        due = self.deadline.due.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
        if self.kind == DIGEST:
            return f"digest@{due}"
        return f"{self.kind}-{self.offset}@{due}"


@dataclass(frozen=True)
class Plan:
    send: tuple[Notice, ...]
    skipped: tuple[Notice, ...]   # came due while the bot was down, period already closed


def _at(day: date, moment: time, tz: ZoneInfo, due: datetime) -> datetime:
    """A prompt time on a day, kept before the deadline (an early override)."""
    at = datetime.combine(day, moment, tz)
    return at if at < due else due - timedelta(hours=1)


def rule_notices(rule: Rule, deadline: Deadline, tz: ZoneInfo) -> list[Notice]:
    """The prompt, reminders, overdue notices and digest of one deadline."""
    due = deadline.due
    common = {"deliverable_id": rule.id, "key": rule.key, "period": deadline.period,
              "deadline": deadline}
    found: list[Notice] = []
    if rule.kind == WEEKLY:
        found.append(Notice(PROMPT, _at(due.date(), rule.prompt_time or WEEKLY_PROMPT_TIME,
                                        tz, due), due, **common))
    elif rule.kind == MONTHLY:
        first = deadline.nominal.replace(day=1)
        found.append(Notice(PROMPT, _at(first, rule.prompt_time or MONTHLY_PROMPT_TIME, tz,
                                        due), due, **common))
    offsets = sorted({minutes for minutes in rule.reminder_minutes if minutes > 0},
                     reverse=True)
    moments = [due - timedelta(minutes=minutes) for minutes in offsets] + [due]
    for index, minutes in enumerate(offsets):
        found.append(Notice(REMIND, moments[index], moments[index + 1], offset=minutes,
                            **common))
    for day in range(1, rule.overdue_days + 1):
        at = due + timedelta(days=day)
        found.append(Notice(OVERDUE, at, at + timedelta(days=1), offset=day, **common))
    found.append(Notice(DIGEST, due, due + timedelta(days=max(rule.overdue_days, 1)),
                        **common))
    return found


def notices(rules: Sequence[Rule], tz: ZoneInfo, starts_on: date,
            created_at: datetime | None = None,
            is_holiday: PublicHoliday = china_public_holiday,
            is_working: WorkingDay = china_working_day) -> list[Notice]:
    """Every notice of a campaign's calendar, in time order.

    One-time deliverables are announced together on the campaign's first day (or when the
    campaign is set up, if later), until the last of their deadlines.
    """
    found: list[Notice] = []
    once_due: list[datetime] = []
    for rule in rules:
        for deadline in deadlines(rule, tz, is_holiday, is_working):
            found += rule_notices(rule, deadline, tz)
            if rule.kind == ONCE:
                once_due.append(deadline.due)
    if once_due:
        at = datetime.combine(starts_on, ANNOUNCE_TIME, tz)
        if created_at is not None and created_at > at:
            at = created_at
        if at < max(once_due):
            found.append(Notice(ANNOUNCE, at, max(once_due), 0, "", str(starts_on.year)))
    order = {PROMPT: 0, ANNOUNCE: 0, REMIND: 1, DIGEST: 2, OVERDUE: 3}
    return sorted(found, key=lambda notice: (notice.at, order[notice.kind], notice.key))


def plan(found: Sequence[Notice], since: datetime, now: datetime) -> Plan:
    """What to send at ``now``, given that everything up to ``since`` was handled.

    A reminder that comes due in the same tick as its period's prompt is dropped (the prompt
    says the same, e.g. on a start-up after a downtime).
    """
    send: list[Notice] = []
    skipped: list[Notice] = []
    for notice in found:
        if notice.kind in (PROMPT, ANNOUNCE):
            if notice.at <= now < notice.closes:
                send.append(notice)
            elif since < notice.at and notice.closes <= now:
                skipped.append(notice)
        elif since < notice.at <= now:
            (send if now < notice.closes else skipped).append(notice)
    fresh_prompts = {(notice.deliverable_id, notice.period) for notice in send
                     if notice.kind == PROMPT and notice.at > since}
    superseded = [notice for notice in send if notice.kind == REMIND
                  and (notice.deliverable_id, notice.period) in fresh_prompts]
    return Plan(tuple(notice for notice in send if notice not in superseded),
                tuple(skipped + superseded))


def next_times(found: Sequence[Notice], after: datetime) -> list[datetime]:
    """The distinct instants after ``after`` at which something comes due."""
    return sorted({notice.at for notice in found if notice.at > after})


def unit_state(deadline: Deadline, delivered: Mapping[int, int | None], unit_id: int,
               now: datetime) -> str:
    """A unit's state for one period: on time, late, missing or not yet due."""
    if unit_id in delivered:
        return ON_TIME if delivered[unit_id] is None else LATE
    return MISSING if now >= deadline.due else NOT_DUE


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
