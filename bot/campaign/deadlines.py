"""/deadline: change the current campaign's calendar.

A persistent conversation for coordinators of all units: pick a deliverable with a button,
then change its due time (every period) or a single period's date. What is being changed
waits in ``user_data["deadline"]`` (:class:`bot.ptb.user_state.DeadlineDraft`); every change
is stored and the schedule's jobs are rebuilt at once.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import date, time
from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot.campaign import moves
from bot.campaign.calendar_text import ask_due_key, calendar_lines, parse_change
from bot.campaign.conversation import (
    calendar_conversation,
    close_buttons,
    full_scope_only,
    schedule_changed,
    send,
    state,
)
from bot.kernel.dates import parse_local_datetime
from bot.kernel.schedule import ANYTIME, ONCE, Deadline, Rule, deadlines
from bot.kernel.words import Words
from bot.ptb.access import Who
from bot.ptb.buttons import (
    ButtonData,
    DeadlineBack,
    DeadlineChange,
    DeadlineOne,
    DeadlinePeriod,
    DeadlinePick,
    DeadlineRestore,
)
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import stale_button
from bot.storage.campaigns import Calendar
from bot.texts import Raw


class DeadlineState(IntEnum):
    PICK = 10
    RULE = 11
    PERIOD = 12
    DUE = 13
    ONE = 14


def leave(context: BotContext) -> None:
    """End /deadline's draft."""
    context.user_state.pop("deadline", None)


def _words(context: BotContext, calendar: Calendar) -> Words:
    """The vocabulary in the user's language and the campaign's time zone."""
    return Words(context.texts, context.lang, calendar.campaign.timezone)


def _rule(calendar: Calendar | None, rule_id: int | None) -> Rule | None:
    """A rule of the current calendar that has a due time to change."""
    if calendar is None:
        return None
    return next((rule for rule in calendar.rules
                 if rule.id == rule_id and rule.kind != ANYTIME), None)


def _deadline(calendar: Calendar | None, rule: Rule | None, period: str | None
              ) -> Deadline | None:
    """One period of that rule (there is a rule only when there is a calendar)."""
    if calendar is None or rule is None:
        return None
    return next((deadline for deadline in deadlines(rule, calendar.campaign.timezone)
                 if deadline.period == period), None)


async def _pick_list(update: Update, context: BotContext, calendar: Calendar) -> int:
    words = _words(context, calendar)
    buttons = [[DeadlinePick(rule.id).button(words.deliverable(rule.key))]
               for rule in calendar.rules if rule.kind != ANYTIME]
    lines = [context.t("campaign.deadline_pick")]
    lines += calendar_lines(words, list(calendar.rules))
    await send(update, context, "\n".join(lines), inline(buttons))
    return DeadlineState.PICK


@full_scope_only
async def deadline_start(update: Update, context: BotContext, who: Who) -> int:
    calendar = await context.storage.campaigns.calendar()
    if calendar is None:
        await update.effective_message.reply_text(context.t("campaign.no_campaign"))
        return ConversationHandler.END
    context.user_state["deadline"] = {}
    return await _pick_list(update, context, calendar)


def _rule_view(context: BotContext, calendar: Calendar, rule: Rule) -> str:
    words = _words(context, calendar)
    lines = [context.t("campaign.deadline_rule", deliverable=words.deliverable(rule.key))]
    lines += [context.t("campaign.deadline_line", due=words.due(deadline))
              for deadline in deadlines(rule, calendar.campaign.timezone)]
    return "\n".join(lines)


RulePressed = Callable[[Update, BotContext, Who, Any, Calendar, Rule], Awaitable[int]]


