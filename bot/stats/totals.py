"""Coordinators' views of the statistics: ``/stats_total`` (headline totals over the units
in scope, then the totals workbook: totals, a sheet per unit, the units missing) and
``/stats_unit`` (a unit's current entry, its earlier ones behind buttons)."""

from __future__ import annotations

import asyncio
import io
import math

from telegram import InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.kernel.clock import from_iso
from bot.people.units import unit_from_arguments
from bot.ptb.access import Who, coordinator_only
from bot.ptb.buttons import StatsEntryView, StatsHistoryPage
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline, pager
from bot.ptb.replies import pressed, send_lines, stale_button
from bot.stats.entries import campaign_id
from bot.stats.forms import text_in, values_for
from bot.stats.rendering import summary_lines, workbook_labels, workbooks
from bot.storage.stats import StatsEntry

HISTORY_PAGE = 10       # earlier submissions' buttons per page (Telegram takes 100 at most)


@coordinator_only
async def totals(update: Update, context: BotContext, who: Who) -> None:
    """``/stats_total``: headline totals over the units in scope, and the workbook.

    Entries made against an older form version are totalled by the figures they share
    with the version in use."""
    stats_workbook = await workbooks()
    storage = context.storage
    units = await storage.units.listing(who.scope_unit_id, 0, 1_000_000)
    if not units:
        await update.effective_message.reply_text(context.t("stats.total_no_units"))
        return
    version = await storage.stats.current_form()
    form = version.form
    entries = await storage.stats.current_entries(await campaign_id(context))
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
        lines.append(context.t("stats.summary_item", number=item.number,
                               title=text_in(item.title, context.lang)))
        for figure in item.figures:
            label = text_in(figure.label, context.lang)
            if figure.type == "count":
                value = f"{summed[figure.key]} {figure.unit}"
            elif figure.type == "yesno":
                value = context.t("stats.total_yes", yes=summed[figure.key],
                                  total=len(submitted))
            else:
                answers = [(unit.name, carried_values[figure.key])
                           for (unit, _), carried_values in zip(submitted, carried, strict=True)
                           if isinstance(carried_values.get(figure.key), str)]
                value = context.t("stats.total_texts", count=len(answers),
                                  total=len(submitted))
                lines.append(context.t("stats.summary_figure", label=label, value=value))
                lines += [context.t("stats.total_text", unit=name, text=text)
                          for name, text in answers]
                continue
            lines.append(context.t("stats.summary_figure", label=label, value=value))
    await send_lines(context, update.effective_chat.id, lines)
    sheets = []
    liaisons = await storage.liaisons.active_by_unit(unit.id for unit, _ in submitted)
    words = context.words
    for unit, entry in sorted(submitted, key=lambda pair: pair[0].name):
        unit_version = await storage.stats.form(entry.form_id)
        liaison = liaisons.get(unit.id)
        filler = stats_workbook.Filler(
            unit.name, liaison.name if liaison else "", liaison.mobile if liaison else "",
            words.date(from_iso(entry.submitted_at).astimezone(words.timezone).date()))
        sheets.append(stats_workbook.UnitSheet(filler, unit_version.form, entry.figures))
    absent_rows = [(listing.unit.name, listing.parent_name or "", listing.liaison_name or "",
                    listing.liaison_mobile or "") for listing in missing]
    data = await asyncio.to_thread(
        stats_workbook.totals_workbook,
        form, version.id, context.t("stats.xlsx_totals_heading", submitted=len(submitted),
                                    total=len(units)),
        summed, sheets, absent_rows, workbook_labels(context))
    await context.bot.send_document(
        update.effective_chat.id,
        InputFile(io.BytesIO(data), filename=context.t("stats.xlsx_totals_file") + ".xlsx"),
        caption=context.t("stats.total_caption"))


