"""Sending "remind them now" reminders through the outbox and its rate-limited sender.

Each press writes one outbox row per liaison (kind ``remind-now-<press>``, so a press is
sent once even across a restart), wakes the sender, and waits for the rows to settle to
report who was not reached (blocked the bot, or failed after the sender's retries).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.desk.standings import Words
from bot.kernel.schedule import Deadline
from bot.ptb.context import BotContext
from bot.storage.outbox import PENDING, SENDING, SENT, Message

SETTLE_SECONDS = 15 * 60


@dataclass(frozen=True)
class Reminder:
    """A unit's liaison to remind of a deadline."""
    person_id: int
    unit_name: str


async def send_reminders(context: BotContext, deadline: Deadline, timezone: ZoneInfo,
                         reminders: Sequence[Reminder], press_id: int) -> list[Reminder]:
    """Queue each reminder once, in its person's language; returns those not reached."""
    kind = f"remind-now-{press_id}"
    storage = context.storage
    messages = []
    for reminder in reminders:
        person = await storage.people.get(reminder.person_id)
        words = Words(context.texts, person.language if person else context.settings.language,
                      timezone)
        messages.append(Message(
            deadline.deliverable_id, deadline.period, reminder.person_id, kind,
            person.chat_id if person else reminder.person_id,
            words.html("desk.reminder", unit=reminder.unit_name,
                       target=words.target(deadline), due=words.moment(deadline.due))))
    await storage.outbox.add(messages)
    context.sender.wake()
    states = await _settled_states(context, deadline, kind)
    return [reminder for reminder in reminders if states.get(reminder.person_id) != SENT]


async def _settled_states(context: BotContext, deadline: Deadline, kind: str) -> dict[int, str]:
    """person id -> final state of their row (waits while any is pending or being sent)."""
    give_up = time.monotonic() + SETTLE_SECONDS
    while True:
        rows = await context.storage.outbox.rows(deadline.deliverable_id, deadline.period, kind)
        if all(row.state not in (PENDING, SENDING) for row in rows) or \
                time.monotonic() > give_up:
            return {row.person_id: row.state for row in rows}
        await asyncio.sleep(0.2)
