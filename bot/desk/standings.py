"""The coordinator's desk: who delivered what for which deadline, as plain data.

The views, the reminders and the file commands share these; everything here is computed from
what storage loaded, except :func:`load_desk` and :func:`open_desk`, which load it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.kernel.schedule import ANYTIME, Deadline, Rule, chased_deadline, deadlines
from bot.kernel.words import LATE, MISSING, NIL, NOT_DUE, ON_TIME, RETURNED, Words
from bot.storage import Storage
from bot.storage.campaigns import Calendar
from bot.storage.models import Unit
from bot.storage.submissions import Delivery

if TYPE_CHECKING:
    from bot.ptb.access import Who
    from bot.ptb.context import BotContext

GROUPS = (ON_TIME, LATE, MISSING)   # the desk's groups: the vocabulary's states, in this order


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
    returned: frozenset[int] = frozenset()  # of the missing: returned for revision (bot/review)

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
    scope_unit_id: int | None = None                # the coordinator's scope (None: all)

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
    """The calendar and the units in a scope; None when there is no campaign."""
    calendar = await storage.campaigns.calendar()
    if calendar is None:
        return None
    tz = calendar.campaign.timezone
    found = {rule.id: tuple(deadlines(rule, tz)) for rule in calendar.rules
             if rule.kind != ANYTIME}
    units = tuple(await storage.units.all_in_scope(scope_unit_id))
    return Desk(calendar, units, found, scope_unit_id)


async def open_desk(context: BotContext, who: Who) -> Desk | str:
    """The caller's desk, or the one line to answer instead (no campaign, no units)."""
    desk = await load_desk(context.storage, who.scope_unit_id)
    if desk is None:
        return context.t("desk.no_campaign")
    if not desk.units or not desk.rules:
        return context.t("desk.no_units")
    return desk


async def load_standings(storage: Storage, desk: Desk, deadline: Deadline) -> Standings:
    """The desk's units for one deadline, by the one "who delivered" rule; the missing ones
    whose submission is returned for revision are marked."""
    return standings(desk.units, await storage.delivered(deadline),
                     await storage.reviews.returned_units(deadline.deliverable_id,
                                                          deadline.period))


@dataclass(frozen=True)
class Column:
    """One deadline as the desk's files show it: every unit's standing, and how the ones
    that delivered did (a nil report and its reason, when it was first sent)."""
    deadline: Deadline
    standings: Standings
    deliveries: Mapping[int, Delivery]
    passed: bool                # the deadline has passed: a unit not delivered is missing

    def state(self, unit: Unit) -> str:
        """on_time, late, nil, missing or not_due (nothing yet, and not due either)."""
        delivery = self.deliveries.get(unit.id)
        if delivery is not None and delivery.nil:
            return NIL
        group = self.standings.group_of(unit.id)
        return NOT_DUE if group == MISSING and not self.passed else group

    def late_seconds(self, unit: Unit) -> int | None:
        return self.standings.delivered.get(unit.id) or None

    def nil_reason(self, unit: Unit) -> str | None:
        delivery = self.deliveries.get(unit.id)
        return delivery.nil_reason if delivery is not None else None

    def sent_at(self, unit: Unit) -> str | None:
        delivery = self.deliveries.get(unit.id)
        return delivery.first_received_at if delivery is not None else None

    def returned(self, unit: Unit) -> bool:
        """Returned for revision and not yet resubmitted (counted as not delivered)."""
        return unit.id in self.standings.returned

    def text(self, words: Words, unit: Unit) -> str:
        """按时 / 迟交 2 小时 / 本期无材料（原因：…）/ 未交 / 未到期 / 退回待改."""
        if self.returned(unit):
            return words.state(RETURNED)
        return words.state(self.state(unit), self.late_seconds(unit), self.nil_reason(unit))


async def load_columns(storage: Storage, desk: Desk, found: Sequence[Deadline],
                       now: datetime) -> list[Column]:
    """A :class:`Column` per deadline, in the order given."""
    return [Column(deadline, await load_standings(storage, desk, deadline),
                   await storage.submissions.deliveries(deadline.deliverable_id,
                                                        deadline.period),
                   deadline.due <= now)
            for deadline in found]


def tree_order(units: Sequence[Unit]) -> list[Unit]:
    """The office's own order: the tree, each parent before its children, siblings in the
    order they were added (a unit whose parent is not among ``units`` is a root)."""
    present = {unit.id for unit in units}
    children: dict[int | None, list[Unit]] = {}
    for unit in sorted(units, key=lambda unit: unit.id):
        parent = unit.parent_id if unit.parent_id in present else None
        children.setdefault(parent, []).append(unit)
    ordered: list[Unit] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack += reversed(children.get(unit.id, []))
    reached = {unit.id for unit in ordered}
    return ordered + [unit for unit in units if unit.id not in reached]   # a cycle, if ever


def desk_words(context: BotContext, timezone: ZoneInfo | None = None) -> Words:
    """The vocabulary in the caller's language and the campaign's time zone (the bot's when
    there is no campaign): the desk shows every time as the campaign reckons it."""
    return Words(context.texts, context.lang, timezone or context.settings.timezone)


def standings(units: Sequence[Unit], delivered_units: Mapping[int, int | None],
              returned: frozenset[int] = frozenset()) -> Standings:
    """The units grouped: on time, late (with how late), missing; each group in unit order
    (``returned``: units whose submission is returned for revision, among the missing)."""
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
    return Standings(on_time, late, missing, delivered_units,
                     frozenset(returned) - delivered_units.keys())
