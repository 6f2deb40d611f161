"""The statistics table (attachment 2): chat entry (/stats), the workbook round trip
(/stats_xlsx and the filled file sent back), form definitions, and coordinators' totals.

The chat form is one persistent ConversationHandler; its draft lives in
``user_data["stats"]`` (persisted after every update), so a half-filled table survives a
restart. A filled workbook waits in ``user_data["stats_upload"]`` for the liaison's
confirmation. Entries keep the form version they were made against.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import logging
import warnings
from datetime import datetime
from enum import IntEnum
from types import ModuleType
from typing import TYPE_CHECKING

from telegram import InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler
from telegram.ext import filters as tg_filters

if TYPE_CHECKING:
    from bot.stats.workbook import Labels, Marker

from bot.kernel.clock import from_iso, to_iso
from bot.kernel.schedule import deadlines, lateness
from bot.ptb.access import Who, coordinator_only, liaison_only, who_is
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.notify import coordinators_of, tell
from bot.stats.forms import (
    BadValue,
    DefinitionError,
    Figure,
    Form,
    Item,
    Problem,
    Value,
    default_form,
    parse_definition,
    parse_value,
    text_in,
    values_for,
)
from bot.storage.models import Liaison
from bot.storage.stats import StatsEntry

log = logging.getLogger(__name__)

DRAFT = "stats"
UPLOAD = "stats_upload"
MAX_DEFINITION_BYTES = 256 * 1024
MAX_MESSAGE = 3800
MAX_PROBLEMS_SHOWN = 30
BUTTON_LABEL = 28


class State(IntEnum):
    ASK = 0
    REVIEW = 1
    CHOOSE_FIGURE = 2
    RESUME = 3


# ------------------------------------------------------------------ shared pieces

async def _campaign_id(context: BotContext) -> int | None:
    campaign = await context.storage.campaigns.current()
    return campaign.id if campaign else None


async def _late_seconds(context: BotContext, at: datetime) -> int | None:
    """Lateness against the campaign's 'statistics' deadline (None: on time or no calendar)."""
    calendar = await context.storage.campaigns.calendar()
    rule = calendar.rule("statistics") if calendar else None
    if rule is None:
        return None
    found = deadlines(rule, calendar.campaign.timezone)
    return lateness(found[-1], at) if found else None


def _value_text(context: BotContext, figure: Figure, value: Value | None) -> str:
    if value is None:
        return context.t("stats.not_filled")
    if figure.type == "yesno":
        return context.t("stats.yes") if value else context.t("stats.no")
    if figure.type == "count":
        return f"{value} {figure.unit}"
    return str(value)


def summary_lines(context: BotContext, form: Form, values: dict[str, Value]) -> list[str]:
    """Every figure by section and item, as the review, a workbook's summary and a
    coordinator's view show them."""
    lines: list[str] = []
    for section in form.sections:
        lines.append(context.t("stats.summary_section", title=text_in(section.title, context.lang)))
        for item in section.items:
            lines.append(context.t("stats.summary_item", number=item.number,
                                   title=text_in(item.title, context.lang)))
            for figure in item.figures:
                lines.append(context.t(
                    "stats.summary_figure", label=text_in(figure.label, context.lang),
                    value=_value_text(context, figure, values.get(figure.key))))
    filled = sum(1 for _, figure in form.figures if values.get(figure.key) is not None)
    lines.append(context.t("stats.summary_filled", filled=filled, total=len(form.figures)))
    return lines


def _chunks(lines: list[str]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) + 1 > MAX_MESSAGE:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


async def _send_lines(context: BotContext, chat_id: int, lines: list[str], markup=None) -> None:
    """Lines in as few messages as fit; the buttons go with the last one."""
    chunks = _chunks(lines)
    for index, chunk in enumerate(chunks):
        await context.bot.send_message(chat_id, chunk,
                                       reply_markup=markup if index == len(chunks) - 1 else None)


