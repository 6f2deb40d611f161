"""Answers that every area gives the same way: long replies in parts, and a stale button.

Issue-wide rule: a reply that grows with the data goes through :func:`send_lines` (the one
splitter, :func:`bot.kernel.text.split_message`); a press that no longer means anything gets
:func:`stale_button`, one line, whatever the area.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import InlineKeyboardMarkup, Update

from bot.kernel.text import split_message
from bot.ptb.buttons import ButtonData
from bot.ptb.context import BotContext

T = TypeVar("T")


async def send_lines(context: BotContext, chat_id: int, lines: Sequence[str],
                     markup: InlineKeyboardMarkup | None = None) -> None:
    """Lines in as few messages as fit Telegram's limit; the buttons go with the last one,
    and every part after the first starts with the catalog's "continued" line."""
    parts = split_message(lines, context.t("words.continued"))
    for index, part in enumerate(parts):
        await context.bot.send_message(chat_id, part,
                                       reply_markup=markup if index == len(parts) - 1 else None)


async def stale_button(update: Update, context: BotContext, show_alert: bool = False) -> None:
    """The one answer to a press that is stale, forged or no longer allowed."""
    await update.callback_query.answer(context.t("general.stale_button"),
                                       show_alert=show_alert)


def pressed(declaration: type[ButtonData], alert: bool = False):
    """Decorator for a button handler: the press parsed by its declaration is passed last
    (``handler(update, context, …, pressed)``); a press that does not parse — stale or
    forged — gets :func:`stale_button` and the handler does not run (a conversation stays
    where it is). Goes inside the access guards, which hand in the caller first."""
    def decorate(handler: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T | None]]:
        @functools.wraps(handler)
        async def parsed(update: Update, context: BotContext, *args: object) -> T | None:
            data = declaration.parse(update.callback_query.data)
            if data is None:
                await stale_button(update, context, show_alert=alert)
                return None
            return await handler(update, context, *args, data)
        return parsed
    return decorate
