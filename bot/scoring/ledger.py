"""The points ledger's events and what the rules in use make of them.

An event is an adoption (``adoption:<id>``), a period a unit delivered late or not at all
(``late:<deliverable>:<period>``, ``missing:<deliverable>:<period>``, once its deadline has
passed) or a return not fixed within its grace (``returned:<id>``). :func:`settle` computes
what the ledger should hold for every event under the current rules and lets
``Scoring.reconcile`` supersede what differs: loading new rules re-scores the same events,
and a late delivery after a missing deadline turns the 漏报 row into a 迟报 row. Nobody edits a
ledger row by hand.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.kernel.clock import from_iso, to_iso
from bot.kernel.schedule import ANYTIME, deadlines
from bot.scoring.rules import Rules
from bot.storage import Storage
from bot.storage.scoring import Adoption, RulesVersion, Scored

KINDS = ("adoption", "late", "missing", "returned")
_locks: dict[int, asyncio.Lock] = {}


def lock_for(storage: Storage) -> asyncio.Lock:
    """One lock per storage: an adoption is never written between a settle's reading of the
    events and its reconciling, which would supersede the new row."""
    return _locks.setdefault(id(storage), asyncio.Lock())


def adoption_score(rules: Rules, adoption: Adoption) -> Scored:
    level = rules.level(adoption.level)
    return Scored(adoption.unit_id, f"adoption:{adoption.id}", "adoption",
                  f"levels.{adoption.level}", level.points if level else 0,
                  adoption.submission_id, adoption.deliverable_id, adoption.period,
                  adoption.adopted_at)


async def wanted(storage: Storage, rules: Rules, now: datetime) -> list[Scored]:
    """Every event's row under ``rules``: adoptions, then each passed deadline's late and
    missing units (a unit added after a deadline owes nothing for it)."""
    found = [adoption_score(rules, adoption) for adoption in await storage.scoring.adoptions()]
    calendar = await storage.campaigns.calendar()
    if calendar is None:
        return found
    units = await storage.units.all_in_scope(None)
    for rule in calendar.rules:
        if rule.kind == ANYTIME:
            continue
        late_points = rules.deduction(rule.key, "late")
        missing_points = rules.deduction(rule.key, "missing")
        if not late_points and not missing_points:
            continue
        for deadline in deadlines(rule, calendar.campaign.timezone):
            if deadline.due > now:
                break
            done = await storage.delivered(deadline)
            due = to_iso(deadline.due)
            for unit in units:
                if from_iso(unit.created_at) > deadline.due:
                    continue
                if unit.id in done:
                    if done[unit.id] and late_points:
                        found.append(Scored(
                            unit.id, f"late:{rule.id}:{deadline.period}", "late",
                            f"deductions.{rule.key}.late", late_points, None, rule.id,
                            deadline.period, due))
                elif missing_points:
                    found.append(Scored(
                        unit.id, f"missing:{rule.id}:{deadline.period}", "missing",
                        f"deductions.{rule.key}.missing", missing_points, None, rule.id,
                        deadline.period, due))
    return found


async def settle(storage: Storage, now: datetime,
                 version: RulesVersion | None = None) -> RulesVersion:
    """Bring the ledger up to date with the events so far under the rules in use."""
    async with lock_for(storage):
        version = version or await storage.scoring.current()
        scores = await wanted(storage, version.rules, now)
        await storage.scoring.reconcile(scores, version.id, KINDS)
    return version