def _short(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL else text[: BUTTON_LABEL - 1] + "…"


# ------------------------------------------------------------------ the chat form

def _draft(context: BotContext) -> dict | None:
    return context.user_data.get(DRAFT)


async def _draft_form(context: BotContext, draft: dict) -> Form | None:
    version = await context.storage.stats.form(draft["form_id"])
    return version.form if version else None


async def start(update: Update, context: BotContext) -> State | int:
    """``/stats``: begin the form, or offer to continue a half-filled one."""
    who = await who_is(context, update.effective_user.id)
    liaison = who.active_liaison
    if liaison is None:
        key = "access.pending_liaison" if who.liaison else "access.liaisons_only"
        await update.effective_message.reply_text(context.t(key))
        return ConversationHandler.END
    draft = _draft(context)
    if draft and draft.get("unit_id") == liaison.unit_id:
        form = await _draft_form(context, draft)
        if form is not None:
            await update.effective_message.reply_text(
                context.t("stats.resume_offer", filled=len(draft["values"]),
                          total=len(form.figures)),
                reply_markup=inline([[(context.t("stats.continue"), "stats:continue"),
                                      (context.t("stats.start_over"), "stats:restart")]]))
            return State.RESUME
    return await _begin(update, context, liaison, fresh=False)


async def _begin(update: Update, context: BotContext, liaison: Liaison, fresh: bool
                 ) -> State:
    storage = context.storage
    version = await storage.stats.current_form()
    unit = await storage.units.get(liaison.unit_id)
    previous = await storage.stats.current(liaison.unit_id, await _campaign_id(context))
    chat_id = update.effective_chat.id
    form = version.form
    if previous is not None and not fresh:
        context.user_data[DRAFT] = {"form_id": version.id, "unit_id": liaison.unit_id,
                                    "values": values_for(form, previous.figures),
                                    "position": 0, "editing": True}
        await context.bot.send_message(chat_id, context.t(
            "stats.intro_again", unit=unit.name, submitted=_local_time(context,
                                                                       previous.submitted_at)))
        return await show_review(update, context)
    context.user_data[DRAFT] = {"form_id": version.id, "unit_id": liaison.unit_id,
                                "values": {}, "position": 0, "editing": False}
    await context.bot.send_message(chat_id, context.t(
        "stats.intro", unit=unit.name, title=text_in(form.title, context.lang),
        items=len(form.items), figures=len(form.figures), version=version.id))
    return await ask(update, context)


def _local_time(context: BotContext, iso: str) -> str:
    return from_iso(iso).astimezone(context.settings.timezone).strftime("%Y-%m-%d %H:%M")


async def _lost(update: Update, context: BotContext) -> int:
    """The draft is gone (submitted from a workbook, or never there): say so and leave."""
    context.user_data.pop(DRAFT, None)
    await context.bot.send_message(update.effective_chat.id, context.t("stats.no_draft"))
    return ConversationHandler.END


def _current(form: Form, draft: dict) -> tuple[Item, Figure]:
    figures = form.figures
    position = min(max(draft.get("position", 0), 0), len(figures) - 1)
    draft["position"] = position
    return figures[position]


async def ask(update: Update, context: BotContext) -> State | int:
    """Ask the current figure: the item and its standard first when the item begins."""
    draft = _draft(context)
    form = await _draft_form(context, draft) if draft else None
    if form is None:
        return await _lost(update, context)
    item, figure = _current(form, draft)
    index = item.figures.index(figure)
    lines = []
    if index == 0 or draft["editing"]:
        lines.append(context.t("stats.item_header", number=item.number, total=len(form.items),
                               title=text_in(item.title, context.lang)))
        lines.append(context.t("stats.standard", standard=text_in(item.standard, context.lang)))
    label = text_in(figure.label, context.lang)
    step = context.t("stats.step", number=index + 1, total=len(item.figures)) \
        if len(item.figures) > 1 else ""
    if figure.type == "count":
        lines.append(context.t("stats.ask_count", step=step, label=label, unit=figure.unit))
    elif figure.type == "yesno":
        lines.append(context.t("stats.ask_yesno", step=step, label=label))
    else:
        lines.append(context.t("stats.ask_text", step=step, label=label))
    current = draft["values"].get(figure.key)
    if current is not None:
        lines.append(context.t("stats.current_value",
                               value=_value_text(context, figure, current)))
    key = figure.key
    if figure.type == "yesno":
        first_row = [(context.t("stats.yes"), f"stats:yes:{key}"),
                     (context.t("stats.no"), f"stats:no:{key}")]
    else:
        first_row = [(context.t("stats.zero_none"), f"stats:zero:{key}")]
    if draft["editing"]:
        second_row = [(context.t("stats.to_review"), "stats:review")]
    else:
        second_row = [(context.t("stats.back"), f"stats:back:{key}"),
                      (context.t("stats.skip_item"), f"stats:skip:{key}")]
    await context.bot.send_message(update.effective_chat.id, "\n".join(lines),
                                   reply_markup=inline([first_row, second_row]))
    return State.ASK


async def _advance(update: Update, context: BotContext, form: Form, draft: dict) -> State | int:
    if draft["editing"]:
        return await show_review(update, context)
    draft["position"] += 1
    if draft["position"] >= len(form.figures):
        draft["editing"] = True
        draft["position"] = 0
        return await show_review(update, context)
    return await ask(update, context)


async def on_answer(update: Update, context: BotContext) -> State | int:
    """A typed answer to the current figure."""
    draft = _draft(context)
    form = await _draft_form(context, draft) if draft else None
    if form is None:
        return await _lost(update, context)
    _, figure = _current(form, draft)
    try:
        value = parse_value(figure, update.effective_message.text)
        if value is None:
            raise BadValue(f"stats.bad_{figure.type}")
    except BadValue as problem:
        await update.effective_message.reply_text(context.t(problem.key, unit=figure.unit or ""))
        return await ask(update, context)
    draft["values"][figure.key] = value
    return await _advance(update, context, form, draft)


async def on_answer_button(update: Update, context: BotContext) -> State | int:
    """0 / none, yes, no, back and skip item: checked against the figure being asked."""
    query = update.callback_query
    _, action, key = query.data.split(":", 2)
    draft = _draft(context)
    form = await _draft_form(context, draft) if draft else None
    if form is None:
        await query.answer()
        return await _lost(update, context)
    item, figure = _current(form, draft)
    if key != figure.key:
        await query.answer(context.t("general.stale_button"))
        return State.ASK
    if action == "back" and draft["position"] == 0:
        await query.answer(context.t("stats.first_already"))
        return State.ASK
    await query.answer()
    chosen = _button_value(context, figure, action)
    if chosen is None:
        await query.edit_message_reply_markup(None)
    else:
        await query.edit_message_text(query.message.text_html + "\n" + context.t(
            "stats.chosen", value=_value_text(context, figure, chosen)))
    if action == "back":
        draft["position"] -= 1
        return await ask(update, context)
    if action == "skip":
        for skipped in item.figures:
            draft["values"].pop(skipped.key, None)
        later = [position for position, (other, _) in enumerate(form.figures)
                 if other.number > item.number]
        if not later:
            draft["editing"] = True
            draft["position"] = 0
            return await show_review(update, context)
        draft["position"] = later[0]
        return await ask(update, context)
    if chosen is None:
        return await ask(update, context)
    draft["values"][figure.key] = chosen
    return await _advance(update, context, form, draft)


def _button_value(context: BotContext, figure: Figure, action: str) -> Value | None:
    """What a 0 / none, yes or no button means for this figure (None: not a value button)."""
    if action == "zero" and figure.type == "count":
        return 0
    if action == "zero" and figure.type == "text":
        return context.t("stats.none_text")
    if action in ("yes", "no") and figure.type == "yesno":
        return action == "yes"
    return None


async def show_review(update: Update, context: BotContext) -> State | int:
    """Every figure, with a button per item to change it, and the submit button."""
    draft = _draft(context)
    form = await _draft_form(context, draft) if draft else None
    if form is None:
        return await _lost(update, context)
    unit = await context.storage.units.get(draft["unit_id"])
    lines = [context.t("stats.review_title", unit=unit.name if unit else "?",
                       version=draft["form_id"])]
    lines += summary_lines(context, form, draft["values"])
    lines.append(context.t("stats.review_hint"))
    buttons = [(_short(f"{item.number}. {text_in(item.title, context.lang)}"),
                f"stats:item:{item.number}") for item in form.items]
    rows = [buttons[index:index + 2] for index in range(0, len(buttons), 2)]
    rows.append([(context.t("stats.submit"), "stats:submit"),
                 (context.t("stats.start_over"), "stats:restart")])
    await _send_lines(context, update.effective_chat.id, lines, inline(rows))
    return State.REVIEW


async def on_review_button(update: Update, context: BotContext) -> State | int:
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)
    draft = _draft(context)
    form = await _draft_form(context, draft) if draft else None
    if form is None:
        return await _lost(update, context)
    if query.data == "stats:submit":
        return await submit(update, context)
    number = query.data.removeprefix("stats:item:")
    item = form.item(int(number)) if number.isdigit() else None
    if item is None:
        return await show_review(update, context)
    if len(item.figures) == 1:
        return await _edit_figure(update, context, form, draft, item.figures[0].key)
    rows = [[(_short(text_in(figure.label, context.lang)), f"stats:fig:{figure.key}")]
            for figure in item.figures]
    rows.append([(context.t("stats.to_review"), "stats:review")])
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("stats.which_figure", number=item.number,
                  title=text_in(item.title, context.lang)),
        reply_markup=inline(rows))
    return State.CHOOSE_FIGURE


