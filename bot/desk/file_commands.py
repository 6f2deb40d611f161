"""The desk's files: /roster (.xlsx), /late (a short text, the late list and the 通报
draft, .docx), /export (a .zip of the materials, in parts when too big) and /photos
(contact sheets). Each holds only the units in the caller's scope.

The files are built by plain synchronous functions (bot.desk.workbooks, late_list, export,
contact_sheets) in a worker thread, in a temporary folder beside the database.
"""

from __future__ import annotations

import asyncio
import functools
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from telegram import InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.desk import contact_sheets, heatmap, late_list, workbooks
from bot.desk import export as exports
from bot.desk.standings import Desk, desk_words, load_columns, open_desk, tree_order
from bot.desk.workbooks import Heading
from bot.kernel.clock import from_iso
from bot.kernel.dates import parse_date
from bot.kernel.schedule import Deadline, chased_deadline
from bot.kernel.text import shortened
from bot.kernel.words import LATE, MISSING, NIL, Words
from bot.media.paths import media_file
from bot.ptb.access import Who, coordinator_only
from bot.ptb.buttons import DeskHeatmap
from bot.ptb.context import BotContext
from bot.ptb.replies import pressed
from bot.review import history as review_history
from bot.scoring.notice import notice_data, write_notice
from bot.storage.models import Unit

UPLOAD_TIMEOUT = 300


def _work_dir(context: BotContext) -> tempfile.TemporaryDirectory:
    """Files are built here (beside the database, so on the same disk) and removed after."""
    context.settings.data_dir.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="desk-", dir=context.settings.data_dir)


async def _send_document(update: Update, context: BotContext, data: Path | bytes,
                         filename: str, caption: str | None = None) -> None:
    if isinstance(data, Path):
        with data.open("rb") as reader:
            document = InputFile(reader, filename=filename)
    else:
        document = InputFile(data, filename=filename)
    await context.bot.send_document(update.effective_chat.id, document, caption=caption,
                                    read_timeout=UPLOAD_TIMEOUT, write_timeout=UPLOAD_TIMEOUT)


def _desk_command(handler: Callable[[Update, BotContext, Who, Desk, Words], Awaitable[None]]
                  ) -> Callable[[Update, BotContext], Awaitable[object]]:
    """A coordinator's command on their desk: the handler gets the desk and its words; without
    a campaign or units the caller gets the one line saying so."""
    @coordinator_only
    @functools.wraps(handler)
    async def opened(update: Update, context: BotContext, who: Who) -> None:
        desk = await open_desk(context, who)
        if isinstance(desk, str):
            await update.effective_message.reply_text(desk)
            return
        await handler(update, context, who, desk, desk_words(context, desk.timezone))
    return opened


def _argument(context: BotContext) -> str:
    """What follows the command, as one lower-case word (``all``, ``6-11``, ``本周``)."""
    return " ".join(context.args).strip().lower()


def _scope(words: Words, units: Sequence[Unit], who: Who) -> str:
    """全部单位, or 长春市及下属单位 for a coordinator scoped to 长春市."""
    if who.scope_unit_id is None:
        return words.plain("desk.scope_all")
    unit = next((u for u in units if u.id == who.scope_unit_id), None)
    return words.plain("desk.scope_unit", unit=unit.name if unit else "")


def _office(context: BotContext, words: Words, units: Sequence[Unit], who: Who) -> str:
    """Who signs the documents: ``BOT_OFFICE_NAME``, else a scoped coordinator's unit,
    else the general office."""
    if context.settings.office_name:
        return context.settings.office_name
    unit = next((u for u in units if u.id == who.scope_unit_id), None)
    return unit.name if unit is not None else words.plain("desk.office_default")


async def _parents(context: BotContext, units: Sequence[Unit]) -> dict[int, str]:
    """unit id -> its parent's name ('' for a top unit); a parent outside the scope is
    looked up."""
    names = {unit.id: unit.name for unit in units}
    found: dict[int, str] = {}
    for unit in units:
        if unit.parent_id is None:
            found[unit.id] = ""
            continue
        if unit.parent_id not in names:
            parent = await context.storage.units.get(unit.parent_id)
            names[unit.parent_id] = parent.name if parent else ""
        found[unit.id] = names[unit.parent_id]
    return found


