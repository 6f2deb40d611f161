"""The coordinator's desk: who delivered what for which deadline, as plain data.

The handlers (bot/handlers/desk.py) and the file builders (bot/desk_files.py) share these;
everything here is computed from what storage loaded, except :func:`load_desk` which loads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.kernel.schedule import ANYTIME, Deadline, Rule, chased_deadline, deadlines
from bot.storage import Storage
from bot.storage.campaigns import Calendar
from bot.storage.models import Unit
from bot.texts import Texts

ON_TIME, LATE, MISSING = "on_time", "late", "missing"
GROUPS = (ON_TIME, LATE, MISSING)


@dataclass(frozen=True)
class Standing:
    unit: Unit
    group: str                  # on_time, late or missing
    late_seconds: int | None = None


@dataclass(frozen=True)
class Standings:
    """A scope's units for one deadline: on time, late, missing, each group in unit order.

    Kept as three lists of the units (no object per unit): a view reads the counts and one
    page; :meth:`standing` makes a unit's :class:`Standing` when a file needs it."""
    on_time: list[Unit]
    late: list[Unit]
    missing: list[Unit]
    delivered: Mapping[int, int | None]     # unit id -> seconds late (None: on time)

    def members(self, group: str) -> list[Unit]:
        return {ON_TIME: self.on_time, LATE: self.late, MISSING: self.missing}[group]

    def group_of(self, unit_id: int) -> str:
        if unit_id not in self.delivered:
            return MISSING
        return LATE if self.delivered[unit_id] else ON_TIME

    def standing(self, unit: Unit) -> Standing:
        group = self.group_of(unit.id)
        return Standing(unit, group, self.delivered[unit.id] if group == LATE else None)

    def page(self, start: int, stop: int) -> list[tuple[str, int, Unit]]:
        """(group, number within the group from 1, unit) for positions ``start`` to ``stop``
        of the groups one after the other (on time, late, missing)."""
        found = []
        offset = 0
        for group in GROUPS:
            members = self.members(group)
            found += [(group, index + 1, members[index])
                      for index in range(max(start - offset, 0),
                                         min(stop - offset, len(members)))]
            offset += len(members)
        return found


@dataclass(frozen=True)
class Desk:
    """The calendar and the units one coordinator sees."""
    calendar: Calendar
    units: tuple[Unit, ...]
    deadlines: Mapping[int, tuple[Deadline, ...]]   # deliverable id -> its deadlines, in order

    @property
    def timezone(self) -> ZoneInfo:
        return self.calendar.campaign.timezone

    @property
    def rules(self) -> list[Rule]:
        """The deliverables with deadlines (event reports have none)."""
        return [rule for rule in self.calendar.rules if rule.kind != ANYTIME]

    def rule(self, deliverable_id: int) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == deliverable_id), None)

    def all_deadlines(self) -> list[Deadline]:
        return [deadline for rule in self.rules for deadline in self.deadlines[rule.id]]

    def passed(self, now: datetime) -> list[Deadline]:
        """Every deadline already passed, deliverable by deliverable, in order."""
        return [deadline for deadline in self.all_deadlines() if deadline.due <= now]

    def target(self, now: datetime, deliverable_id: int | None = None,
               period: str | None = None) -> Deadline | None:
        """The deadline asked for; by default the one coordinators are chasing (of the
        deliverable when one is given)."""
        found = self.deadlines.get(deliverable_id, ()) if deliverable_id is not None else ()
        if not found:     # none asked for, or a stale button's deliverable
            return chased_deadline(self.all_deadlines(), now)
        chosen = next((deadline for deadline in found if deadline.period == period), None)
        return chosen or chased_deadline(found, now)

    def neighbours(self, deadline: Deadline) -> tuple[Deadline | None, Deadline | None]:
        """The previous and the next period of the same deliverable."""
        found = list(self.deadlines[deadline.deliverable_id])
        index = next(i for i, d in enumerate(found) if d.period == deadline.period)
        return (found[index - 1] if index > 0 else None,
                found[index + 1] if index + 1 < len(found) else None)


