"""A moved deadline reaches people: /deadline's change is announced once, through the
outbox, to the liaisons whose unit has not delivered that period, with the old and the new
time. Which period: the first of the rule whose due instant changed and is still ahead (a
change of every period's time is announced for the next one, not for every week)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from bot.kernel.schedule import Deadline, Rule, deadlines
from bot.kernel.words import Words
from bot.ptb.context import Services
from bot.storage.campaigns import Calendar
from bot.storage.outbox import Message


def moved(before: Rule, after: Rule, tz, now: datetime) -> tuple[Deadline, Deadline] | None:
    """(old, new) of the first period whose deadline moved to an instant still ahead. The
    periods are paired by key; when a weekday change gave them new keys (a period's key is
    its nominal date), by their place in the calendar."""
    old, new = deadlines(before, tz), deadlines(after, tz)
    if {d.period for d in old} == {d.period for d in new}:
        by_period = {deadline.period: deadline for deadline in old}
        pairs = [(by_period[deadline.period], deadline) for deadline in new]
    else:
        pairs = list(zip(old, new, strict=False))
    return next(((earlier, later) for earlier, later in pairs
                 if earlier.due != later.due and later.due > now), None)


def without_override(rule: Rule, nominal: date) -> Rule:
    """The rule as it would be with that period's override removed."""
    return dataclasses.replace(rule, overrides={day: due for day, due in rule.overrides.items()
                                                if day != nominal})


async def announce(services: Services, before: Calendar, after: Calendar, rule_id: int,
                   now: datetime) -> int:
    """The outbox rows for a change of the rule's deadlines; returns how many were new."""
    old_rule = next((rule for rule in before.rules if rule.id == rule_id), None)
    new_rule = next((rule for rule in after.rules if rule.id == rule_id), None)
    if old_rule is None or new_rule is None:
        return 0
    tz = after.campaign.timezone
    change = moved(old_rule, new_rule, tz, now)
    if change is None:
        return 0
    old, new = change
    storage = services.storage
    done = await storage.delivered(new)
    kind = "moved@" + new.due.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    messages = []
    for contact in await storage.audience.liaisons():
        if contact.unit_id in done or contact.person_id is None or contact.chat_id is None:
            continue
        words = Words(services.texts, contact.language or services.settings.language, tz)
        messages.append(Message(rule_id, new.period, contact.person_id, kind, contact.chat_id,
                                words.html("moves.announce", target=words.target(new),
                                           old=words.due(old), new=words.due(new))))
    written = await storage.outbox.add(messages) if messages else 0
    if written and services.sender is not None:
        services.sender.wake()
    return written