@coordinator_only
async def unit_entries(update: Update, context: BotContext, who: Who) -> None:
    """``/stats_unit 名称``: a unit's current figures and its earlier submissions."""
    unit = await unit_from_arguments(update, context, who, "stats.unit_usage")
    if unit is None:
        return
    storage = context.storage
    history = await storage.stats.history(unit.id, await campaign_id(context))
    if not history:
        await update.effective_message.reply_text(context.t("stats.unit_nothing",
                                                            unit=unit.name))
        return
    await _show_entry(update, context, unit.name, history[0], history[1:])


async def _show_entry(update: Update, context: BotContext, unit_name: str, entry: StatsEntry,
                      earlier: list[StatsEntry]) -> None:
    """One entry in the form version it was made against; a button per earlier one."""
    words = context.words
    version = await context.storage.stats.form(entry.form_id)
    key = "stats.entry_earlier" if entry.superseded_at else "stats.entry_current"
    lines = [context.t(key, unit=unit_name, version=entry.form_id,
                       submitted=words.moment(from_iso(entry.submitted_at)),
                       via=context.t(f"stats.via_{entry.via}"))]
    lines += summary_lines(context, version.form, entry.figures)
    markup = None
    if earlier:
        lines.append(context.t("stats.entry_history", count=len(earlier)))
        markup = _history_markup(context, entry.unit_id, earlier, 0)
    await send_lines(context, update.effective_chat.id, lines, markup)


def _history_markup(context: BotContext, unit_id: int, earlier: list[StatsEntry], page: int):
    """One button per earlier submission, a page of them at a time (numbered from the
    first submission, 1, on)."""
    words = context.words
    pages = math.ceil(len(earlier) / HISTORY_PAGE)
    page = min(max(page, 0), pages - 1)
    start = page * HISTORY_PAGE
    rows = [[StatsEntryView(old.id).button(context.t(
        "stats.entry_button", number=len(earlier) - index,
        submitted=words.moment(from_iso(old.submitted_at))))]
        for index, old in enumerate(earlier[start:start + HISTORY_PAGE], start=start)]
    paging = pager(lambda number: StatsHistoryPage(unit_id, number).pack(), page, pages,
                   context.t("general.previous"), context.t("general.next"))
    if paging:
        rows.append(paging)
    return inline(rows)


@coordinator_only
@pressed(StatsHistoryPage)
async def on_history_page(update: Update, context: BotContext, who: Who,
                          press: StatsHistoryPage) -> None:
    """Another page of a unit's earlier submissions, in the same message."""
    query = update.callback_query
    storage = context.storage
    if not await storage.units.in_scope(press.unit_id, who.scope_unit_id):
        await stale_button(update, context)
        return
    history = await storage.stats.history(press.unit_id, await campaign_id(context))
    if len(history) < 2:
        await stale_button(update, context)
        return
    await query.answer()
    await query.edit_message_reply_markup(
        _history_markup(context, press.unit_id, history[1:], press.page))


@coordinator_only
@pressed(StatsEntryView)
async def on_entry_button(update: Update, context: BotContext, who: Who,
                          press: StatsEntryView) -> None:
    """An earlier submission, shown to a coordinator whose scope holds the unit."""
    query = update.callback_query
    storage = context.storage
    entry = await storage.stats.entry(press.entry_id)
    if entry is None or not await storage.units.in_scope(entry.unit_id, who.scope_unit_id):
        await stale_button(update, context)
        return
    await query.answer()
    unit = await storage.units.get(entry.unit_id)
    await _show_entry(update, context, unit.name, entry, [])


def register(app) -> None:
    app.add_handler(CommandHandler("stats_total", totals))
    app.add_handler(CommandHandler("stats_unit", unit_entries))
    app.add_handler(CallbackQueryHandler(on_entry_button, pattern=StatsEntryView.pattern()))
    app.add_handler(CallbackQueryHandler(on_history_page, pattern=StatsHistoryPage.pattern()))
