"""Units: /addunit, bulk import from .xlsx/.csv, /units (paged), /invite."""

from __future__ import annotations

import asyncio
import math

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.kernel import validation
from bot.kernel.text import shortened
from bot.people.unit_import import UnitFileError, UnitFileTooBig, read_unit_rows
from bot.ptb.access import Who, coordinator_only
from bot.ptb.buttons import UnitsPage
from bot.ptb.context import BotContext
from bot.ptb.keyboards import deep_link, inline, pager
from bot.ptb.replies import pressed, send_lines
from bot.storage.models import Unit
from bot.texts import Raw

PAGE_SIZE = 10
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_REFUSALS_SHOWN = 40


async def _find_in_scope(context: BotContext, who: Who, name: str) -> Unit | None:
    unit = await context.storage.units.by_name(name)
    if unit and await context.storage.units.in_scope(unit.id, who.scope_unit_id):
        return unit
    return None


async def unit_from_arguments(update: Update, context: BotContext, who: Who,
                              usage_key: str) -> Unit | None:
    """The unit a command's arguments name, in the caller's scope; None after answering
    with the usage (no name) or "not found" (also for a unit outside the scope)."""
    name = " ".join(context.args).strip()
    if not name:
        await update.effective_message.reply_text(context.t(usage_key))
        return None
    unit = await _find_in_scope(context, who, name)
    if unit is None:
        await update.effective_message.reply_text(context.t("units.not_found",
                                                            name=shortened(name)))
    return unit


@coordinator_only
async def add_unit(update: Update, context: BotContext, who: Who) -> None:
    """``/addunit <name>`` or ``/addunit <name> | <parent>``."""
    raw = " ".join(context.args)
    name_part, _, parent_part = raw.partition("|")
    if not name_part.strip():
        await update.effective_message.reply_text(context.t("units.addunit_usage"))
        return
    try:
        name = validation.unit_name(name_part)
    except validation.Invalid as problem:
        await update.effective_message.reply_text(context.t(problem.key))
        return
    storage = context.storage
    parent_id = who.scope_unit_id
    if parent_part.strip():
        parent = await _find_in_scope(context, who, " ".join(parent_part.split()))
        if parent is None:
            await update.effective_message.reply_text(
                context.t("units.not_found", name=shortened(parent_part)))
            return
        parent_id = parent.id
    same = await storage.units.same_name(name)
    if same is not None:
        await update.effective_message.reply_text(context.t("units.exists", name=same.name))
        return
    async with storage.db.transaction():
        unit = await storage.units.create(name, parent_id, who.person_id)
        code = await storage.invites.issue_unit_code(unit.id, who.person_id)
    await update.effective_message.reply_text(
        context.t("units.created", name=unit.name, link=deep_link(context.bot.username, code)))