async def _edit_figure(update: Update, context: BotContext, form: Form, draft: dict,
                       key: str) -> State | int:
    positions = [position for position, (_, figure) in enumerate(form.figures)
                 if figure.key == key]
    if not positions:
        return await show_review(update, context)
    draft["position"] = positions[0]
    draft["editing"] = True
    return await ask(update, context)


async def on_choose_figure(update: Update, context: BotContext) -> State | int:
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)
    draft = _draft(context)
    form = await _draft_form(context, draft) if draft else None
    if form is None:
        return await _lost(update, context)
    if query.data == "stats:review":
        return await show_review(update, context)
    return await _edit_figure(update, context, form, draft, query.data.removeprefix("stats:fig:"))


async def on_to_review(update: Update, context: BotContext) -> State | int:
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)
    return await show_review(update, context)


async def on_resume(update: Update, context: BotContext) -> State | int:
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)
    who = await who_is(context, update.effective_user.id)
    if who.active_liaison is None:
        context.user_data.pop(DRAFT, None)
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("access.liaisons_only"))
        return ConversationHandler.END
    draft = _draft(context)
    if query.data == "stats:restart" or not draft:
        return await _begin(update, context, who.active_liaison, fresh=True)
    if draft["editing"]:
        return await show_review(update, context)
    return await ask(update, context)


