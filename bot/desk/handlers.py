"""The coordinator's desk: /status, /missing (with "remind them now"), /roster, /export,
/photos and /late. Every view, file and reminder holds only the units in the caller's scope.

Callback data: ``desk:status:<deliverable>:<period>:<page>``, ``desk:missing:<deliverable>:
<period>:<page>``, ``desk:remind:<deliverable>:<period>``; a period of ``-`` means the one
the deliverable's coordinators are chasing.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.desk import files as desk_files
from bot.desk.remind import Reminder, send_reminders
from bot.desk.standings import LATE, MISSING, ON_TIME, Desk, Words, load_desk, standings
from bot.kernel.schedule import Deadline, chased_deadline
from bot.media.paths import media_file
from bot.ptb.access import Who, coordinator_only
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline

log = logging.getLogger(__name__)

PAGE_SIZE = 20          # unit lines per message: what fits on a phone screen
DELIVERABLES_PER_ROW = 3


def words_for(context: BotContext, desk: Desk | None) -> Words:
    timezone = desk.timezone if desk else context.settings.timezone
    return Words(context.texts, context.lang, timezone)


def _due_line(words: Words, deadline: Deadline, now) -> str:
    key = "desk.due_passed" if deadline.due <= now else "desk.due_coming"
    return words.html(key, due=words.moment(deadline.due))


def _paged(lines_total: int, page: int) -> tuple[int, int]:
    pages = max(1, math.ceil(lines_total / PAGE_SIZE))
    return min(max(page, 0), pages - 1), pages


def _navigation(words: Words, desk: Desk, view: str, deadline: Deadline, page: int,
                pages: int) -> list[list[tuple[str, str]]]:
    """Paging, previous / next period, and one button per deliverable."""
    here = f"{deadline.deliverable_id}:{deadline.period}"
    rows: list[list[tuple[str, str]]] = []
    paging = []
    if page > 0:
        paging.append((words.html("general.previous"), f"desk:{view}:{here}:{page - 1}"))
    if page + 1 < pages:
        paging.append((words.html("general.next"), f"desk:{view}:{here}:{page + 1}"))
    if paging:
        rows.append(paging)
    before, after = desk.neighbours(deadline)
    periods = []
    if before:
        periods.append((words.html("desk.previous_period"),
                        f"desk:{view}:{before.deliverable_id}:{before.period}:0"))
    if after:
        periods.append((words.html("desk.next_period"),
                        f"desk:{view}:{after.deliverable_id}:{after.period}:0"))
    if periods:
        rows.append(periods)
    choices = []
    for rule in desk.rules:
        label = words.deliverable(rule.key)
        if rule.id == deadline.deliverable_id:
            label = "• " + label
        choices.append((label, f"desk:{view}:{rule.id}:-:0"))
    rows += [choices[i:i + DELIVERABLES_PER_ROW]
             for i in range(0, len(choices), DELIVERABLES_PER_ROW)]
    return rows


async def _open_desk(context: BotContext, who: Who) -> tuple[Desk | None, str | None]:
    """The desk, or the one line to answer instead (no campaign, no units)."""
    desk = await load_desk(context.storage, who.scope_unit_id)
    if desk is None:
        return None, context.t("desk.no_campaign")
    if not desk.units or not desk.rules:
        return None, context.t("desk.no_units")
    return desk, None


def _parse(data: str) -> tuple[str, int | None, str | None, int]:
    """``desk:<view>:<deliverable>:<period>[:<page>]`` -> its parts (bad parts: defaults)."""
    parts = data.split(":")
    view = parts[1] if len(parts) > 1 else ""
    deliverable = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
    period = parts[3] if len(parts) > 3 and parts[3] != "-" else None
    page = int(parts[4]) if len(parts) > 4 and parts[4].isdigit() else 0
    return view, deliverable, period, page


# ------------------------------------------------------------------ /status


async def status_view(context: BotContext, who: Who, deliverable_id: int | None = None,
                      period: str | None = None, page: int = 0
                      ) -> tuple[str, InlineKeyboardMarkup | None]:
    desk, refusal = await _open_desk(context, who)
    if desk is None:
        return refusal, None
    now = context.clock()
    deadline = desk.target(now, deliverable_id, period)
    words = words_for(context, desk)
    groups = standings(desk.units, await context.storage.delivered(deadline))
    page, pages = _paged(len(desk.units), page)
    lines = [words.html("desk.status_title", target=words.target(deadline)),
             _due_line(words, deadline, now),
             words.html("desk.status_counts", total=len(desk.units),
                        on_time=len(groups.on_time), late=len(groups.late),
                        missing=len(groups.missing))]
    shown_group = None
    for group, number, unit in groups.page(page * PAGE_SIZE, (page + 1) * PAGE_SIZE):
        if group != shown_group:
            lines.append("")
            lines.append(words.html("desk.status_group", group=words.plain(f"desk.{group}"),
                                    count=len(groups.members(group))))
            shown_group = group
        if group == LATE:
            lines.append(words.html("desk.status_late_line", number=number, unit=unit.name,
                                    duration=words.duration(groups.delivered[unit.id])))
        else:
            lines.append(words.html("desk.status_line", number=number, unit=unit.name))
    if pages > 1:
        lines.append("")
        lines.append(words.html("desk.page", page=page + 1, pages=pages))
    rows = _navigation(words, desk, "status", deadline, page, pages)
    rows.append([(words.html("desk.to_missing"),
                  f"desk:missing:{deadline.deliverable_id}:{deadline.period}:0")])
    return "\n".join(lines), inline(rows)


@coordinator_only
async def status(update: Update, context: BotContext, who: Who) -> None:
    text, markup = await status_view(context, who)
    await update.effective_message.reply_text(text, reply_markup=markup)


# ------------------------------------------------------------------ /missing


async def missing_view(context: BotContext, who: Who, deliverable_id: int | None = None,
                       period: str | None = None, page: int = 0
                       ) -> tuple[str, InlineKeyboardMarkup | None]:
    desk, refusal = await _open_desk(context, who)
    if desk is None:
        return refusal, None
    now = context.clock()
    deadline = desk.target(now, deliverable_id, period)
    words = words_for(context, desk)
    missing = standings(desk.units, await context.storage.delivered(deadline)).missing
    liaisons = await context.storage.liaisons.active_by_unit(unit.id for unit in missing)
    page, pages = _paged(len(missing), page)
    lines = [words.html("desk.missing_title", target=words.target(deadline)),
             _due_line(words, deadline, now)]
    if not missing:
        lines.append(words.html("desk.missing_none"))
    else:
        lines.append(words.html("desk.missing_count", count=len(missing),
                                total=len(desk.units)))
    for number, unit in enumerate(missing[page * PAGE_SIZE:(page + 1) * PAGE_SIZE],
                                  start=page * PAGE_SIZE + 1):
        liaison = liaisons.get(unit.id)
        if liaison is None:
            lines.append(words.html("desk.missing_no_liaison", number=number, unit=unit.name))
        else:
            lines.append(words.html("desk.missing_line", number=number, unit=unit.name,
                                    name=liaison.name, mobile=liaison.mobile))
    if pages > 1:
        lines.append(words.html("desk.page", page=page + 1, pages=pages))
    rows = _navigation(words, desk, "missing", deadline, page, pages)
    if liaisons:
        rows.append([await _remind_button(context, words, deadline, len(liaisons))])
    rows.append([(words.html("desk.to_status"),
                  f"desk:status:{deadline.deliverable_id}:{deadline.period}:0")])
    return "\n".join(lines), inline(rows)


async def _remind_button(context: BotContext, words: Words, deadline: Deadline,
                         count: int) -> tuple[str, str]:
    data = f"desk:remind:{deadline.deliverable_id}:{deadline.period}"
    again = await context.storage.desk_reminders.again_at(deadline.deliverable_id,
                                                          deadline.period)
    if again is not None:
        return words.html("desk.remind_again_button", time=words.moment(again)), data
    return words.html("desk.remind_button", count=count), data


@coordinator_only
async def missing(update: Update, context: BotContext, who: Who) -> None:
    text, markup = await missing_view(context, who)
    await update.effective_message.reply_text(text, reply_markup=markup)


# ------------------------------------------------------------------ buttons


@coordinator_only
async def on_view(update: Update, context: BotContext, who: Who) -> None:
    """A status / missing button: another page, period or deliverable."""
    query = update.callback_query
    view, deliverable_id, period, page = _parse(query.data)
    build = status_view if view == "status" else missing_view
    text, markup = await build(context, who, deliverable_id, period, page)
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as error:   # e.g. "message is not modified" on a double tap
        log.info("desk view not edited: %s", error)


@coordinator_only
async def on_remind(update: Update, context: BotContext, who: Who) -> None:
    """Remind the liaisons of exactly the units (in the presser's scope) still missing."""
    query = update.callback_query
    _, deliverable_id, period, _ = _parse(query.data)
    desk, refusal = await _open_desk(context, who)
    if desk is None or deliverable_id is None or desk.rule(deliverable_id) is None:
        await query.answer(refusal or context.t("general.stale_button"), show_alert=True)
        return
    deadline = desk.target(context.clock(), deliverable_id, period)
    words = words_for(context, desk)
    missing_units = standings(desk.units,
                              await context.storage.delivered(deadline)).missing
    liaisons = await context.storage.liaisons.active_by_unit(unit.id for unit in missing_units)
    reminders = [Reminder(liaisons[unit.id].person_id, unit.name)
                 for unit in missing_units if unit.id in liaisons]
    if not reminders:
        await query.answer(words.html("desk.remind_nobody"), show_alert=True)
        return
    claim = await context.storage.desk_reminders.claim(
        deadline.deliverable_id, deadline.period, who.person_id, who.scope_unit_id)
    if claim.press_id is None:
        await query.answer(words.html("desk.remind_refused", time=words.moment(claim.again_at)),
                           show_alert=True)
        return
    await query.answer(words.html("desk.remind_started", count=len(reminders)))
    text, markup = await missing_view(context, who, deadline.deliverable_id, deadline.period)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as error:
        log.info("missing list not refreshed: %s", error)
    context.application.create_task(
        _remind_and_report(context, who, desk, deadline, reminders, claim.press_id),
        update=update)


async def _remind_and_report(context: BotContext, who: Who, desk: Desk, deadline: Deadline,
                             reminders: list[Reminder], press_id: int) -> None:
    unreached = await send_reminders(context, deadline, desk.timezone, reminders, press_id)
    await context.storage.desk_reminders.finish(press_id, len(reminders),
                                                len(reminders) - len(unreached))
    words = words_for(context, desk)
    lines = [words.html("desk.remind_done", target=words.target(deadline),
                        reached=len(reminders) - len(unreached))]
    if unreached:
        lines.append(words.html("desk.remind_unreached",
                                units="、".join(r.unit_name for r in unreached)))
    try:
        await context.bot.send_message(who.person_id, "\n".join(lines))
    except TelegramError as error:
        log.warning("could not report reminders to %s: %s", who.person_id, error)


# ------------------------------------------------------------------ files

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
    words = Words(context.texts, context.lang,
                  campaign.timezone if campaign else context.settings.timezone)
    with _work_dir(context) as work:
        path = Path(work) / "roster.xlsx"
        await asyncio.to_thread(desk_files.write_roster, path, words,
                                [(unit, liaisons.get(unit.id)) for unit in units])
        await _send_document(update, context, path, words.plain("desk.roster_title") + ".xlsx",
                             words.html("desk.roster_caption", units=len(units),
                                        liaisons=len(liaisons)))


async def _columns(context: BotContext, desk: Desk, found: Sequence[Deadline]
                   ) -> list[desk_files.Column]:
    return [desk_files.Column(deadline, standings(
                desk.units, await context.storage.delivered(deadline)))
            for deadline in found]


@coordinator_only
async def late(update: Update, context: BotContext, who: Who) -> None:
    """The late and missing list for the committee meeting: a short text and a .docx."""
    desk, refusal = await _open_desk(context, who)
    if desk is None:
        await update.effective_message.reply_text(refusal)
        return
    now = context.clock()
    words = words_for(context, desk)
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
        await asyncio.to_thread(desk_files.write_late_list, path, words,
                                desk.calendar.campaign.name, now, _scope_line(words, desk, who),
                                sections)
        await _send_document(update, context, path,
                             f"{words.plain('desk.late_file')}_{now.astimezone(desk.timezone):%Y-%m-%d}.docx")


WEEK_DATE = re.compile(r"^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?$")


def _week(desk: Desk, now, argument: str) -> Deadline | str | None:
    """The weekly period an argument names (nothing: the one being chased); the argument
    itself when it names none; None when the campaign has no weekly deliverable."""
    rule = desk.calendar.rule("weekly")
    if rule is None or not desk.deadlines.get(rule.id):
        return None
    found = desk.deadlines[rule.id]
    if argument in ("", "week", "本周"):
        return chased_deadline(found, now)
    match = WEEK_DATE.match(argument)
    if match:
        year = int(match.group(1) or desk.calendar.campaign.year)
        try:
            day = date(year, int(match.group(2)), int(match.group(3)))
        except ValueError:
            return argument
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


@coordinator_only
async def export(update: Update, context: BotContext, who: Who) -> None:
    """``/export [week|all|<date>]``: a zip of the units' materials, split when too big."""
    desk, refusal = await _open_desk(context, who)
    if desk is None:
        await update.effective_message.reply_text(refusal)
        return
    words = words_for(context, desk)
    argument = " ".join(context.args).strip().lower()
    now = context.clock()
    unit_ids = [unit.id for unit in desk.units]
    if argument in ("all", "全部"):
        week = None
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
        await asyncio.to_thread(desk_files.write_summary, summary, words, desk.units, columns)
        result = await asyncio.to_thread(
            desk_files.build_export, work_dir / name, words, desk.units, items,
            context.settings.media_dir, summary, work_dir)
        count = desk_files.part_count(result.path, part_bytes)
        if count == 1:
            await _send_document(update, context, result.path, name, words.html(
                "desk.export_caption", what=what, units=result.units, files=result.files))
            return
        await update.effective_message.reply_text(
            words.html("desk.export_caption", what=what, units=result.units,
                       files=result.files) + "\n"
            + words.html("desk.export_parts_note", parts=count, name=name))
        for number, data in desk_files.parts(result.path, part_bytes):
            await _send_document(update, context, data, f"{name}.{number:03d}", words.html(
                "desk.export_part_caption", what=what, part=number, parts=count))


@coordinator_only
async def photos(update: Update, context: BotContext, who: Who) -> None:
    """``/photos [<date>]``: the week's photos as contact sheets, each tile labelled."""
    desk, refusal = await _open_desk(context, who)
    if desk is None:
        await update.effective_message.reply_text(refusal)
        return
    words = words_for(context, desk)
    week = await _weekly_target(update, context, desk, words,
                                " ".join(context.args).strip().lower())
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
    tiles = [desk_files.Tile(names[item.unit_id],
                  _tile_source(media_dir, item.thumb_sha256, item.media_sha256))
             for item in items]
    sheets = await asyncio.to_thread(lambda: list(desk_files.contact_sheets(tiles)))
    for index, (jpeg, legend) in enumerate(sheets, start=1):
        await context.bot.send_photo(
            update.effective_chat.id, InputFile(jpeg, filename=f"photos_{index}.jpg"),
            caption=words.html("desk.photos_caption", target=words.target(week), sheet=index,
                               sheets=len(sheets), count=len(tiles)),
            read_timeout=UPLOAD_TIMEOUT, write_timeout=UPLOAD_TIMEOUT)
        lines = [words.html("desk.photos_legend", sheet=index, sheets=len(sheets))]
        lines += [words.html("desk.photos_legend_line", numbers=numbers, unit=unit)
                  for numbers, unit in _ranges(legend)]
        await update.effective_message.reply_text("\n".join(lines))


def _tile_source(media_dir: Path, *shas: str | None) -> Path | None:
    """The first of the item's thumbnail and file that is in the store."""
    for sha256 in shas:
        if sha256 and media_file(media_dir, sha256).is_file():
            return media_file(media_dir, sha256)
    return None


def _ranges(legend: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """Consecutive tile numbers of one unit as one line: ('3–5', unit)."""
    found: list[list] = []
    for number, unit in legend:
        if found and found[-1][2] == unit and found[-1][1] == number - 1:
            found[-1][1] = number
        else:
            found.append([number, number, unit])
    return [(str(first) if first == last else f"{first}–{last}", unit)
            for first, last, unit in found]


def register(app) -> None:
    app.add_handler(CommandHandler("status", status))
    app.add_handler(CommandHandler("missing", missing))
    app.add_handler(CommandHandler("roster", roster))
    app.add_handler(CommandHandler("late", late))
    app.add_handler(CommandHandler("export", export))
    app.add_handler(CommandHandler("photos", photos))
    app.add_handler(CallbackQueryHandler(on_view, pattern=r"^desk:(status|missing):"))
    app.add_handler(CallbackQueryHandler(on_remind, pattern=r"^desk:remind:"))
