"""/status and /missing: who delivered for one deadline, a page of units at a time, with
buttons to page, to step to the previous or next period and to switch deliverable.

Every view holds only the units in the caller's scope. A button is a :class:`DeskView`; its
period of None means the one the deliverable's coordinators are chasing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.desk.standings import LATE, Desk, Standings, desk_words, load_standings, open_desk
from bot.kernel.schedule import Deadline
from bot.kernel.words import RETURNED, Words
from bot.ptb.access import Who, coordinator_only
from bot.ptb.buttons import DeskHeatmap, DeskRemind, DeskView
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import pressed
from bot.texts import Raw

PAGE_SIZE = 20          # unit lines per message: what fits on a phone screen
DELIVERABLES_PER_ROW = 3


@dataclass(frozen=True)
class Shown:
    """What a view (or a "remind them now" press) is about: the caller's desk, one deadline,
    who delivered for it, the words to say it in and the moment it was asked."""
    desk: Desk
    deadline: Deadline
    standings: Standings
    words: Words
    now: datetime


async def open_deadline(context: BotContext, who: Who, deliverable_id: int | None = None,
                        period: str | None = None) -> Shown | str:
    """The deadline asked for (by default the one being chased) on the caller's desk, or the
    one line to answer instead (no campaign, no units)."""
    desk = await open_desk(context, who)
    if isinstance(desk, str):
        return desk
    now = context.clock()
    deadline = desk.target(now, deliverable_id, period)
    return Shown(desk, deadline, await load_standings(context.storage, desk, deadline),
                 desk_words(context, desk.timezone), now)


async def view(context: BotContext, who: Who, name: Literal["status", "missing"],
               deliverable_id: int | None = None, period: str | None = None, page: int = 0
               ) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of /status or /missing for the deadline asked for (by default the one being
    chased), or the one line to answer instead."""
    shown = await open_deadline(context, who, deliverable_id, period)
    if isinstance(shown, str):
        return shown, None
    if name == "status":
        return status_page(shown, page)
    return await missing_page(context, shown, page)


def _due_line(words: Words, deadline: Deadline, now: datetime) -> str:
    key = "desk.due_passed" if deadline.due <= now else "desk.due_coming"
    return words.html(key, due=words.due(deadline))


def _paged(lines_total: int, page: int) -> tuple[int, int]:
    pages = max(1, math.ceil(lines_total / PAGE_SIZE))
    return min(max(page, 0), pages - 1), pages


def _navigation(words: Words, desk: Desk, view: str, deadline: Deadline, page: int,
                pages: int) -> list[list[tuple[str, str]]]:
    """Paging, previous / next period, and one button per deliverable."""
    def to(target: Deadline, page: int) -> DeskView:
        return DeskView(view, target.deliverable_id, target.period, page)

    rows: list[list[tuple[str, str]]] = []
    paging = []
    if page > 0:
        paging.append(to(deadline, page - 1).button(words.html("general.previous")))
    if page + 1 < pages:
        paging.append(to(deadline, page + 1).button(words.html("general.next")))
    if paging:
        rows.append(paging)
    before, after = desk.neighbours(deadline)
    periods = []
    if before:
        periods.append(to(before, 0).button(words.html("desk.previous_period")))
    if after:
        periods.append(to(after, 0).button(words.html("desk.next_period")))
    if periods:
        rows.append(periods)
    choices = []
    for rule in desk.rules:
        label = words.deliverable(rule.key)
        if rule.id == deadline.deliverable_id:
            label = "• " + label
        choices.append(DeskView(view, rule.id, None, 0).button(label))
    rows += [choices[i:i + DELIVERABLES_PER_ROW]
             for i in range(0, len(choices), DELIVERABLES_PER_ROW)]
    return rows


# ------------------------------------------------------------------ /status