async def submit(update: Update, context: BotContext) -> int:
    draft = context.user_data.get(DRAFT)
    if not draft:
        return await _lost(update, context)
    who = await who_is(context, update.effective_user.id)
    liaison = who.active_liaison
    if liaison is None or liaison.unit_id != draft["unit_id"]:
        context.user_data.pop(DRAFT, None)
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("stats.not_your_unit_anymore"))
        return ConversationHandler.END
    await _store(update, context, liaison, draft["form_id"], draft["values"], "chat",
                 context.clock())
    context.user_data.pop(DRAFT, None)
    return ConversationHandler.END


async def _store(update: Update, context: BotContext, liaison: Liaison, form_id: int,
                 values: dict[str, Value], via: str, received: datetime) -> StatsEntry:
    storage = context.storage
    previous = await storage.stats.current(liaison.unit_id, await _campaign_id(context))
    entry = await storage.stats.submit(
        liaison.unit_id, form_id, await _campaign_id(context), values, via, received,
        liaison.person_id, liaison.id, await _late_seconds(context, received))
    version = await storage.stats.form(form_id)
    unit = await storage.units.get(liaison.unit_id)
    filled = sum(1 for _, figure in version.form.figures
                 if values.get(figure.key) is not None)
    key = "stats.submitted_again" if previous else "stats.submitted"
    await context.bot.send_message(update.effective_chat.id, context.t(
        key, unit=unit.name, filled=filled, total=len(version.form.figures)))
    for coordinator_id in await coordinators_of(context, liaison.unit_id):
        if coordinator_id != update.effective_user.id:
            await tell(context, coordinator_id, "stats.coordinator_told", unit=unit.name,
                       filled=filled, total=len(version.form.figures), version=form_id)
    return entry