async def import_units(update: Update, context: BotContext, who: Who) -> None:
    """A coordinator's .xlsx/.csv: create every good row, name every refused one."""
    document = update.effective_message.document
    if document.file_size and document.file_size > MAX_IMPORT_BYTES:
        await update.effective_message.reply_text(context.t("units.import_too_big"))
        return
    telegram_file = await document.get_file()
    data = bytes(await telegram_file.download_as_bytearray())
    try:   # parsed in a worker thread: the event loop never waits on a file
        rows = await asyncio.to_thread(read_unit_rows, document.file_name or "", data)
    except UnitFileTooBig as problem:
        await update.effective_message.reply_text(context.t(
            problem.key, reason=context.t(problem.reason_key, limit=problem.limit)))
        return
    except UnitFileError as problem:
        await update.effective_message.reply_text(context.t(problem.key))
        return
    storage = context.storage
    added: list[str] = []
    refused: list[str] = []
    seen: dict[str, int] = {}     # name_key -> the row that added it
    async with storage.db.transaction():
        existing = await storage.units.name_keys()
        for row in rows:
            reason = None
            try:
                name = validation.unit_name(row.name)
            except validation.Invalid as problem:
                name, reason = row.name, context.t(problem.key)
            parent_id = who.scope_unit_id
            if reason is None and validation.name_key(name) in seen:
                reason = context.t("units.refused_duplicate", row=seen[validation.name_key(name)])
            elif reason is None and validation.name_key(name) in existing:
                reason = context.t("units.refused_exists")
            elif reason is None and row.parent:
                parent = await _find_in_scope(context, who, row.parent)
                if parent is None:
                    reason = context.t("units.refused_parent",
                                       parent=shortened(row.parent))
                else:
                    parent_id = parent.id
            if reason is not None:
                # the reason is a catalog text with its parameters already escaped
                refused.append(context.t("units.refused_line", row=row.number,
                                         reason=Raw(reason)))
                continue
            seen[validation.name_key(name)] = row.number
            unit = await storage.units.create(name, parent_id, who.person_id)
            await storage.invites.issue_unit_code(unit.id, who.person_id)
            added.append(name)
    lines = [context.t("units.import_result", added=len(added), refused=len(refused))]
    lines += refused[:MAX_REFUSALS_SHOWN]
    if len(refused) > MAX_REFUSALS_SHOWN:
        lines.append(context.t("units.import_more", count=len(refused) - MAX_REFUSALS_SHOWN))
    if added:
        lines.append(context.t("units.import_next"))
    await send_lines(context, update.effective_chat.id, lines)


async def _units_page(context: BotContext, who: Who, page: int) -> tuple[str, object]:
    storage = context.storage
    total = await storage.units.count(who.scope_unit_id)
    if total == 0:
        return context.t("units.none"), None
    pages = math.ceil(total / PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    listing = await storage.units.listing(who.scope_unit_id, page * PAGE_SIZE, PAGE_SIZE)
    lines = [context.t("units.list_title", total=total, page=page + 1, pages=pages)]
    for number, item in enumerate(listing, start=page * PAGE_SIZE + 1):
        liaison = (context.t("units.liaison", name=item.liaison_name, mobile=item.liaison_mobile)
                   if item.liaison_name else context.t("units.no_liaison"))
        parent = context.t("units.parent", name=item.parent_name) if item.parent_name else ""
        link = deep_link(context.bot.username, item.invite_code) if item.invite_code else "-"
        lines.append(context.t("units.list_line", number=number, name=item.unit.name,
                               parent=Raw(parent), liaison=Raw(liaison), link=link))
    buttons = pager(lambda number: UnitsPage(number).pack(), page, pages,
                    context.t("general.previous"), context.t("general.next"))
    return "\n".join(lines), inline([buttons]) if buttons else None


@coordinator_only
async def list_units(update: Update, context: BotContext, who: Who) -> None:
    text, markup = await _units_page(context, who, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)


@coordinator_only
@pressed(UnitsPage)
async def on_units_page(update: Update, context: BotContext, who: Who, press: UnitsPage) -> None:
    query = update.callback_query
    await query.answer()
    text, markup = await _units_page(context, who, press.page)
    await query.edit_message_text(text, reply_markup=markup)


@coordinator_only
async def new_invite(update: Update, context: BotContext, who: Who) -> None:
    """``/invite <unit>``: a new join code; the old link stops working."""
    unit = await unit_from_arguments(update, context, who, "units.invite_usage")
    if unit is None:
        return
    code = await context.storage.invites.issue_unit_code(unit.id, who.person_id)
    link = deep_link(context.bot.username, code)
    await update.effective_message.reply_text(
        context.t("units.invite_issued", name=unit.name, link=link))


def register(app) -> None:
    app.add_handler(CommandHandler("addunit", add_unit))
    app.add_handler(CommandHandler("units", list_units))
    app.add_handler(CommandHandler("invite", new_invite))
    app.add_handler(CallbackQueryHandler(on_units_page, pattern=UnitsPage.pattern()))
