"""The points ledger's events and what the rules in use make of them.

An event is an adoption (``adoption:<id>``), a period a unit delivered late or not at all
(``late:<deliverable>:<period>``, ``missing:<deliverable>:<period>``, once its deadline has
passed) or a return not fixed within its grace (``returned:<id>``, instead of 漏报 for that
period; fixed after the grace, the resubmission's lateness makes it 迟报). :func:`settle` computes
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


def lock_for(storage: Storage) -> asyncio.Lock:
    """One lock per storage: an adoption is never written between a settle's reading of the
    events and its reconciling, which would supersede the new row."""
    return storage.scoring.lock


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
    created = {unit.id: from_iso(unit.created_at) for unit in units}
    keys = {rule.id: rule.key for rule in calendar.rules}
    for open_return in await storage.reviews.open_returns():
        submission = await storage.submissions.get(open_return.submission_id)
        key = keys.get(submission.deliverable_id) if submission else None
        points = rules.deduction(key, "returned") if key else 0
        if points and from_iso(open_return.grace_until) <= now:
            found.append(Scored(
                submission.unit_id, f"returned:{open_return.id}", "returned",
                f"deductions.{key}.returned", points, submission.id, submission.deliverable_id,
                submission.period, open_return.grace_until))
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
            # returned and not back: the return's own deduction once its grace is over,
            # not 漏报 as well
            returned = await storage.reviews.returned_units(rule.id, deadline.period)
            due = to_iso(deadline.due)
            for unit in units:
                if created[unit.id] > deadline.due or unit.id in returned:
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


async def inputs(storage: Storage, version: RulesVersion, now: datetime) -> tuple:
    """Everything the ledger is computed from: the stored events' fingerprint, the
    deadlines passed by ``now`` (with their due instants: an override moves them) and the
    rules version."""
    calendar = await storage.campaigns.calendar()
    passed: tuple = ()
    if calendar is not None:
        passed = tuple((rule.id, deadline.period, deadline.due)
                       for rule in calendar.rules if rule.kind != ANYTIME
                       for deadline in deadlines(rule, calendar.campaign.timezone)
                       if deadline.due <= now)
    overdue = tuple(open_return.id for open_return in await storage.reviews.open_returns()
                    if from_iso(open_return.grace_until) <= now)
    return await storage.scoring.fingerprint(), passed, overdue, version.id


async def settle(storage: Storage, now: datetime,
                 version: RulesVersion | None = None) -> RulesVersion:
    """Bring the ledger up to date with the events so far under the rules in use; nothing
    to do when none of its inputs changed since the last time."""
    async with lock_for(storage):
        version = version or await storage.scoring.current()
        before = await inputs(storage, version, now)
        if storage.scoring.settled_on == before:
            return version
        scores = await wanted(storage, version.rules, now)
        await storage.scoring.reconcile(scores, version.id, KINDS)
        storage.scoring.settled_on = before
    return version