@coordinator_only
async def roster(update: Update, context: BotContext, who: Who) -> None:
    """The liaisons as an .xlsx in the attachment 1 layout, one row per unit, in the
    office's own unit order."""
    storage = context.storage
    units = tree_order(await storage.units.all_in_scope(who.scope_unit_id))
    if not units:
        await update.effective_message.reply_text(context.t("desk.no_units"))
        return
    liaisons = await storage.liaisons.active_by_unit(unit.id for unit in units)
    campaign = await storage.campaigns.current()
    words = desk_words(context, campaign.timezone if campaign else None)
    parents = await _parents(context, units)
    heading = Heading(campaign.name if campaign else "", _scope(words, units, who),
                      context.clock())
    with _work_dir(context) as work:
        path = Path(work) / "roster.xlsx"
        await asyncio.to_thread(workbooks.write_roster, path, words, heading,
                                [workbooks.RosterRow(unit, parents[unit.id],
                                                     liaisons.get(unit.id)) for unit in units])
        await _send_document(update, context, path, words.plain("desk.roster_title") + ".xlsx",
                             words.html("desk.roster_caption", units=len(units),
                                        liaisons=len(liaisons)))


@_desk_command
async def late(update: Update, context: BotContext, who: Who, desk: Desk, words: Words
              ) -> None:
    """The late and missing list for the committee meeting: a short text and a .docx."""
    now = context.clock()
    sections = []
    lines = [words.html("desk.late_chat_title", date=words.moment(now))]
    units = tree_order(desk.units)
    for rule in desk.rules:
        found = [d for d in desk.deadlines[rule.id] if d.due <= now]
        if not found:
            continue
        section = late_list.Section(rule.key,
                                    await load_columns(context.storage, desk, found, now))
        sections.append(section)
        entries = late_list.entries(section, units)
        lines.append(words.html(
            "desk.late_chat_line", deliverable=words.deliverable(rule.key),
            late=sum(1 for column, unit in entries if column.state(unit) == LATE),
            missing=sum(1 for column, unit in entries if column.state(unit) == MISSING)))
    if not sections:
        await update.effective_message.reply_text(words.html("desk.late_chat_nothing"))
        return
    await update.effective_message.reply_text("\n".join(lines))
    heading = Heading(desk.calendar.campaign.name, _scope(words, units, who), now)
    with _work_dir(context) as work:
        path = Path(work) / "late.docx"
        await asyncio.to_thread(late_list.write_late_list, path, words, heading,
                                _office(context, words, units, who), units, sections)
        await _send_document(update, context, path,
                             f"{words.plain('desk.late_file')}_{now.astimezone(desk.timezone):%Y-%m-%d}.docx")
        # the 通报 draft (bot.scoring.notice): 表扬 and 通报批评 from the ledger and deliveries
        notice = await notice_data(context.storage, desk, words, _scope(words, units, who),
                                   _office(context, words, units, who), who.scope_unit_id, now)
        path = Path(work) / "notice.docx"
        await asyncio.to_thread(write_notice, path, words, notice)
        await _send_document(update, context, path,
                             f"{words.plain('scoring.notice_file')}_{now.astimezone(desk.timezone):%Y-%m-%d}.docx")


def _week(desk: Desk, now, argument: str) -> Deadline | str | None:
    """The weekly period an argument names (nothing: the one being chased); the argument
    itself when it names none; None when the campaign has no weekly deliverable."""
    rule = desk.calendar.rule("weekly")
    if rule is None or not desk.deadlines.get(rule.id):
        return None
    found = desk.deadlines[rule.id]
    if argument in ("", "week", "本周"):
        return chased_deadline(found, now)
    day = parse_date(argument, desk.calendar.campaign.year)
    if day is not None:
        for deadline in found:
            if deadline.nominal == day or deadline.due.date() == day:
                return deadline
    return argument