def rule_press(declaration: type[ButtonData], state: DeadlineState
               ) -> Callable[[RulePressed], Callable[[Update, BotContext], Awaitable[object]]]:
    """For a press on one of a rule's buttons (data with a ``deliverable_id``): malformed data
    is answered stale and the conversation stays in ``state``; a rule no longer in the
    calendar (or no calendar) ends it; otherwise the keyboard is closed and the handler gets
    the press, the calendar and the rule."""

    def wrap(handler: RulePressed) -> Callable[[Update, BotContext], Awaitable[object]]:
        @full_scope_only
        @functools.wraps(handler)
        async def pressed_rule(update: Update, context: BotContext, who: Who) -> int:
            pressed = declaration.parse(update.callback_query.data)
            if pressed is None:
                await stale_button(update, context)
                return state
            await close_buttons(update)
            calendar = await context.storage.campaigns.calendar()
            rule = _rule(calendar, pressed.deliverable_id)
            if rule is None:
                leave(context)
                return ConversationHandler.END
            return await handler(update, context, who, pressed, calendar, rule)

        return pressed_rule

    return wrap


@rule_press(DeadlinePick, DeadlineState.PICK)
async def on_deadline_pick(update: Update, context: BotContext, who: Who,
                           pressed: DeadlinePick, calendar: Calendar, rule: Rule) -> int:
    if rule.kind == ONCE:
        buttons = [[DeadlineChange(rule.id).button(context.t("campaign.change_once"))]]
    else:
        buttons = [[DeadlineChange(rule.id).button(context.t("campaign.change_all"))],
                   [DeadlineOne(rule.id).button(context.t("campaign.change_one"))]]
    buttons.append([DeadlineBack().button(context.t("campaign.back"))])
    await send(update, context, _rule_view(context, calendar, rule), inline(buttons))
    return DeadlineState.RULE


@full_scope_only
async def on_deadline_back(update: Update, context: BotContext, who: Who) -> int:
    await close_buttons(update)
    calendar = await context.storage.campaigns.calendar()
    if calendar is None:
        leave(context)
        return ConversationHandler.END
    return await _pick_list(update, context, calendar)


@rule_press(DeadlineChange, DeadlineState.RULE)
async def on_deadline_change(update: Update, context: BotContext, who: Who,
                             pressed: DeadlineChange, calendar: Calendar, rule: Rule) -> int:
    context.user_state["deadline"] = {"rule": rule.id}
    await send(update, context, context.t(
        ask_due_key(rule.kind), deliverable=_words(context, calendar).deliverable(rule.key)))
    return DeadlineState.DUE


@rule_press(DeadlineOne, DeadlineState.RULE)
async def on_deadline_one(update: Update, context: BotContext, who: Who,
                          pressed: DeadlineOne, calendar: Calendar, rule: Rule) -> int:
    if rule.kind == ONCE:
        leave(context)
        return ConversationHandler.END
    words = _words(context, calendar)
    buttons = [[DeadlinePeriod(rule.id, deadline.period).button(words.due_moment(deadline.due))]
               for deadline in deadlines(rule, calendar.campaign.timezone)]
    buttons.append([DeadlineBack().button(context.t("campaign.back"))])
    await send(update, context, context.t("campaign.pick_period"), inline(buttons))
    return DeadlineState.PERIOD


@rule_press(DeadlinePeriod, DeadlineState.PERIOD)
async def on_deadline_period(update: Update, context: BotContext, who: Who,
                             pressed: DeadlinePeriod, calendar: Calendar, rule: Rule) -> int:
    deadline = _deadline(calendar, rule, pressed.period)
    if deadline is None:
        leave(context)
        return ConversationHandler.END
    context.user_state["deadline"] = {"rule": rule.id, "period": pressed.period}
    words = _words(context, calendar)
    markup = None
    if deadline.moved == "override":      # a single period's change can be removed again
        original = next(d for d in deadlines(moves.without_override(rule, deadline.nominal),
                                             calendar.campaign.timezone)
                        if d.period == deadline.period)
        markup = inline([[DeadlineRestore(rule.id, deadline.period).button(
            context.t("moves.restore_button", due=words.due(original)))]])
    await send(update, context, context.t("campaign.ask_one", nominal=words.date(
        deadline.nominal)), markup)
    return DeadlineState.ONE


