"""Documents from a coordinator: a unit list (.xlsx/.csv) is imported.

Liaisons' documents belong to submissions; this router is the one place that decides.
Statistics come first: a form definition (.json) or a workbook the bot made (recognised by
its marker, whoever sends it) goes to ``handlers.stats``.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.access import who_is
from bot.context import BotContext
from bot.handlers import stats, units

UNIT_LIST = filters.Document.FileExtension("xlsx") | filters.Document.FileExtension("csv")
STATS_DEFINITION = filters.Document.FileExtension("json")


async def coordinator_document(update: Update, context: BotContext) -> None:
    who = await who_is(context, update.effective_user.id)
    if await stats.take_document(update, context, who):
        return
    if not who.is_coordinator:
        await update.effective_message.reply_text(context.t("units.import_coordinators_only"))
        return
    await units.import_units(update, context, who)


def register(app) -> None:
    app.add_handler(MessageHandler(UNIT_LIST | STATS_DEFINITION, coordinator_document))
