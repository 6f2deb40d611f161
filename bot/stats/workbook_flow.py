"""The statistics table on a computer: ``/stats_xlsx`` sends the unit's workbook (previous
values in), the filled file sent back is read and summarised, and the liaison's confirmation
submits it.

A read workbook waits in ``user_state["stats_upload"]`` for that confirmation; only the
latest one read can be confirmed. Documents reach this module through the documents router
(:func:`take_document`), which also hands form definitions (.json) on to
:mod:`bot.stats.definitions`.
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

from telegram import InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.kernel.clock import from_iso, to_iso
from bot.kernel.text import safe_file_name
from bot.ptb.access import Who, liaison_only, who_is
from bot.ptb.buttons import StatsUpload
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import send_lines, stale_button
from bot.stats import chat_form, definitions
from bot.stats.entries import campaign_id, record
from bot.stats.forms import text_in, values_for
from bot.stats.rendering import problem_report, summary_lines, workbook_labels, workbooks
from bot.storage.models import Liaison

WORKBOOK_KINDS = ("xlsx", "ods", "xls", "et")
BINARY_KINDS = ("xls", "et")      # Excel's old format and WPS's own: not read

if TYPE_CHECKING:
    from openpyxl import Workbook

    from bot.stats.workbook import CellProblem, Marker


@liaison_only
async def send_workbook(update: Update, context: BotContext, who: Who) -> None:
    """``/stats_xlsx``: the unit's table to fill on a computer, previous values in."""
    stats_workbook = await workbooks()
    liaison = who.active_liaison
    storage = context.storage
    version = await storage.stats.current_form()
    unit = await storage.units.get(liaison.unit_id)
    previous = await storage.stats.current(liaison.unit_id, await campaign_id(context))
    values = values_for(version.form, previous.figures) if previous else {}
    filler = stats_workbook.Filler(unit.name, liaison.name, liaison.mobile)
    data = await asyncio.to_thread(stats_workbook.unit_workbook, version.form, version.id,
                                   unit.id, filler, values, workbook_labels(context))
    file_name = f"{context.t('stats.xlsx_file')}-{safe_file_name(unit.name)}.xlsx"
    await update.effective_message.reply_document(
        InputFile(io.BytesIO(data), filename=file_name), caption=context.t("stats.xlsx_caption"))


async def take_document(update: Update, context: BotContext, who: Who) -> bool:
    """For the documents router: a form definition (.json) or a statistics workbook — as
    .xlsx, re-saved as .ods (read the same), or re-saved in Excel's old .xls / WPS's .et
    (not read: the sender is asked to save it as .xlsx, and it is not filed as material).
    Returns False when the document is something else (left to the other handlers)."""
    document = update.effective_message.document
    name = (document.file_name or "").lower()
    if name.endswith(".json"):
        await definitions.load_definition(update, context, who)
        return True
    kind = name.rsplit(".", 1)[-1] if "." in name else ""
    if kind not in WORKBOOK_KINDS or not (who.is_coordinator or who.active_liaison):
        return False
    stats_workbook = await workbooks()   # only now: a photo or a .pdf never waits for openpyxl
    if document.file_size and document.file_size > stats_workbook.MAX_BYTES:
        return False
    data = bytes(await (await document.get_file()).download_as_bytearray())
    if kind in BINARY_KINDS:
        if not await asyncio.to_thread(stats_workbook.marked_in_binary, data):
            return False
        await update.effective_message.reply_text(context.t("stats.workbook_resave",
                                                            kind=kind))
        return True
    try:   # in a worker thread: the marker's sheet first, then the caps, then the marker
        found = await asyncio.to_thread(stats_workbook.open_marked, data, kind)
    except stats_workbook.WorkbookTooBig as error:
        await update.effective_message.reply_text(context.t(
            "guard.workbook_too_big", reason=context.t(error.key, limit=error.limit)))
        return True
    except stats_workbook.WorkbookUnreadable:
        return False
    if found is None:
        return False
    workbook, marker = found
    if who.active_liaison is None:
        await update.effective_message.reply_text(context.t("stats.workbook_for_liaisons"))
        return True
    await _read_workbook(update, context, who.active_liaison, workbook, marker)
    return True


async def _read_workbook(update: Update, context: BotContext, liaison: Liaison,
                         workbook: Workbook, marker: Marker) -> None:
    """The unit's own workbook: refused with every bad cell named, or summarised with the
    buttons to submit or discard it."""
    stats_workbook = await workbooks()
    message = update.effective_message
    storage = context.storage
    if marker.kind != "unit":
        await message.reply_text(context.t("stats.workbook_is_totals"))
        return
    if marker.unit_id != liaison.unit_id:
        other = await storage.units.get(marker.unit_id) if marker.unit_id else None
        await message.reply_text(context.t("stats.workbook_other_unit",
                                           unit=other.name if other else "?"))
        return
    version = await storage.stats.form(marker.form_id)
    if version is None:
        await message.reply_text(context.t("stats.workbook_unknown_version"))
        return
    values, problems = await asyncio.to_thread(stats_workbook.read_values, workbook,
                                               version.form)
    if problems:
        def line(problem: CellProblem) -> str:
            return context.t(
                "stats.cell_problem", cell=problem.cell, number=problem.item.number,
                item=text_in(problem.item.title, context.lang),
                figure=text_in(problem.figure.label, context.lang),
                reason=context.t(problem.reason, unit=problem.figure.unit or ""))

        await send_lines(context, message.chat_id,
                         problem_report(context, "stats.workbook_refused", problems, line))
        return
    context.user_state["stats_upload"] = {
        "form_id": version.id, "unit_id": liaison.unit_id, "values": values,
        "received_at": to_iso(message.date), "message_id": message.message_id}
    unit = await storage.units.get(liaison.unit_id)
    lines = [context.t("stats.workbook_summary", unit=unit.name, version=version.id)]
    lines += summary_lines(context, version.form, values)
    tag = message.message_id
    await send_lines(context, message.chat_id, lines, inline([[
        StatsUpload("confirm", tag).button(context.t("stats.submit")),
        StatsUpload("discard", tag).button(context.t("stats.discard"))]]))


async def on_upload_button(update: Update, context: BotContext) -> None:
    """Confirm or discard a read workbook (only the latest one read)."""
    query = update.callback_query
    pressed = StatsUpload.parse(query.data)
    upload = context.user_state.get("stats_upload")
    if pressed is None or not upload or upload["message_id"] != pressed.message_id:
        await stale_button(update, context)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.user_state.pop("stats_upload", None)
    if pressed.action != "confirm":
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("stats.workbook_discarded"))
        return
    who = await who_is(context, update.effective_user.id)
    liaison = who.active_liaison
    if liaison is None or liaison.unit_id != upload["unit_id"]:
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("stats.not_your_unit_anymore"))
        return
    await record(update, context, liaison, upload["form_id"], upload["values"], "xlsx",
                 from_iso(upload["received_at"]))
    chat_form.forget(context, liaison.unit_id)


def register(app) -> None:
    app.add_handler(CommandHandler("stats_xlsx", send_workbook))
    app.add_handler(CallbackQueryHandler(on_upload_button, pattern=StatsUpload.pattern()))
