"""Everyone's commands: /start, /help, /lang, /cancel; the catch-alls and the error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.ptb import commands
from bot.ptb.access import who_is
from bot.ptb.buttons import Language
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import stale_button
from bot.texts import LANGUAGES

log = logging.getLogger(__name__)


async def _help_key(context: BotContext, user_id: int) -> str:
    who = await who_is(context, user_id)
    if who.is_coordinator:
        return "common.help_coordinator"
    if who.active_liaison:
        return "common.help_liaison"
    if who.liaison:
        return "access.pending_liaison"
    return "common.help_newcomer"


async def start(update: Update, context: BotContext) -> None:
    """``/start`` without a code (a code is handled by the registration conversation)."""
    key = await _help_key(context, update.effective_user.id)
    await update.effective_message.reply_text(
        context.t("common.welcome", name=update.effective_user.first_name) + "\n\n"
        + context.t(key))
    who = await who_is(context, update.effective_user.id)
    await commands.publish_for_chat(context.bot, context.texts, update.effective_chat.id,
                                    context.lang, who.roles)


async def help_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(
        context.t(await _help_key(context, update.effective_user.id)))


async def choose_language(update: Update, context: BotContext) -> None:
    buttons = [[Language(language).button(context.texts.get(language, "common.language_name"))
                for language in LANGUAGES]]
    await update.effective_message.reply_text(context.t("common.choose_language"),
                                              reply_markup=inline(buttons))


async def on_language(update: Update, context: BotContext) -> None:
    query = update.callback_query
    pressed = Language.parse(query.data)
    if pressed is None or pressed.language not in LANGUAGES:
        await stale_button(update, context)
        return
    language = pressed.language
    await context.storage.people.set_language(update.effective_user.id, language)
    context.person = await context.storage.people.get(update.effective_user.id)
    await query.answer()
    await query.edit_message_text(context.t("common.language_set"))
    who = await who_is(context, update.effective_user.id)
    await commands.publish_for_chat(context.bot, context.texts, update.effective_chat.id,
                                    language, who.roles)


async def cancel(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("common.nothing_to_cancel"))


async def unknown_command(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("common.unknown_command"))


async def anything_else(update: Update, context: BotContext) -> None:
    """Messages no other handler took: say what the bot expects from this person."""
    key = await _help_key(context, update.effective_user.id)
    await update.effective_message.reply_text(context.t("common.not_understood") + "\n\n"
                                              + context.t(key))


async def on_error(update: object, context: BotContext) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat and \
            update.effective_chat.type == "private":
        try:
            await context.bot.send_message(update.effective_chat.id, context.t("general.error"))
        except TelegramError:
            log.warning("could not tell chat %s about the error", update.effective_chat.id)


def register_commands(app) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("lang", choose_language))
    app.add_handler(CallbackQueryHandler(on_language, pattern=Language.pattern()))
    app.add_handler(CommandHandler("cancel", cancel))


def register_fallbacks(app) -> None:
    """Registered last in group 0: only what nothing else handled reaches these."""
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(MessageHandler(filters.ALL, anything_else))
    app.add_error_handler(on_error)
