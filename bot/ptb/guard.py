"""Runs around every update: who is this (group -100) and persist state (group 100)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.ptb.context import BotContext
from bot.ptb.replies import stale_button
from bot.storage.message_history import visible

log = logging.getLogger(__name__)

FIRST = -100
LAST = 100
# what getUpdates asks for: only the updates some handler uses (a business message, a poll
# answer, a reaction... never reach the bot, so none is answered)
ALLOWED_UPDATES = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY,
                   Update.MY_CHAT_MEMBER)
GONE = frozenset({ChatMemberStatus.BANNED, ChatMemberStatus.LEFT})   # "kicked": blocked


def language_for(update: Update, default: str) -> str:
    """New users get the default language unless their Telegram client is in English."""
    code = (update.effective_user.language_code or "").lower()
    return "en" if code.startswith("en") else default


async def identify(update: Update, context: BotContext) -> None:
    """Record the person; ignore groups, channels, updates no handler uses, and edits (one
    line per edited message, none for an edit that changes nothing visible)."""
    chat = update.effective_chat
    user = update.effective_user
    if update.my_chat_member is not None:
        await _member_changed(update, context)
        raise ApplicationHandlerStop
    if chat is None or user is None or chat.type != ChatType.PRIVATE or \
            not (update.message or update.edited_message or update.callback_query):
        log.info("ignoring update %s (not a private message, edit or press)", update.update_id)
        raise ApplicationHandlerStop
    context.person, _ = await context.storage.people.seen(
        user.id, chat.id, user.full_name, user.username,
        language_for(update, context.settings.language),
    )
    query = update.callback_query
    if query is not None:
        remember = getattr(context.bot, "remember_query", None)
        if remember is not None:
            remember(query)
        if query.message is not None and not query.message.is_accessible:
            await stale_button(update, context)     # date 0: too old for the bot to touch
            raise ApplicationHandlerStop
    if update.edited_message is not None:
        await _edited(update, context)
        raise ApplicationHandlerStop


async def _member_changed(update: Update, context: BotContext) -> None:
    """A person blocked the bot ("kicked") or unblocked it ("member"): unreachable or
    reachable from now on. Nothing is sent."""
    change = update.my_chat_member
    if change.chat.type != ChatType.PRIVATE:
        return
    user = change.from_user
    people = context.storage.people
    if await people.get(user.id) is None:
        await people.seen(user.id, change.chat.id, user.full_name, user.username,
                          language_for(update, context.settings.language))
    reachable = change.new_chat_member.status not in GONE
    await people.set_reachable(user.id, reachable)
    log.info("person %s %s the bot", user.id, "unblocked" if reachable else "blocked")


async def _edited(update: Update, context: BotContext) -> None:
    """Edits are not applied: the person is told once per message, and not at all when
    nothing they can see changed."""
    edited = update.edited_message
    versions = await context.storage.message_history.versions(
        edited.chat.id, edited.message_id, update.update_id)
    if versions.edited_before:
        return
    if versions.previous is not None and visible(versions.previous) == visible(edited.to_dict()):
        return
    await edited.reply_text(context.t("general.edit_ignored"))


async def persist(update: Update, context: BotContext) -> None:
    """Write changed conversation states and drafts now, not at the next interval."""
    await context.application.update_persistence()


def register(app) -> None:
    app.add_handler(TypeHandler(Update, identify), group=FIRST)
    app.add_handler(TypeHandler(Update, persist), group=LAST)
