"""The desk's files: /roster (.xlsx), /late (a short text and a .docx), /export (a .zip of
the materials, in parts when too big) and /photos (contact sheets). Each holds only the
units in the caller's scope.

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
from telegram.ext import CommandHandler

from bot.desk import contact_sheets, late_list, workbooks
from bot.desk import export as exports
from bot.desk.standings import LATE, MISSING, ON_TIME, Desk, desk_words, load_standings, open_desk
from bot.kernel.dates import parse_date
from bot.kernel.schedule import Deadline, chased_deadline
from bot.kernel.words import Words
from bot.media.paths import media_file
from bot.ptb.access import Who, coordinator_only
from bot.ptb.context import BotContext

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


def _scope_line(words: Words, desk: Desk, who: Who) -> str:
    if who.scope_unit_id is None:
        return words.plain("desk.late_scope_all")
    unit = next((u for u in desk.units if u.id == who.scope_unit_id), None)
    return words.plain("desk.late_scope_unit", unit=unit.name if unit else "")


@coordinator_only
async def roster(update: Update, context: BotContext, who: Who) -> None:
    """The liaisons as an .xlsx in the attachment 1 layout, one row per unit."""
    storage = context.storage
    units = await storage.units.all_in_scope(who.scope_unit_id)
    if not units:
        await update.effective_message.reply_text(context.t("desk.no_units"))
        return
    liaisons = await storage.liaisons.active_by_unit(unit.id for unit in units)
    campaign = await storage.campaigns.current()
    words = desk_words(context, campaign.timezone if campaign else None)
    with _work_dir(context) as work:
        path = Path(work) / "roster.xlsx"
        await asyncio.to_thread(workbooks.write_roster, path, words,
                                [(unit, liaisons.get(unit.id)) for unit in units])
        await _send_document(update, context, path, words.plain("desk.roster_title") + ".xlsx",
                             words.html("desk.roster_caption", units=len(units),
                                        liaisons=len(liaisons)))


async def _columns(context: BotContext, desk: Desk, found: Sequence[Deadline]
                   ) -> list[workbooks.Column]:
    return [workbooks.Column(deadline, await load_standings(context.storage, desk, deadline))
            for deadline in found]


@_desk_command
async def late(update: Update, context: BotContext, who: Who, desk: Desk, words: Words
              ) -> None:
    """The late and missing list for the committee meeting: a short text and a .docx."""
    now = context.clock()
    sections = []
    lines = [words.html("desk.late_chat_title", date=words.moment(now))]
    for rule in desk.rules:
        found = [d for d in desk.deadlines[rule.id] if d.due <= now]
        if not found:
            continue
        entries = [(column.deadline, column.standings.standing(unit))
                   for column in await _columns(context, desk, found) for unit in desk.units
                   if column.standings.group_of(unit.id) != ON_TIME]
        sections.append((rule.key, entries))
        lines.append(words.html(
            "desk.late_chat_line", deliverable=words.deliverable(rule.key),
            late=sum(1 for _, s in entries if s.group == LATE),
            missing=sum(1 for _, s in entries if s.group == MISSING)))
    if not sections:
        await update.effective_message.reply_text(words.html("desk.late_chat_nothing"))
        return
    await update.effective_message.reply_text("\n".join(lines))
    with _work_dir(context) as work:
        path = Path(work) / "late.docx"
        await asyncio.to_thread(late_list.write_late_list, path, words,
                                desk.calendar.campaign.name, now, _scope_line(words, desk, who),
                                sections)
        await _send_document(update, context, path,
                             f"{words.plain('desk.late_file')}_{now.astimezone(desk.timezone):%Y-%m-%d}.docx")


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
        "desk.export_unknown_week", week=week,
        weeks="、".join(d.period for d in desk.deadlines[weekly.id])))
    return None


@_desk_command
async def export(update: Update, context: BotContext, who: Who, desk: Desk, words: Words
                ) -> None:
    """``/export [week|all|<date>]``: a zip of the units' materials, split when too big."""
    argument = _argument(context)
    now = context.clock()
    unit_ids = [unit.id for unit in desk.units]
    if argument in ("all", "全部"):
        items = await context.storage.submissions.desk_items(unit_ids)
        found = desk.passed(now)
        what, stem = words.plain("desk.export_all"), "all"
    else:
        week = await _weekly_target(update, context, desk, words, argument)
        if week is None:
            return
        items = await context.storage.submissions.desk_items(unit_ids, week.deliverable_id,
                                                             week.period)
        found = [week]
        what, stem = words.target(week), week.period
    await update.effective_message.reply_text(words.html("desk.export_building"))
    columns = await _columns(context, desk, found)
    name = f"export_{stem}.zip"
    part_bytes = context.services.export_part_bytes
    with _work_dir(context) as work:
        work_dir = Path(work)
        summary = work_dir / "summary.xlsx"
        await asyncio.to_thread(workbooks.write_summary, summary, words, desk.units, columns)
        result = await asyncio.to_thread(
            exports.build_export, work_dir / name, words, desk.units, items,
            context.settings.media_dir, summary, work_dir)
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
    """``/photos [<date>]``: the week's photos as contact sheets, each tile labelled."""
    week = await _weekly_target(update, context, desk, words, _argument(context))
    if week is None:
        return
    order = {unit.id: index for index, unit in enumerate(desk.units)}
    names = {unit.id: unit.name for unit in desk.units}
    items = await context.storage.submissions.desk_items(list(order), week.deliverable_id,
                                                         week.period, kind="photo")
    items.sort(key=lambda item: (order[item.unit_id], item.received_at, item.id))
    if not items:
        await update.effective_message.reply_text(
            words.html("desk.photos_none", target=words.target(week)))
        return
    media_dir = context.settings.media_dir
    tiles = [contact_sheets.Tile(names[item.unit_id],
                  _tile_source(media_dir, item.thumb_sha256, item.media_sha256))
             for item in items]
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


def register(app) -> None:
    app.add_handler(CommandHandler("roster", roster))
    app.add_handler(CommandHandler("late", late))
    app.add_handler(CommandHandler("export", export))
    app.add_handler(CommandHandler("photos", photos))
