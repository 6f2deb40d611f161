"""The coordinator's desk: /status, /missing (with "remind them now"), /roster, /export,
/photos and /late. Every view, file and reminder holds only the units in the caller's scope.

Callback data: ``desk:status:<deliverable>:<period>:<page>``, ``desk:missing:<deliverable>:
<period>:<page>``, ``desk:remind:<deliverable>:<period>``; a period of ``-`` means the one
the deliverable's coordinators are chasing.
"""

from __future__ import annotations

import logging
import math

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.access import Who, coordinator_only
from bot.context import BotContext
from bot.desk import LATE, MISSING, ON_TIME, Desk, Words, delivered, load_desk, standings
from bot.desk_reminders import Reminder, send_reminders
from bot.keyboards import inline
from bot.schedule import Deadline

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
    groups = standings(desk.units, await delivered(context.storage, desk, deadline))
    entries = [(group, standing) for group in (ON_TIME, LATE, MISSING)
               for standing in groups[group]]
    page, pages = _paged(len(entries), page)
    lines = [words.html("desk.status_title", target=words.target(deadline)),
             _due_line(words, deadline, now),
             words.html("desk.status_counts", total=len(desk.units),
                        on_time=len(groups[ON_TIME]), late=len(groups[LATE]),
                        missing=len(groups[MISSING]))]
    shown_group = None
    for group, standing in entries[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]:
        if group != shown_group:
            lines.append("")
            lines.append(words.html("desk.status_group", group=words.plain(f"desk.{group}"),
                                    count=len(groups[group])))
            shown_group = group
        number = groups[group].index(standing) + 1
        if group == LATE:
            lines.append(words.html("desk.status_late_line", number=number,
                                    unit=standing.unit.name,
                                    duration=words.duration(standing.late_seconds or 0)))
        else:
            lines.append(words.html("desk.status_line", number=number, unit=standing.unit.name))
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
    missing = standings(desk.units, await delivered(context.storage, desk, deadline))[MISSING]
    liaisons = await context.storage.liaisons.active_by_unit([s.unit.id for s in missing])
    page, pages = _paged(len(missing), page)
    lines = [words.html("desk.missing_title", target=words.target(deadline)),
             _due_line(words, deadline, now)]
    if not missing:
        lines.append(words.html("desk.missing_none"))
    else:
        lines.append(words.html("desk.missing_count", count=len(missing),
                                total=len(desk.units)))
    for number, standing in enumerate(missing[page * PAGE_SIZE:(page + 1) * PAGE_SIZE],
                                      start=page * PAGE_SIZE + 1):
        liaison = liaisons.get(standing.unit.id)
        if liaison is None:
            lines.append(words.html("desk.missing_no_liaison", number=number,
                                    unit=standing.unit.name))
        else:
            lines.append(words.html("desk.missing_line", number=number, unit=standing.unit.name,
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
                              await delivered(context.storage, desk, deadline))[MISSING]
    liaisons = await context.storage.liaisons.active_by_unit([s.unit.id for s in missing_units])
    reminders = [Reminder(liaisons[s.unit.id].person_id, s.unit.name)
                 for s in missing_units if s.unit.id in liaisons]
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
    unreached = await send_reminders(context, deadline, desk.timezone, reminders)
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


def register(app) -> None:
    app.add_handler(CommandHandler("status", status))
    app.add_handler(CommandHandler("missing", missing))
    app.add_handler(CallbackQueryHandler(on_view, pattern=r"^desk:(status|missing):"))
    app.add_handler(CallbackQueryHandler(on_remind, pattern=r"^desk:remind:"))
