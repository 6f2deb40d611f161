"""Runs around every update: who is this (group -100) and persist state (group 100)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.ptb.context import BotContext

log = logging.getLogger(__name__)

FIRST = -100
LAST = 100


def language_for(update: Update, default: str) -> str:
    """New users get the default language unless their Telegram client is in English."""
    code = (update.effective_user.language_code or "").lower()
    return "en" if code.startswith("en") else default


async def identify(update: Update, context: BotContext) -> None:
    """Record the person; ignore groups, channels and edits explicitly."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        log.info("ignoring update %s from a non-private chat", update.update_id)
        raise ApplicationHandlerStop
    context.person, _ = await context.storage.people.seen(
        user.id, chat.id, user.full_name, user.username,
        language_for(update, context.settings.language),
    )
    if update.edited_message is not None:
        await update.edited_message.reply_text(context.t("general.edit_ignored"))
        raise ApplicationHandlerStop


async def persist(update: Update, context: BotContext) -> None:
    """Write changed conversation states and drafts now, not at the next interval."""
    await context.application.update_persistence()


def register(app) -> None:
    app.add_handler(TypeHandler(Update, identify), group=FIRST)
    app.add_handler(TypeHandler(Update, persist), group=LAST)