async def pause(update: Update, context: BotContext) -> int:
    """/cancel inside the form: leave it; what was filled stays for /stats."""
    await update.effective_message.reply_text(context.t("stats.paused"))
    return ConversationHandler.END


async def stale_button(update: Update, context: BotContext) -> None:
    await update.callback_query.answer(context.t("general.stale_button"))


# ------------------------------------------------------------------ the workbook

async def workbooks() -> ModuleType:
    """``bot.stats_workbook``, imported in a worker thread the first time: openpyxl takes
    ~0.3 s to import, and not at start-up either (idle memory)."""
    return await asyncio.to_thread(importlib.import_module, "bot.stats.workbook")


def labels(context: BotContext) -> Labels:
    from bot.stats import (
        workbook as stats_workbook,  # openpyxl is heavy: loaded on first use, not at start-up
    )
    t = context.t
    return stats_workbook.Labels(
        language=context.lang, table_sheet=t("stats.xlsx_sheet"), unit=t("stats.xlsx_unit"),
        item=t("stats.xlsx_item"), standard=t("stats.xlsx_standard"),
        figure=t("stats.xlsx_figure"), value=t("stats.xlsx_value"),
        measure=t("stats.xlsx_measure"), yes=t("stats.yes"), no=t("stats.no"),
        yes_count=t("stats.xlsx_yes_count"), bad_count=t("stats.xlsx_bad_count"),
        missing_title=t("stats.xlsx_missing_title"),
        missing_header=tuple(t("stats.xlsx_missing_header").split("|")),
        totals_sheet=t("stats.xlsx_totals_sheet"), missing_sheet=t("stats.xlsx_missing_sheet"),
    )


def _safe(name: str) -> str:
    """A name usable as a file name on any system."""
    return "".join("_" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in name)


def _file_name(prefix: str, name: str) -> str:
    return f"{prefix}-{_safe(name)}.xlsx"


@liaison_only
async def send_workbook(update: Update, context: BotContext, who: Who) -> None:
    """``/stats_xlsx``: the unit's table to fill on a computer, previous values in."""
    stats_workbook = await workbooks()
    liaison = who.active_liaison
    storage = context.storage
    version = await storage.stats.current_form()
    unit = await storage.units.get(liaison.unit_id)
    previous = await storage.stats.current(liaison.unit_id, await _campaign_id(context))
    values = values_for(version.form, previous.figures) if previous else {}
    data = await asyncio.to_thread(stats_workbook.unit_workbook, version.form, version.id,
                                   unit.id, unit.name, values, labels(context))
    await update.effective_message.reply_document(
        InputFile(io.BytesIO(data), filename=_file_name(context.t("stats.xlsx_file"),
                                                        unit.name)),
        caption=context.t("stats.xlsx_caption"))


async def take_document(update: Update, context: BotContext, who: Who) -> bool:
    """For the documents router: a form definition (.json) or a statistics workbook.
    Returns False when the document is something else (left to the other handlers)."""
    stats_workbook = await workbooks()
    document = update.effective_message.document
    name = (document.file_name or "").lower()
    if name.endswith(".json"):
        await load_definition(update, context, who)
        return True
    if not name.endswith(".xlsx") or not (who.is_coordinator or who.active_liaison):
        return False
    if document.file_size and document.file_size > stats_workbook.MAX_BYTES:
        return False
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        workbook = await asyncio.to_thread(stats_workbook.open_workbook, data)
    except stats_workbook.WorkbookUnreadable:
        return False
    marker = stats_workbook.read_marker(workbook)
    if marker is None:
        return False
    if who.active_liaison is None:
        await update.effective_message.reply_text(context.t("stats.workbook_for_liaisons"))
        return True
    await _read_workbook(update, context, who.active_liaison, workbook, marker)
    return True