async def _weekly_target(update: Update, context: BotContext, desk: Desk, words: Words,
                         argument: str) -> Deadline | None:
    """The week asked for, or None after answering why there is none."""
    week = _week(desk, context.clock(), argument)
    if isinstance(week, Deadline):
        return week
    if week is None:
        await update.effective_message.reply_text(words.html("desk.export_usage"))
        return None
    weekly = desk.calendar.rule("weekly")
    await update.effective_message.reply_text(words.html(
        "desk.export_unknown_week", week=shortened(week),
        weeks="、".join(d.period for d in desk.deadlines[weekly.id])))
    return None


@_desk_command
async def export(update: Update, context: BotContext, who: Who, desk: Desk, words: Words
                ) -> None:
    """``/export [week|all|<date>]``: a zip of the units' materials, split when too big."""
    argument = _argument(context)
    now = context.clock()
    units = tree_order(desk.units)
    unit_ids = [unit.id for unit in units]
    campaign = desk.calendar.campaign.name
    if argument in ("all", "全部"):
        items = await context.storage.submissions.desk_items(unit_ids)
        found = desk.passed(now)
        what, stem = words.plain("desk.export_all"), "all"
        folder = words.plain("desk.export_folder_all", campaign=campaign,
                             date=now.astimezone(desk.timezone).date().isoformat())
    else:
        week = await _weekly_target(update, context, desk, words, argument)
        if week is None:
            return
        items = await context.storage.submissions.desk_items(unit_ids, week.deliverable_id,
                                                             week.period)
        found = [week]
        what, stem = words.target(week), week.period
        folder = words.plain("desk.export_folder_week", campaign=campaign,
                             deliverable=words.deliverable(week.key),
                             period=words.period(week))
    await update.effective_message.reply_text(words.html("desk.export_building"))
    columns = await load_columns(context.storage, desk, found, now)
    heading = Heading(campaign, _scope(words, units, who), now)
    parents = await _parents(context, units)
    liaisons = await context.storage.liaisons.active_by_unit(unit_ids)
    name = f"export_{stem}.zip"
    part_bytes = context.services.export_part_bytes
    with _work_dir(context) as work:
        work_dir = Path(work)
        summary = work_dir / "summary.xlsx"
        await asyncio.to_thread(workbooks.write_summary, summary, words, heading, what, units,
                                parents, columns)
        plan = exports.ExportPlan(
            folder=folder, title=words.plain("desk.export_index_title", campaign=campaign,
                                             what=what),
            now=now, generated=words.plain("desk.export_generated", scope=heading.scope,
                                           time=words.moment(now)),
            units=units, liaisons=liaisons, columns=columns, items=items, summary=summary,
            summary_name=words.plain("desk.summary_file") + ".xlsx",
            remarks=await review_history.export_remarks(
                context.storage, desk.calendar, words, unit_ids,
                None if len(found) != 1 or argument in ("all", "全部") else found[0]))
        result = await asyncio.to_thread(exports.build_export, work_dir / name, words, plan,
                                         context.settings.media_dir, work_dir)
        count = exports.part_count(result.path, part_bytes)
        if count == 1:
            await _send_document(update, context, result.path, name, words.html(
                "desk.export_caption", what=what, units=result.units, files=result.files))
            return
        await update.effective_message.reply_text(
            words.html("desk.export_caption", what=what, units=result.units,
                       files=result.files) + "\n"
            + words.html("desk.export_parts_note", parts=count, name=name))
        for number, data in exports.parts(result.path, part_bytes):
            await _send_document(update, context, data, f"{name}.{number:03d}", words.html(
                "desk.export_part_caption", what=what, part=number, parts=count))


