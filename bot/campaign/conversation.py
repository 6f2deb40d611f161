"""What /campaign and /deadline share: the full-scope guard, the calendar-changed hook, a
state's handlers and the conversation frame with its fallbacks.

Only the plumbing is shared: each conversation owns its user-data key, and its /cancel calls
its own ``leave`` (``setup.leave`` drops the /campaign draft, ``deadlines.leave`` the
/deadline one), so leaving one never touches the other's draft.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.outbox import jobs
from bot.ptb.access import Who, coordinator_only
from bot.ptb.buttons import ButtonData
from bot.ptb.context import BotContext
from bot.ptb.conversation import chat_conversation
from bot.ptb.replies import stale_button

Guarded = Callable[[Update, BotContext, Who], Awaitable[object]]


def full_scope_only(handler: Guarded) -> Callable[[Update, BotContext], Awaitable[object]]:
    """Coordinators of every unit only: the calendar is the same for all units."""

    @coordinator_only
    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext, who: Who) -> object:
        if who.scope_unit_id is not None:
            text = context.t("campaign.full_scope_only")
            if update.callback_query:
                await update.callback_query.answer(text, show_alert=True)
            else:
                await update.effective_message.reply_text(text)
            return ConversationHandler.END
        return await handler(update, context, who)

    return guarded


async def schedule_changed(context: BotContext) -> None:
    """The calendar changed: jobs follow the database at once."""
    await jobs.rebuild(context.application)
    await jobs.tick(context.application)


async def send(update: Update, context: BotContext, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def close_buttons(update: Update) -> None:
    """A press taken: answer it and take the keyboard off its message."""
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)


async def busy(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("campaign.busy"))


async def text_please(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("campaign.text_please"))


def state(*presses: tuple[Callable, type[ButtonData]], text: Callable | None = None) -> list:
    """A state's handlers: each (callback, declaration) takes its buttons' presses, ``text``
    (when given) typed text; anything else but a command is asked for text or a press."""
    handlers: list = [CallbackQueryHandler(callback, pattern=declaration.pattern())
                      for callback, declaration in presses]
    if text is not None:
        handlers.append(MessageHandler(filters.TEXT & ~filters.COMMAND, text))
    handlers.append(MessageHandler(~filters.COMMAND, text_please))
    return handlers


def calendar_conversation(command: str, entry: Callable, states: dict,
                          leave: Callable[[BotContext], object]) -> ConversationHandler:
    """A persistent conversation named after its command. /cancel ends it, ``leave`` (its
    owner's) dropping its draft; other commands wait; a press no state takes is stale.

    Its buttons belong to the chat's conversation (``per_message=False``): PTB's warning
    about that setting is meant for the opposite case."""

    async def cancel(update: Update, context: BotContext) -> int:
        leave(context)
        await update.effective_message.reply_text(context.t("campaign.cancelled"))
        return ConversationHandler.END

    return chat_conversation(
        entry_points=[CommandHandler(command, entry)],
        states=states,
        fallbacks=[CommandHandler("cancel", cancel),
                   MessageHandler(filters.COMMAND, busy),
                   CallbackQueryHandler(stale_button)],
        name=command,
        persistent=True,
    )