async def _read_workbook(update: Update, context: BotContext, liaison: Liaison, workbook,
                         marker: Marker) -> None:
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
        lines = [context.t("stats.workbook_refused", count=len(problems))]
        for problem in problems[:MAX_PROBLEMS_SHOWN]:
            lines.append(context.t(
                "stats.cell_problem", cell=problem.cell, number=problem.item.number,
                item=text_in(problem.item.title, context.lang),
                figure=text_in(problem.figure.label, context.lang),
                reason=context.t(problem.reason, unit=problem.figure.unit or "")))
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(context.t("stats.more_problems",
                                   count=len(problems) - MAX_PROBLEMS_SHOWN))
        await _send_lines(context, message.chat_id, lines)
        return
    context.user_data[UPLOAD] = {"form_id": version.id, "unit_id": liaison.unit_id,
                                 "values": values, "received_at": to_iso(message.date),
                                 "message_id": message.message_id}
    unit = await storage.units.get(liaison.unit_id)
    lines = [context.t("stats.workbook_summary", unit=unit.name, version=version.id)]
    lines += summary_lines(context, version.form, values)
    tag = message.message_id
    await _send_lines(context, message.chat_id, lines, inline([[
        (context.t("stats.submit"), f"statsup:confirm:{tag}"),
        (context.t("stats.discard"), f"statsup:discard:{tag}")]]))


async def on_upload_button(update: Update, context: BotContext) -> None:
    """Confirm or discard a read workbook (only the latest one read)."""
    query = update.callback_query
    _, action, tag = query.data.split(":", 2)
    upload = context.user_data.get(UPLOAD)
    if not upload or str(upload["message_id"]) != tag:
        await query.answer(context.t("general.stale_button"))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    context.user_data.pop(UPLOAD, None)
    if action != "confirm":
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("stats.workbook_discarded"))
        return
    who = await who_is(context, update.effective_user.id)
    liaison = who.active_liaison
    if liaison is None or liaison.unit_id != upload["unit_id"]:
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("stats.not_your_unit_anymore"))
        return
    await _store(update, context, liaison, upload["form_id"], upload["values"], "xlsx",
                 from_iso(upload["received_at"]))
    draft = context.user_data.get(DRAFT)
    if draft and draft.get("unit_id") == liaison.unit_id:
        context.user_data.pop(DRAFT, None)


# ------------------------------------------------------------------ form definitions

def problem_line(context: BotContext, problem: Problem) -> str:
    if problem.figure is not None:
        where = context.t("stats.def_where_figure", item=problem.item, figure=problem.figure)
    elif problem.item is not None:
        where = context.t("stats.def_where_item", item=problem.item)
    elif problem.section is not None:
        where = context.t("stats.def_where_section", section=problem.section)
    else:
        where = context.t("stats.def_where_top")
    what = context.t(f"stats.def_{problem.what}", **problem.params)
    if problem.name:
        return context.t("stats.def_problem_field", where=where, field=problem.name, what=what)
    return context.t("stats.def_problem", where=where, what=what)


async def load_definition(update: Update, context: BotContext, who: Who) -> None:
    """A coordinator of every unit sends a definition (.json): checked, then used for new
    entries; entries made so far keep their version."""
    message = update.effective_message
    if not who.is_coordinator:
        await message.reply_text(context.t("stats.definition_coordinators_only"))
        return
    if who.scope_unit_id is not None:
        await message.reply_text(context.t("stats.definition_whole_scope_only"))
        return
    document = message.document
    if document.file_size and document.file_size > MAX_DEFINITION_BYTES:
        await message.reply_text(context.t("stats.definition_too_big"))
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        form = parse_definition(data)
    except DefinitionError as error:
        lines = [context.t("stats.definition_refused", count=len(error.problems))]
        lines += [problem_line(context, problem)
                  for problem in error.problems[:MAX_PROBLEMS_SHOWN]]
        if len(error.problems) > MAX_PROBLEMS_SHOWN:
            lines.append(context.t("stats.more_problems",
                                   count=len(error.problems) - MAX_PROBLEMS_SHOWN))
        await _send_lines(context, message.chat_id, lines)
        return
    await _use_form(update, context, who, form)


async def _use_form(update: Update, context: BotContext, who: Who, form: Form) -> None:
    storage = context.storage
    await storage.stats.current_form()   # the default is version 1 when nothing was loaded
    version = await storage.stats.add_form(form, await _campaign_id(context), who.person_id)
    await update.effective_message.reply_text(context.t(
        "stats.definition_loaded", version=version.id, title=text_in(form.title, context.lang),
        items=len(form.items), figures=len(form.figures),
        kept=await storage.stats.count_current()))