@_desk_command
async def photos(update: Update, context: BotContext, who: Who, desk: Desk, words: Words
                ) -> None:
    """``/photos [<date>]``: the week's photos (and images sent as files, 原图) as contact
    sheets, each tile labelled with its unit, date and lateness."""
    week = await _weekly_target(update, context, desk, words, _argument(context))
    if week is None:
        return
    units = tree_order(desk.units)
    order = {unit.id: index for index, unit in enumerate(units)}
    by_id = {unit.id: unit for unit in units}
    items = [item for item in await context.storage.submissions.desk_items(
                 list(order), week.deliverable_id, week.period)
             if contact_sheets.is_picture(item.kind, item.mime_type)]
    items.sort(key=lambda item: (order[item.unit_id], item.received_at, item.id))
    if not items:
        await update.effective_message.reply_text(
            words.html("desk.photos_none", target=words.target(week)))
        return
    (column,) = await load_columns(context.storage, desk, [week], context.clock())
    media_dir = context.settings.media_dir

    def tile(item) -> contact_sheets.Tile:
        unit = by_id[item.unit_id]
        state = column.state(unit)
        return contact_sheets.Tile(
            unit.name, _tile_source(media_dir, item.thumb_sha256, item.media_sha256),
            from_iso(item.received_at).astimezone(desk.timezone),
            column.text(words, unit) if state in (LATE, NIL) else None)

    tiles = [tile(item) for item in items]
    sheets = await asyncio.to_thread(lambda: list(contact_sheets.contact_sheets(tiles)))
    for index, (jpeg, legend) in enumerate(sheets, start=1):
        await context.bot.send_photo(
            update.effective_chat.id, InputFile(jpeg, filename=f"photos_{index}.jpg"),
            caption=words.html("desk.photos_caption", target=words.target(week), sheet=index,
                               sheets=len(sheets), count=len(tiles)),
            read_timeout=UPLOAD_TIMEOUT, write_timeout=UPLOAD_TIMEOUT)
        lines = [words.html("desk.photos_legend", sheet=index, sheets=len(sheets))]
        lines += [words.html("desk.photos_legend_line", numbers=numbers, unit=unit)
                  for numbers, unit in contact_sheets.legend_ranges(legend)]
        await update.effective_message.reply_text("\n".join(lines))


def _tile_source(media_dir: Path, *shas: str | None) -> Path | None:
    """The first of the item's thumbnail and file that is in the store."""
    for sha256 in shas:
        if sha256 and media_file(media_dir, sha256).is_file():
            return media_file(media_dir, sha256)
    return None


def _short_period(words: Words, deadline: Deadline) -> str:
    """A period as the heatmap's column says it: 6/4 (a week, or a one-time due date), 7月."""
    if len(deadline.period) == 7:
        return words.plain("desk.heatmap_month", month=int(deadline.period[5:]))
    day = deadline.nominal if len(deadline.period) == 10 else \
        deadline.due.astimezone(words.timezone).date()
    return f"{day.month}/{day.day}"


@coordinator_only
@pressed(DeskHeatmap)
async def on_heatmap(update: Update, context: BotContext, who: Who, press: DeskHeatmap
                     ) -> None:
    """/status's 📊: every unit in scope × every period of every deliverable, as a PNG."""
    query = update.callback_query
    desk = await open_desk(context, who)
    if isinstance(desk, str):
        await query.answer(desk, show_alert=True)
        return
    words = desk_words(context, desk.timezone)
    await query.answer(words.plain("desk.heatmap_making"))
    now = context.clock()
    units = tree_order(desk.units)
    groups, columns = [], []
    for rule in desk.rules:
        found = list(desk.deadlines[rule.id])
        if not found:
            continue
        groups.append(heatmap.Group(words.deliverable(rule.key),
                                    [_short_period(words, deadline) for deadline in found]))
        columns += await load_columns(context.storage, desk, found, now)
    states = [[column.state(unit) for column in columns] for unit in units]
    title = words.plain("desk.heatmap_title", campaign=desk.calendar.campaign.name,
                        scope=_scope(words, units, who), time=words.moment(now))
    legend = {state: words.group(state) for state in heatmap.STATES}
    png = await asyncio.to_thread(heatmap.heatmap, title, [unit.name for unit in units],
                                  groups, states, legend)
    await _send_document(update, context, png, words.plain("desk.heatmap_file") + ".png",
                         words.html("desk.heatmap_caption", units=len(units),
                                    periods=len(columns)))


def register(app) -> None:
    app.add_handler(CommandHandler("roster", roster))
    app.add_handler(CommandHandler("late", late))
    app.add_handler(CommandHandler("export", export))
    app.add_handler(CommandHandler("photos", photos))
    app.add_handler(CallbackQueryHandler(on_heatmap, pattern=DeskHeatmap.pattern()))
