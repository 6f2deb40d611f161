"""Ad-hoc messages to people other than the sender (coordinators, a replaced liaison).

A failure to reach one person is logged and never breaks the handler that triggered it;
a 403 marks the person unreachable. Scheduled broadcasts go through the outbox instead.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.ptb.context import BotContext

log = logging.getLogger(__name__)


async def tell(context: BotContext, person_id: int, key: str,
               markup: InlineKeyboardMarkup | None = None, **params: object) -> bool:
    """Send catalog text ``key`` to a person in their language; True when it was delivered."""
    language = await context.storage.people.language_of(person_id, context.settings.language)
    text = context.texts.get(language, key, **params)
    try:
        await context.bot.send_message(person_id, text, reply_markup=markup)
    except Forbidden:
        log.info("person %s blocked the bot", person_id)
        await context.storage.people.set_reachable(person_id, False)
        return False
    except TelegramError as error:
        log.warning("could not reach person %s: %s", person_id, error)
        return False
    return True


async def coordinators_of(context: BotContext, unit_id: int) -> list[int]:
    """Everyone who coordinates the unit: admins and coordinators whose scope holds it."""
    ids = set(context.settings.admin_ids)
    ids.update(await context.storage.coordinators.watching_unit(unit_id))
    return sorted(ids)
