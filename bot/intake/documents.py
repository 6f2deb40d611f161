"""The one router for documents.

Scoring rules come first (a .json whose ``kind`` says so goes to :mod:`bot.scoring`), then
statistics: a form definition (.json) or a workbook the bot made (recognised by
its marker, whoever sends it) goes to :mod:`bot.stats`. Then a coordinator's .xlsx/.csv is
a unit list to import; an active liaison's document is a submission (plans, summaries,
materials, spreadsheets, images sent as files); anyone else is told what the bot expects.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.intake.receive import take
from bot.people import units
from bot.ptb import common
from bot.ptb.access import who_is
from bot.ptb.context import BotContext
from bot.scoring import rules_flow as scoring_rules
from bot.stats import workbook_flow as stats

UNIT_LIST_EXTENSIONS = (".xlsx", ".csv")


def is_unit_list(file_name: str | None) -> bool:
    return (file_name or "").lower().endswith(UNIT_LIST_EXTENSIONS)


async def route_document(update: Update, context: BotContext) -> None:
    who = await who_is(context, update.effective_user.id)
    if await scoring_rules.take_document(update, context, who):
        return
    if await stats.take_document(update, context, who):
        return
    unit_list = is_unit_list(update.effective_message.document.file_name)
    if who.is_coordinator and unit_list:
        await units.import_units(update, context, who)
    elif who.active_liaison is not None:
        await take(update, context, liaison=who.active_liaison)
    elif unit_list and who.liaison is None:
        await update.effective_message.reply_text(context.t("units.import_coordinators_only"))
    else:
        await common.anything_else(update, context)


def register(app) -> None:
    app.add_handler(MessageHandler(filters.Document.ALL, route_document))