@rule_press(DeadlineRestore, DeadlineState.ONE)
async def on_deadline_restore(update: Update, context: BotContext, who: Who,
                              pressed: DeadlineRestore, calendar: Calendar, rule: Rule) -> int:
    deadline = _deadline(calendar, rule, pressed.period)
    if deadline is None or deadline.moved != "override":     # removed meanwhile
        leave(context)
        return ConversationHandler.END
    await context.storage.campaigns.remove_override(rule.id, deadline.nominal)
    return await _changed(update, context, rule.id, calendar)


async def _changed(update: Update, context: BotContext, rule_id: int,
                   before: Calendar) -> int:
    """The change is stored: the schedule follows, the liaisons concerned are told (once,
    through the outbox), and the coordinator sees the rule as it is now."""
    await schedule_changed(context)
    calendar = await context.storage.campaigns.calendar()
    await moves.announce(context.bot_data, before, calendar, rule_id, context.clock())
    rule = _rule(calendar, rule_id)
    leave(context)
    if rule is not None:
        await update.effective_message.reply_text(
            context.t("campaign.changed", lines=Raw(_rule_view(context, calendar, rule))))
    return ConversationHandler.END


@full_scope_only
async def on_deadline_due(update: Update, context: BotContext, who: Who) -> int:
    calendar = await context.storage.campaigns.calendar()
    rule = _rule(calendar, context.user_state.get("deadline", {}).get("rule"))
    if rule is None:
        leave(context)
        return ConversationHandler.END
    change, problem = parse_change(rule.kind, update.effective_message.text or "",
                                   calendar.campaign.year)
    if problem:
        await update.effective_message.reply_text(
            context.t(problem, year=calendar.campaign.year))
        return DeadlineState.DUE
    await context.storage.campaigns.set_due(
        rule.id, due_date=date.fromisoformat(change["due_date"]) if "due_date" in change
        else None, due_time=time.fromisoformat(change["due_time"]),
        weekday=change.get("weekday"))
    return await _changed(update, context, rule.id, calendar)


@full_scope_only
async def on_deadline_one_due(update: Update, context: BotContext, who: Who) -> int:
    calendar = await context.storage.campaigns.calendar()
    draft = context.user_state.get("deadline", {})
    rule = _rule(calendar, draft.get("rule"))
    deadline = _deadline(calendar, rule, draft.get("period"))
    if deadline is None:
        leave(context)
        return ConversationHandler.END
    moment = parse_local_datetime(update.effective_message.text or "", calendar.campaign.year)
    if moment is None:
        await update.effective_message.reply_text(context.t("campaign.bad_datetime"))
        return DeadlineState.ONE
    if moment.year != calendar.campaign.year:
        await update.effective_message.reply_text(
            context.t("campaign.out_of_year", year=calendar.campaign.year))
        return DeadlineState.ONE
    await context.storage.campaigns.override_date(rule.id, deadline.nominal, moment,
                                                  set_by=who.person_id)
    return await _changed(update, context, rule.id, calendar)


def deadline_conversation() -> ConversationHandler:
    return calendar_conversation("deadline", deadline_start, {
        DeadlineState.PICK: state((on_deadline_pick, DeadlinePick)),
        DeadlineState.RULE: state((on_deadline_change, DeadlineChange),
                                  (on_deadline_one, DeadlineOne),
                                  (on_deadline_back, DeadlineBack)),
        DeadlineState.PERIOD: state((on_deadline_period, DeadlinePeriod),
                                    (on_deadline_back, DeadlineBack)),
        DeadlineState.DUE: state(text=on_deadline_due),
        DeadlineState.ONE: state((on_deadline_restore, DeadlineRestore),
                                 text=on_deadline_one_due),
    }, leave)


def register(app) -> None:
    app.add_handler(deadline_conversation())