def status_page(shown: Shown, page: int = 0) -> tuple[str, InlineKeyboardMarkup]:
    """Every unit by group (on time, late by how long, missing), a page at a time."""
    desk, deadline, groups, words = shown.desk, shown.deadline, shown.standings, shown.words
    page, pages = _paged(len(desk.units), page)
    lines = [words.html("desk.status_title", target=words.target(deadline)),
             _due_line(words, deadline, shown.now),
             words.html("desk.status_counts", total=len(desk.units),
                        on_time=len(groups.on_time), late=len(groups.late),
                        missing=len(groups.missing))]
    shown_group = None
    for group, number, unit in groups.page(page * PAGE_SIZE, (page + 1) * PAGE_SIZE):
        if group != shown_group:
            lines.append("")
            lines.append(words.html("desk.status_group", group=words.group(group),
                                    count=len(groups.members(group))))
            shown_group = group
        if group == LATE:
            lines.append(words.html("desk.status_late_line", number=number, unit=unit.name,
                                    state=words.state(LATE, groups.delivered[unit.id])))
        elif unit.id in groups.returned:
            lines.append(words.html("desk.status_late_line", number=number, unit=unit.name,
                                    state=words.state(RETURNED)))
        else:
            lines.append(words.html("desk.status_line", number=number, unit=unit.name))
    if pages > 1:
        lines.append("")
        lines.append(words.html("desk.page", page=page + 1, pages=pages))
    rows = _navigation(words, desk, "status", deadline, page, pages)
    rows.append([DeskView("missing", deadline.deliverable_id, deadline.period, 0).button(
        words.html("desk.to_missing")), DeskHeatmap().button(words.html("desk.heatmap_button"))])
    return "\n".join(lines), inline(rows)


@coordinator_only
async def status(update: Update, context: BotContext, who: Who) -> None:
    text, markup = await view(context, who, "status")
    await update.effective_message.reply_text(text, reply_markup=markup)


# ------------------------------------------------------------------ /missing


async def missing_page(context: BotContext, shown: Shown, page: int = 0
                       ) -> tuple[str, InlineKeyboardMarkup]:
    """The units still missing with their liaison's name and mobile, a page at a time, and
    the "remind them now" button when any has a liaison."""
    desk, deadline, words = shown.desk, shown.deadline, shown.words
    missing = shown.standings.missing
    liaisons = await context.storage.liaisons.active_by_unit(unit.id for unit in missing)
    page, pages = _paged(len(missing), page)
    lines = [words.html("desk.missing_title", target=words.target(deadline)),
             _due_line(words, deadline, shown.now)]
    if not missing:
        lines.append(words.html("desk.missing_none"))
    else:
        lines.append(words.html("desk.missing_count", count=len(missing),
                                total=len(desk.units)))
    for number, unit in enumerate(missing[page * PAGE_SIZE:(page + 1) * PAGE_SIZE],
                                  start=page * PAGE_SIZE + 1):
        liaison = liaisons.get(unit.id)
        if liaison is None:
            line = words.html("desk.missing_no_liaison", number=number, unit=unit.name)
        else:
            line = words.html("desk.missing_line", number=number, unit=unit.name,
                              name=liaison.name, mobile=liaison.mobile)
        if unit.id in shown.standings.returned:
            line = words.html("review.desk_returned", line=Raw(line),
                              state=words.state(RETURNED))
        lines.append(line)
    if pages > 1:
        lines.append(words.html("desk.page", page=page + 1, pages=pages))
    rows = _navigation(words, desk, "missing", deadline, page, pages)
    if liaisons:
        rows.append([await _remind_button(context, words, deadline, len(liaisons),
                                          desk.scope_unit_id)])
    rows.append([DeskView("status", deadline.deliverable_id, deadline.period, 0).button(
        words.html("desk.to_status"))])
    return "\n".join(lines), inline(rows)


async def _remind_button(context: BotContext, words: Words, deadline: Deadline,
                         count: int, scope_unit_id: int | None) -> tuple[str, str]:
    """The "remind them now" button (bot.desk.remind), or when it may be pressed again."""
    remind = DeskRemind(deadline.deliverable_id, deadline.period)
    again = await context.storage.desk_reminders.again_at(deadline.deliverable_id,
                                                          deadline.period, scope_unit_id)
    if again is not None:
        return remind.button(words.html("desk.remind_again_button", time=words.moment(again)))
    return remind.button(words.html("desk.remind_button", count=count))


@coordinator_only
async def missing(update: Update, context: BotContext, who: Who) -> None:
    text, markup = await view(context, who, "missing")
    await update.effective_message.reply_text(text, reply_markup=markup)


# ------------------------------------------------------------------ buttons


@coordinator_only
@pressed(DeskView)
async def on_view(update: Update, context: BotContext, who: Who, press: DeskView) -> None:
    """A status / missing button: another page, period or deliverable."""
    query = update.callback_query
    await query.answer()        # before the standings are loaded
    text, markup = await view(context, who, press.view, press.deliverable_id,
                              press.period, press.page)
    await edit_view(query, text, markup)


async def edit_view(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Show a view in the message its button was on (a double tap's "message is not
    modified" is taken by bot.ptb.telegram_bot)."""
    await query.edit_message_text(text, reply_markup=markup)


def register(app) -> None:
    app.add_handler(CommandHandler("status", status))
    app.add_handler(CommandHandler("missing", missing))
    app.add_handler(CallbackQueryHandler(on_view, pattern=DeskView.pattern()))
