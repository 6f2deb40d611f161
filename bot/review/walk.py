"""Which submissions /review walks, in which order, and what a card says: pure, or read
through storage; no Telegram here.

A walk is one deliverable's period (or every period of event reports) over the caller's
scope: on time first, then late, then the ones returned and not back; within each, the
office's own unit order (``standings.tree_order``), then the period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.desk.standings import Desk, tree_order
from bot.kernel.dates import parse_date
from bot.kernel.schedule import ANYTIME, Deadline, chased_deadline, deadlines
from bot.kernel.words import LATE, ON_TIME, RETURNED, Words
from bot.storage import Storage
from bot.storage.campaigns import Calendar
from bot.storage.reviews import Reviewable

KEYWORDS = {"event": "event", "events": "event", "活动": "event", "演练": "event",
            "case": "monthly_case", "cases": "monthly_case", "案例": "monthly_case"}


@dataclass(frozen=True)
class Scope:
    """What /review was asked for: a deliverable and its period (None: every period)."""
    key: str
    deliverable_id: int
    period: str | None


def _month_period(text: str, year: int) -> str | None:
    text = text.strip().removesuffix("月").removesuffix("份")
    if text.isdigit() and 1 <= int(text) <= 12:
        return f"{year}-{int(text):02d}"
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        return text if 1 <= int(text[5:]) <= 12 else None
    return None


def choose(calendar: Calendar, args: Sequence[str], now) -> Scope | str:
    """The scope /review's arguments name, or the catalog key of the one line to answer
    (``review.usage``, ``review.bad_period``, ``review.no_rule``)."""
    words = [arg.strip().lower() for arg in args if arg.strip()]
    key = "weekly"
    if words and words[0] in KEYWORDS:
        key = KEYWORDS[words.pop(0)]
    rule = calendar.rule(key)
    if rule is None:
        return "review.no_rule"
    if rule.kind == ANYTIME:
        return Scope(key, rule.id, None) if not words else "review.usage"
    found = deadlines(rule, calendar.campaign.timezone)
    if not words:      # the latest period already due (what there is to review), else the next
        passed = [d for d in found if d.due <= now]
        chosen = max(passed, key=lambda d: d.due) if passed else chased_deadline(found, now)
        return Scope(key, rule.id, chosen.period) if chosen else "review.bad_period"
    if len(words) > 1:
        return "review.usage"
    year = calendar.campaign.year
    if key == "monthly_case":
        period = _month_period(words[0], year)
        chosen = next((d for d in found if d.period == period), None)
    else:
        day = parse_date(words[0], year)
        chosen = _week_of(found, day) if day else None
    return Scope(key, rule.id, chosen.period) if chosen else "review.bad_period"


def _week_of(found: Sequence[Deadline], day: date) -> Deadline | None:
    """The period whose nominal date or due day is ``day``."""
    return next((d for d in found if d.nominal == day), None) or \
        next((d for d in found if d.due.date() == day), None)


def order(entries: Sequence[Reviewable], desk: Desk) -> list[Reviewable]:
    """On time, late, returned; then unit order; then period (an event's number)."""
    position = {unit.id: index for index, unit in enumerate(tree_order(desk.units))}

    def rank(entry: Reviewable) -> tuple:
        group = 2 if entry.returned else (1 if entry.late_seconds else 0)
        number = entry.period.removeprefix("event-")
        return (group, position.get(entry.unit_id, len(position)),
                int(number) if number.isdigit() else 0, entry.period, entry.id)

    return sorted(entries, key=rank)


async def load(storage: Storage, desk: Desk, scope: Scope) -> list[Reviewable]:
    """The walk, ordered, over the desk's units."""
    found = await storage.reviews.reviewable(scope.deliverable_id, scope.period,
                                             [unit.id for unit in desk.units])
    return order(found, desk)


def state_text(words: Words, entry: Reviewable) -> str:
    if entry.returned:
        return words.state(RETURNED)
    return words.state(LATE, entry.late_seconds) if entry.late_seconds \
        else words.state(ON_TIME)
