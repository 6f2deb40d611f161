"""Sending "remind them now" reminders: the one function to switch to the outbox later.

For now a small paced loop sends directly: one person's failure never stops it (403 marks
the person unreachable, flood control is waited out, other errors are logged).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram.error import Forbidden, RetryAfter, TelegramError

from bot.context import BotContext
from bot.desk import Words
from bot.schedule import Deadline

log = logging.getLogger(__name__)

PACE_SECONDS = 1 / 25      # under Telegram's ~30 messages a second to different chats
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Reminder:
    """A unit's liaison to remind of a deadline."""
    person_id: int
    unit_name: str


async def send_reminders(context: BotContext, deadline: Deadline, timezone: ZoneInfo,
                         reminders: Sequence[Reminder]) -> list[Reminder]:
    """Send each reminder once, in its person's language; returns those not reached."""
    unreached = []
    for index, reminder in enumerate(reminders):
        if index:
            await asyncio.sleep(PACE_SECONDS)
        if not await _send_one(context, deadline, timezone, reminder):
            unreached.append(reminder)
    return unreached


async def _send_one(context: BotContext, deadline: Deadline, timezone: ZoneInfo,
                    reminder: Reminder) -> bool:
    language = await context.storage.people.language_of(reminder.person_id,
                                                        context.settings.language)
    words = Words(context.texts, language, timezone)
    text = words.html("desk.reminder", unit=reminder.unit_name, target=words.target(deadline),
                      due=words.moment(deadline.due))
    for _ in range(MAX_ATTEMPTS):
        try:
            await context.bot.send_message(reminder.person_id, text)
            return True
        except RetryAfter as flood:
            delay = flood.retry_after
            await asyncio.sleep(delay.total_seconds() if hasattr(delay, "total_seconds")
                                else float(delay))
        except Forbidden:
            log.info("person %s blocked the bot", reminder.person_id)
            await context.storage.people.set_reachable(reminder.person_id, False)
            return False
        except TelegramError as error:
            log.warning("could not remind person %s: %s", reminder.person_id, error)
            return False
    return False