@coordinator_only
async def show_form(update: Update, context: BotContext, who: Who) -> None:
    """``/stats_form``: the definition in use, as a file to edit and send back;
    ``/stats_form default`` goes back to the package's Changchun 2019 table."""
    if context.args and context.args[0].lower() in ("default", "默认"):
        if who.scope_unit_id is not None:
            await update.effective_message.reply_text(
                context.t("stats.definition_whole_scope_only"))
            return
        await _use_form(update, context, who, default_form())
        return
    version = await context.storage.stats.current_form()
    form = version.form
    await update.effective_message.reply_document(
        InputFile(io.BytesIO(form.dumps().encode("utf-8")), filename=f"{_safe(form.key)}.json"),
        caption=context.t("stats.form_caption", version=version.id,
                          title=text_in(form.title, context.lang), items=len(form.items),
                          figures=len(form.figures)))


# ------------------------------------------------------------------ coordinators' views

@coordinator_only
async def totals(update: Update, context: BotContext, who: Who) -> None:
    """``/stats_total``: headline totals over the units in scope, and the workbook."""
    stats_workbook = await workbooks()
    storage = context.storage
    units = await storage.units.listing(who.scope_unit_id, 0, 1_000_000)
    if not units:
        await update.effective_message.reply_text(context.t("stats.total_no_units"))
        return
    version = await storage.stats.current_form()
    form = version.form
    entries = await storage.stats.current_entries(await _campaign_id(context))
    submitted = [(listing.unit, entries[listing.unit.id]) for listing in units
                 if listing.unit.id in entries]
    missing = [listing for listing in units if listing.unit.id not in entries]
    carried = [values_for(form, entry.figures) for _, entry in submitted]
    names = [unit.name for unit, _ in submitted]
    summed = stats_workbook.total_figures(form, carried, names)
    lines = [context.t("stats.total_title", version=version.id),
             context.t("stats.total_submitted", submitted=len(submitted), total=len(units))]
    if missing:
        lines.append(context.t("stats.total_missing",
                               units="、".join(listing.unit.name for listing in missing)))
    older = sum(1 for _, entry in submitted if entry.form_id != version.id)
    if older:
        lines.append(context.t("stats.total_older", count=older))
    for item in form.items:
        figures = [figure for figure in item.figures if figure.type != "text"]
        if not figures:
            continue
        lines.append(context.t("stats.summary_item", number=item.number,
                               title=text_in(item.title, context.lang)))
        for figure in figures:
            label = text_in(figure.label, context.lang)
            if figure.type == "count":
                value = f"{summed[figure.key]} {figure.unit}"
            else:
                value = context.t("stats.total_yes", yes=summed[figure.key],
                                  total=len(submitted))
            lines.append(context.t("stats.summary_figure", label=label, value=value))
    await _send_lines(context, update.effective_chat.id, lines)
    sheets = []
    for unit, entry in sorted(submitted, key=lambda pair: pair[0].name):
        unit_version = await storage.stats.form(entry.form_id)
        sheets.append(stats_workbook.UnitSheet(unit.name, unit_version.form, entry.figures))
    absent_rows = [(listing.unit.name, listing.parent_name or "", listing.liaison_name or "",
                    listing.liaison_mobile or "") for listing in missing]
    data = await asyncio.to_thread(
        stats_workbook.totals_workbook,
        form, version.id, context.t("stats.xlsx_totals_heading", submitted=len(submitted),
                                    total=len(units)),
        summed, sheets, absent_rows, labels(context))
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(io.BytesIO(data), filename=context.t("stats.xlsx_totals_file") + ".xlsx"),
        caption=context.t("stats.total_caption"))