async def load_desk(storage: Storage, scope_unit_id: int | None) -> Desk | None:
    calendar = await storage.campaigns.calendar()
    if calendar is None:
        return None
    tz = calendar.campaign.timezone
    found = {rule.id: tuple(deadlines(rule, tz)) for rule in calendar.rules
             if rule.kind != ANYTIME}
    units = tuple(await storage.units.all_in_scope(scope_unit_id))
    return Desk(calendar, units, found)


def standings(units: Sequence[Unit], delivered_units: Mapping[int, int | None]) -> Standings:
    """The units grouped: on time, late (with how late), missing; each group in unit order."""
    on_time: list[Unit] = []
    late: list[Unit] = []
    missing: list[Unit] = []
    for unit in units:
        if unit.id not in delivered_units:
            missing.append(unit)
        elif delivered_units[unit.id]:
            late.append(unit)
        else:
            on_time.append(unit)
    return Standings(on_time, late, missing, delivered_units)


def duration_parts(seconds: int) -> tuple[int, int, int]:
    """(days, hours, minutes), minutes rounded up: one second late is a minute late."""
    minutes = -(-seconds // 60)
    return minutes // (24 * 60), minutes // 60 % 24, minutes % 60


class Words:
    """The desk's words in one language. :meth:`html` escapes parameters (for messages);
    :meth:`plain` does not (for files)."""

    def __init__(self, texts: Texts, language: str, timezone: ZoneInfo) -> None:
        self.texts = texts
        self.language = language
        self.timezone = timezone

    def html(self, key: str, **params: object) -> str:
        return self.texts.get(self.language, key, **params)

    def plain(self, key: str, **params: object) -> str:
        return self.texts.get(self.language, key).format(**params)

    def deliverable(self, key: str) -> str:
        name = f"desk.deliverable_{key}"
        return self.plain(name) if name in self.texts.catalogs[self.texts.default] else key

    def date(self, day: date) -> str:
        return day.strftime(self.plain("desk.date_format"))

    def moment(self, at: datetime) -> str:
        return at.astimezone(self.timezone).strftime(self.plain("desk.datetime_format"))

    def period(self, deadline: Deadline) -> str:
        if deadline.period == "once":
            return ""
        if len(deadline.period) == 7:  # a month: YYYY-MM
            return self.plain("desk.period_month", year=deadline.nominal.year,
                              month=deadline.nominal.month)
        return self.plain("desk.period_week", date=self.date(deadline.nominal))

    def target(self, deadline: Deadline) -> str:
        if deadline.period == "once":
            return self.plain("desk.target_once", deliverable=self.deliverable(deadline.key))
        return self.plain("desk.target", deliverable=self.deliverable(deadline.key),
                          period=self.period(deadline))

    def period_key_label(self, deliverable_key: str, period: str) -> str:
        """A stored period key read back: 'week of …', a month, or just the deliverable."""
        deliverable = self.deliverable(deliverable_key)
        try:
            if len(period) == 10:
                label = self.plain("desk.period_week", date=self.date(date.fromisoformat(period)))
            elif len(period) == 7:
                label = self.plain("desk.period_month", year=int(period[:4]),
                                   month=int(period[5:]))
            else:
                return deliverable
        except ValueError:
            return deliverable
        return self.plain("desk.target", deliverable=deliverable, period=label)

    def duration(self, seconds: int) -> str:
        days, hours, minutes = duration_parts(seconds)
        parts = []
        if days:
            parts.append(self.plain("desk.days", n=days))
        if hours:
            parts.append(self.plain("desk.hours", n=hours))
        if minutes or not parts:
            parts.append(self.plain("desk.minutes", n=minutes))
        return " ".join(parts) if self.language == "en" else "".join(parts)

    def state(self, standing: Standing) -> str:
        """On time / late by how long / missing, for files."""
        if standing.group == LATE and standing.late_seconds:
            return self.plain("desk.late_by", duration=self.duration(standing.late_seconds))
        return self.plain(f"desk.{standing.group}")
