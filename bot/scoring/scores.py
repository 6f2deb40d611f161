"""Points and rank per unit over a span (the campaign, a month, a quarter), as plain data.

Points are the current ledger rows whose event falls in the span; the adoption counts are
the ledger's adoption rows by level; on time, late and missing count the deadlines passed in
the span (a unit added after a deadline is not counted for it). Ranked by points, ties by
on-time rate; units equal in both share a rank.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.desk.standings import tree_order
from bot.kernel.clock import from_iso
from bot.kernel.schedule import ANYTIME, deadlines
from bot.scoring import ledger
from bot.scoring.rules import Rules, points_text
from bot.storage import Storage
from bot.storage.models import Unit
from bot.storage.scoring import LedgerRow

if TYPE_CHECKING:
    from bot.ptb.context import BotContext

ALL = "all"
MONTH_WORDS = ("month", "月", "月份", "本月")
QUARTER_WORDS = ("quarter", "季度", "本季度", "本季")
ALL_WORDS = ("", "all", "全部", "全年")
QUARTER_NAMES = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class Span:
    """``all``, a month ``m2026-06`` or a quarter ``q2026-2``: its key travels in buttons."""
    key: str

    @property
    def kind(self) -> str:
        return {"m": "month", "q": "quarter"}.get(self.key[0], ALL)

    @property
    def year(self) -> int:
        return int(self.key[1:5])

    @property
    def number(self) -> int:
        """The month (1–12) or the quarter (1–4)."""
        return int(self.key[6:]) if self.kind == "month" else int(self.key[-1])

    def months(self) -> tuple[int, ...]:
        if self.kind == "month":
            return (self.number,)
        return tuple(range(3 * self.number - 2, 3 * self.number + 1))

    def holds(self, at: datetime, timezone: ZoneInfo) -> bool:
        if self.kind == ALL:
            return True
        local = at.astimezone(timezone)
        return local.year == self.year and local.month in self.months()


def parse_span(argument: str, today: date) -> Span | None:
    """/ranking's argument: nothing or 全部 (the whole campaign), 月份 / 本月 (this month),
    季度 (this quarter), a month (``6月``, ``2026-06``, ``6``) or a quarter (``Q2``,
    ``二季度``, ``第二季度``); None when it names none."""
    text = argument.strip().lower().replace(" ", "")
    if text in ALL_WORDS:
        return Span(ALL)
    if text in MONTH_WORDS:
        return Span(f"m{today.year:04d}-{today.month:02d}")
    if text in QUARTER_WORDS:
        return Span(f"q{today.year:04d}-{(today.month - 1) // 3 + 1}")
    found = re.fullmatch(r"(?:(\d{4})[-年/.])?(\d{1,2})月?", text)
    if found and 1 <= int(found.group(2)) <= 12:
        return Span(f"m{int(found.group(1) or today.year):04d}-{int(found.group(2)):02d}")
    found = re.fullmatch(r"(?:(\d{4})年?)?(?:q([1-4])|第?([一二三四1-4])季度?)", text)
    if found:
        quarter = QUARTER_NAMES[found.group(2) or found.group(3)]
        return Span(f"q{int(found.group(1) or today.year):04d}-{quarter}")
    return None


def span_of_key(key: str) -> Span | None:
    """A span back from a button (None when forged)."""
    if key == ALL or re.fullmatch(r"m\d{4}-(0[1-9]|1[0-2])", key) or re.fullmatch(
            r"q\d{4}-[1-4]", key):
        return Span(key)
    return None


@dataclass
class UnitScore:
    unit: Unit
    points: float = 0
    adoptions: dict[str, int] = field(default_factory=dict)    # level key -> count
    due: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    rank: int = 0

    @property
    def adopted(self) -> int:
        return sum(self.adoptions.values())

    @property
    def rate(self) -> float | None:
        """On-time deliveries per deadline passed; None when none has passed."""
        return self.on_time / self.due if self.due else None


@dataclass(frozen=True)
class Ranking:
    span: Span
    rules: Rules
    rules_version: int
    scores: list[UnitScore]          # ranked
    rows: list[LedgerRow]            # the ledger rows counted


def rank(scores: Sequence[UnitScore]) -> list[UnitScore]:
    """Points first, then on-time rate; equal in both: the same rank (1, 2, 2, 4), listed in
    the office's order as given."""
    ordered = sorted(scores, key=lambda score: (-round(score.points, 2), -(score.rate or 0)))
    previous = None
    for position, score in enumerate(ordered, start=1):
        key = (round(score.points, 2), score.rate or 0)
        score.rank = previous[1] if previous and previous[0] == key else position
        previous = (key, score.rank)
    return ordered


async def ranking(storage: Storage, scope_unit_id: int | None, span: Span, now: datetime
                  ) -> Ranking:
    """The units of a scope ranked over a span, with the ledger brought up to date first;
    the same ranking again while none of the ledger's inputs changed (every liaison's
    /mystatus asks for the whole campaign's)."""
    version = await ledger.settle(storage, now)
    key = (scope_unit_id, span.key)
    cached = storage.scoring.rankings.get(key)
    if cached is not None and cached[0] == storage.scoring.settled_on:
        return cached[1]
    settled_on = storage.scoring.settled_on
    found = await _ranking(storage, scope_unit_id, span, now, version)
    storage.scoring.rankings[key] = (settled_on, found)
    return found


async def _ranking(storage: Storage, scope_unit_id: int | None, span: Span, now: datetime,
                   version) -> Ranking:
    calendar = await storage.campaigns.calendar()
    timezone = calendar.campaign.timezone if calendar else ZoneInfo("Asia/Shanghai")
    units = tree_order(await storage.units.all_in_scope(scope_unit_id))
    scores = {unit.id: UnitScore(unit) for unit in units}
    counted = []
    for row in await storage.scoring.ledger(list(scores)):
        if not span.holds(from_iso(row.occurred_at), timezone):
            continue
        counted.append(row)
        score = scores[row.unit_id]
        score.points += row.points
        if row.kind == "adoption":
            level = row.rule.removeprefix("levels.")
            score.adoptions[level] = score.adoptions.get(level, 0) + 1
    created = {unit.id: from_iso(unit.created_at) for unit in units}
    if calendar is not None:
        for rule in calendar.rules:
            if rule.kind == ANYTIME:
                continue
            for deadline in deadlines(rule, timezone):
                if deadline.due > now:
                    break
                if not span.holds(deadline.due, timezone):
                    continue
                done = await storage.delivered(deadline)
                for score in scores.values():
                    if created[score.unit.id] > deadline.due:
                        continue
                    score.due += 1
                    if score.unit.id not in done:
                        score.missing += 1
                    elif done[score.unit.id]:
                        score.late += 1
                    else:
                        score.on_time += 1
    return Ranking(span, version.rules, version.id, rank(list(scores.values())), counted)


async def unit_rank(storage: Storage, unit_id: int, now: datetime
                    ) -> tuple[UnitScore, int] | None:
    """A unit's score and rank among every unit over the whole campaign, and how many units
    are ranked (/mystatus)."""
    found = await ranking(storage, None, Span(ALL), now)
    score = next((score for score in found.scores if score.unit.id == unit_id), None)
    return (score, len(found.scores)) if score else None


async def my_points_line(context: BotContext, unit_id: int) -> str:
    """/mystatus's line: the unit's points, its adoptions and its rank among all units."""
    found = await unit_rank(context.storage, unit_id, context.clock())
    if found is None:
        return ""
    score, units = found
    return context.t("scoring.my_points", points=points_text(score.points),
                     adopted=score.adopted, rank=score.rank, units=units)
