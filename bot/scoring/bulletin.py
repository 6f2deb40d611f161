"""/bulletin [期次]: the week's 工作简报 as a .docx.

The pieces are the week's adopted submissions (weekly material and the event reports of the
week) in the order they were first adopted, or, when nothing is adopted yet, the on-time
weekly material. ``/bulletin`` first lists them with buttons: ⬆ moves a piece up, ✖ leaves it
out (↩ takes it back), 📄 builds the file. The list is kept in the coordinator's user data
(``bulletin``); each press re-checks the presser and the pieces against the scope.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

from telegram import InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.desk.standings import Desk, desk_words, load_desk, load_standings, tree_order
from bot.kernel.dates import parse_date
from bot.kernel.schedule import Deadline, chased_deadline
from bot.kernel.words import Words
from bot.media.paths import media_file
from bot.ptb.access import Who, coordinator_only, who_is
from bot.ptb.buttons import BulletinPiece
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import pressed, send_lines, stale_button
from bot.scoring.adoption import adoptions_for
from bot.scoring.bulletin_doc import MAX_PHOTOS, Bulletin, Figures, Piece, write_bulletin
from bot.storage.submissions import Submission

MAX_PIECES = 30            # a weekly bulletin holds at most this many pieces
MAX_MOVABLE = 12           # pieces listed with ⬆ / ✖ buttons (2 each + 📄: within 100)
UPLOAD_TIMEOUT = 300
ISSUE = re.compile(r"^第?(\d{1,2})期?$")
LABEL_CHARS = 40           # a list line stays short: 30 lines fit one message (4096)
LEVELS_CHARS = 50


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _office(context: BotContext, words: Words, desk: Desk, who: Who) -> str:
    """Who issues it: ``BOT_OFFICE_NAME``, else a scoped coordinator's unit, else the
    general office (as the desk's files sign)."""
    if context.settings.office_name:
        return context.settings.office_name
    unit = next((u for u in desk.units if u.id == who.scope_unit_id), None)
    return unit.name if unit is not None else words.plain("desk.office_default")


def week_of(desk: Desk, now, argument: str) -> Deadline | str | None:
    """The weekly period ``argument`` names: nothing (the one being chased), an issue number
    (``3``, ``第3期``) or a date; the argument back when it names none; None without a weekly
    deliverable."""
    rule = desk.calendar.rule("weekly")
    if rule is None or not desk.deadlines.get(rule.id):
        return None
    found = desk.deadlines[rule.id]
    if argument in ("", "week", "本周", "本期"):
        return chased_deadline(found, now)
    issue = ISSUE.match(argument)
    if issue:
        number = int(issue.group(1))
        return found[number - 1] if 1 <= number <= len(found) else argument
    day = parse_date(argument, desk.calendar.campaign.year)
    if day is not None:
        for deadline in found:
            if deadline.nominal == day or deadline.due.date() == day:
                return deadline
    return argument


def issue_number(desk: Desk, week: Deadline) -> int:
    found = desk.deadlines[week.deliverable_id]
    return next(index for index, d in enumerate(found, start=1) if d.period == week.period)


async def _week_submissions(context: BotContext, desk: Desk, week: Deadline
                            ) -> tuple[list[Submission], list[Submission]]:
    """The week's weekly material and event reports (received since the previous week's
    deadline) of the desk's units."""
    storage = context.storage
    units = {unit.id for unit in desk.units}
    weekly = [s for s in await storage.scoring.open_submissions(week.deliverable_id, week.period)
              if s.unit_id in units]
    events: list[Submission] = []
    event_rule = desk.calendar.rule("event")
    if event_rule is not None:
        previous, _ = desk.neighbours(week)
        events = [s for s in await storage.scoring.submissions_received(
            event_rule.id, previous.due if previous else None, week.due) if s.unit_id in units]
    return weekly, events


async def candidates(context: BotContext, desk: Desk, week: Deadline
                     ) -> tuple[bool, list[int]]:
    """(adopted?, submission ids): the adopted pieces in order of first adoption, else the
    on-time weekly material in the office's order."""
    weekly, events = await _week_submissions(context, desk, week)
    ids = [s.id for s in weekly + events]
    adopted: list[int] = []
    for adoption in await context.storage.scoring.adoptions_of(ids):
        if adoption.submission_id not in adopted:
            adopted.append(adoption.submission_id)
    if adopted:
        return True, adopted
    order = {unit.id: index for index, unit in enumerate(tree_order(desk.units))}
    on_time = sorted((s for s in weekly if s.late_seconds is None),
                     key=lambda s: order.get(s.unit_id, 0))
    return False, [s.id for s in on_time]


def arranged(draft: dict, found: list[int]) -> list[int]:
    """The coordinator's order (pieces gone since left out), new pieces after, the
    excluded ones dropped."""
    order = [i for i in draft.get("order", []) if i in found]
    order += [i for i in found if i not in order]
    return [i for i in order if i not in draft.get("dropped", [])]


async def _names(context: BotContext, unit_ids) -> dict[int, str]:
    found = {}
    for unit_id in set(unit_ids):
        unit = await context.storage.units.get(unit_id)
        found[unit_id] = unit.name if unit else "?"
    return found


async def _open(update: Update, context: BotContext, who: Who
                ) -> tuple[Desk, Deadline, Words] | None:
    desk = await load_desk(context.storage, who.scope_unit_id)
    if desk is None or not desk.units:
        await update.effective_message.reply_text(
            context.t("desk.no_campaign" if desk is None else "desk.no_units"))
        return None
    words = desk_words(context, desk.timezone)
    argument = " ".join(context.args or ()).strip().lower()
    week = week_of(desk, context.clock(), argument)
    if week is None:
        await update.effective_message.reply_text(context.t("scoring.bulletin_no_weekly"))
        return None
    if isinstance(week, str):
        weekly = desk.calendar.rule("weekly")
        await update.effective_message.reply_text(context.t(
            "scoring.bulletin_unknown_week", week=week,
            count=len(desk.deadlines[weekly.id])))
        return None
    return desk, week, words


async def _list_message(context: BotContext, desk: Desk, week: Deadline, words: Words
                        ) -> tuple[list[str], object]:
    draft = context.user_state.get("bulletin") or {}
    adopted, found = await candidates(context, desk, week)
    order = [i for i in draft.get("order", []) if i in found]
    order += [i for i in found if i not in order]
    dropped = set(draft.get("dropped", []))
    submissions = {i: await context.storage.submissions.get(i) for i in order}
    names = await _names(context, [s.unit_id for s in submissions.values()])
    levels = await adoptions_for(context.storage, order)
    lines = [context.t("scoring.bulletin_list_title", number=issue_number(desk, week),
                       week=words.period(week)),
             context.t("scoring.bulletin_list_adopted" if adopted
                       else "scoring.bulletin_list_on_time", count=len(order))]
    rows = []
    for position, submission_id in enumerate(order):
        submission = submissions[submission_id]
        label = names[submission.unit_id]
        if submission.period.startswith("event-"):
            label = context.t("scoring.bulletin_event_label", unit=label,
                              title=submission.details.get("title")
                              or words.target_key("event", submission.period))
        key = "scoring.bulletin_list_dropped" if submission_id in dropped \
            else "scoring.bulletin_list_line"
        if position < MAX_PIECES:
            adopted_at = context.t("scoring.separator").join(levels.get(submission_id, []))
            lines.append(context.t(key, number=position + 1, piece=short(label, LABEL_CHARS),
                                   levels=short(adopted_at
                                                or context.t("scoring.bulletin_not_adopted"),
                                                LEVELS_CHARS)))
        if position < MAX_MOVABLE:
            row = []
            if position > 0:
                row.append(BulletinPiece("up", position).button(
                    context.t("scoring.bulletin_up", number=position + 1)))
            row.append(BulletinPiece("drop", position).button(context.t(
                "scoring.bulletin_back" if submission_id in dropped else "scoring.bulletin_drop",
                number=position + 1)))
            rows.append(row)
    if len(order) - len(dropped & set(order)) > MAX_PIECES:
        lines.append(context.t("scoring.bulletin_too_many", limit=MAX_PIECES))
    rows.append([BulletinPiece("build", 0).button(context.t("scoring.bulletin_build"))])
    context.user_state["bulletin"] = {"period": week.period, "order": order,
                                      "dropped": sorted(dropped & set(order))}
    return lines, inline(rows)


@coordinator_only
async def show_bulletin(update: Update, context: BotContext, who: Who) -> None:
    opened = await _open(update, context, who)
    if opened is None:
        return
    desk, week, words = opened
    context.user_state["bulletin"] = {"period": week.period, "order": [], "dropped": []}
    lines, markup = await _list_message(context, desk, week, words)
    await send_lines(context, update.effective_chat.id, lines, markup)


@pressed(BulletinPiece)
async def on_piece(update: Update, context: BotContext, press: BulletinPiece) -> None:
    who = await who_is(context, update.effective_user.id)
    draft = context.user_state.get("bulletin")
    desk = await load_desk(context.storage, who.scope_unit_id) if who.is_coordinator else None
    week = None
    if desk is not None and draft and desk.calendar.rule("weekly") is not None:
        weekly = desk.calendar.rule("weekly")
        week = next((d for d in desk.deadlines.get(weekly.id, ())
                     if d.period == draft.get("period")), None)
    if week is None or not desk.units:
        await stale_button(update, context)
        return
    words = desk_words(context, desk.timezone)
    order = draft.get("order", [])
    if press.action == "build":
        await update.callback_query.answer()
        await build(update, context, who, desk, week, words)
        return
    if not 0 <= press.position < len(order) or (press.action == "up" and press.position == 0):
        await stale_button(update, context)
        return
    if press.action == "up":
        order[press.position - 1], order[press.position] = (order[press.position],
                                                            order[press.position - 1])
    else:
        dropped = set(draft.get("dropped", []))
        dropped ^= {order[press.position]}
        draft["dropped"] = sorted(dropped)
    draft["order"] = order
    context.user_state["bulletin"] = draft
    lines, markup = await _list_message(context, desk, week, words)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text("\n".join(lines), reply_markup=markup)


async def _piece(context: BotContext, submission: Submission, unit: str,
                 levels: list[str]) -> Piece:
    items = [item for item in await context.storage.submissions.items(submission.id)
             if item.current]
    texts = [item.text for item in items if item.kind == "text" and item.text]
    texts += [item.text for item in items if item.kind != "text" and item.text]
    photos = [media_file(context.settings.media_dir, item.media_sha256) for item in items
              if item.kind == "photo" and item.media_sha256 and item.archived == "yes"]
    title = submission.details.get("title") if submission.period.startswith("event-") else None
    return Piece(submission.id, unit, title or None, tuple(texts), tuple(photos[:MAX_PHOTOS]),
                 tuple(levels))


async def build(update: Update, context: BotContext, who: Who, desk: Desk, week: Deadline,
                words: Words) -> None:
    storage = context.storage
    draft = context.user_state.get("bulletin") or {}
    adopted, found = await candidates(context, desk, week)
    chosen = arranged(draft, found)[:MAX_PIECES]
    submissions = [await storage.submissions.get(i) for i in chosen]
    names = await _names(context, [s.unit_id for s in submissions])
    levels = await adoptions_for(storage, chosen)
    pieces = [await _piece(context, s, names[s.unit_id], levels.get(s.id, []))
              for s in submissions]
    weekly, events = await _week_submissions(context, desk, week)
    photos = 0
    for submission in weekly + events:
        photos += sum(1 for item in await storage.submissions.items(submission.id)
                      if item.kind == "photo" and item.current)
    standings = await load_standings(storage, desk, week)
    missing = {unit.id for unit in standings.missing}
    now = context.clock()
    local = now.astimezone(desk.timezone)
    bulletin = Bulletin(
        number=issue_number(desk, week), week=words.period(week),
        office=_office(context, words, desk, who),
        dated=words.plain("scoring.bulletin_date", year=local.year, month=local.month,
                          day=local.day),
        figures=Figures(len(desk.units), len(standings.on_time) + len(standings.late),
                        len(standings.on_time), len(standings.late), len(standings.missing),
                        photos, len(events)),
        pieces=tuple(pieces), adopted=adopted,
        unreported=tuple(unit.name for unit in tree_order(desk.units) if unit.id in missing))
    context.settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bulletin-", dir=context.settings.data_dir) as work:
        path = Path(work) / "bulletin.docx"
        await asyncio.to_thread(write_bulletin, path, words, bulletin, Path(work))
        with path.open("rb") as reader:
            await context.bot.send_document(
                update.effective_chat.id,
                InputFile(reader, filename=words.plain("scoring.bulletin_file",
                                                       number=bulletin.number)),
                caption=context.t("scoring.bulletin_caption", number=bulletin.number,
                                  week=bulletin.week, pieces=len(pieces)),
                read_timeout=UPLOAD_TIMEOUT, write_timeout=UPLOAD_TIMEOUT)


def register(app) -> None:
    app.add_handler(CommandHandler("bulletin", show_bulletin))
    app.add_handler(CallbackQueryHandler(on_piece, pattern=BulletinPiece.pattern()))