@coordinator_only
async def unit_entries(update: Update, context: BotContext, who: Who) -> None:
    """``/stats_unit 名称``: a unit's current figures and its earlier submissions."""
    name = " ".join(context.args).strip()
    if not name:
        await update.effective_message.reply_text(context.t("stats.unit_usage"))
        return
    storage = context.storage
    unit = await storage.units.by_name(name)
    if unit is None or not await storage.units.in_scope(unit.id, who.scope_unit_id):
        await update.effective_message.reply_text(context.t("units.not_found", name=name))
        return
    history = await storage.stats.history(unit.id, await _campaign_id(context))
    if not history:
        await update.effective_message.reply_text(context.t("stats.unit_nothing",
                                                            unit=unit.name))
        return
    await _show_entry(update, context, unit.name, history[0], history[1:])


async def _show_entry(update: Update, context: BotContext, unit_name: str, entry: StatsEntry,
                      earlier: list[StatsEntry]) -> None:
    version = await context.storage.stats.form(entry.form_id)
    key = "stats.entry_earlier" if entry.superseded_at else "stats.entry_current"
    lines = [context.t(key, unit=unit_name, version=entry.form_id,
                       submitted=_local_time(context, entry.submitted_at),
                       via=context.t(f"stats.via_{entry.via}"))]
    lines += summary_lines(context, version.form, entry.figures)
    markup = None
    if earlier:
        lines.append(context.t("stats.entry_history", count=len(earlier)))
        markup = inline([[(context.t("stats.entry_button", number=len(earlier) - index,
                                     submitted=_local_time(context, old.submitted_at)),
                           f"statsv:{old.id}")] for index, old in enumerate(earlier)])
    await _send_lines(context, update.effective_chat.id, lines, markup)


@coordinator_only
async def on_entry_button(update: Update, context: BotContext, who: Who) -> None:
    """An earlier submission, shown to a coordinator whose scope holds the unit."""
    query = update.callback_query
    raw = query.data.removeprefix("statsv:")
    storage = context.storage
    entry = await storage.stats.entry(int(raw)) if raw.isdigit() else None
    if entry is None or not await storage.units.in_scope(entry.unit_id, who.scope_unit_id):
        await query.answer(context.t("general.stale_button"))
        return
    await query.answer()
    unit = await storage.units.get(entry.unit_id)
    await _show_entry(update, context, unit.name, entry, [])


# ------------------------------------------------------------------ wiring

def conversation() -> ConversationHandler:
    """Only typed answers and the form's own buttons are taken: photos, documents and text
    outside a question go on to the other handlers (a liaison's materials, a workbook)."""
    states = {
        State.ASK: [
            MessageHandler(tg_filters.TEXT & ~tg_filters.COMMAND, on_answer),
            CallbackQueryHandler(on_answer_button, pattern=r"^stats:(zero|yes|no|back|skip):"),
            CallbackQueryHandler(on_to_review, pattern=r"^stats:review$"),
        ],
        State.REVIEW: [
            CallbackQueryHandler(on_review_button, pattern=r"^stats:(submit|item:\d+)$"),
            CallbackQueryHandler(on_resume, pattern=r"^stats:restart$"),
        ],
        State.CHOOSE_FIGURE: [
            CallbackQueryHandler(on_choose_figure, pattern=r"^stats:(fig:\w+|review)$"),
        ],
        State.RESUME: [
            CallbackQueryHandler(on_resume, pattern=r"^stats:(continue|restart)$"),
        ],
    }
    with warnings.catch_warnings():
        # per_message=False is intended: the form's buttons belong to the chat's conversation
        warnings.filterwarnings("ignore", message=".*per_message.*")
        return ConversationHandler(
            entry_points=[CommandHandler("stats", start)],
            states=states,
            fallbacks=[CommandHandler("cancel", pause),
                       CallbackQueryHandler(stale_button, pattern=r"^stats:")],
            name="stats",
            persistent=True,
            allow_reentry=True,
        )


def register(app) -> None:
    app.add_handler(conversation())
    app.add_handler(CommandHandler("stats_xlsx", send_workbook))
    app.add_handler(CommandHandler("stats_total", totals))
    app.add_handler(CommandHandler("stats_unit", unit_entries))
    app.add_handler(CommandHandler("stats_form", show_form))
    app.add_handler(CallbackQueryHandler(on_upload_button, pattern=r"^statsup:(confirm|discard):"))
    app.add_handler(CallbackQueryHandler(on_entry_button, pattern=r"^statsv:\d+$"))

