"""The campaign calendar: /campaign (set up the year's campaign) and /deadline (change it).

Both are persistent conversations for coordinators of all units. /campaign: name, theme,
then the default calendar (holiday shifts shown) to accept or change due times one by one.
/deadline: pick a deliverable with a button, then change its due time or a single period's
date. Every change is stored and the schedule's jobs are rebuilt at once.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import warnings
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from enum import IntEnum
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.kernel import validation
from bot.kernel.schedule import ANYTIME, MONTHLY, ONCE, WEEKLY, Rule, deadlines, default_rules
from bot.outbox import jobs
from bot.outbox import notices as wording
from bot.ptb.access import Who, coordinator_only
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.storage.campaigns import Calendar
from bot.texts import Raw, Texts


class CampaignState(IntEnum):
    NAME = 0
    THEME = 1
    CALENDAR = 2
    PICK = 3
    DUE = 4


class DeadlineState(IntEnum):
    PICK = 10
    RULE = 11
    PERIOD = 12
    DUE = 13
    ONE = 14


# --- typed dates and times ---------------------------------------------------------------

LOCAL_DATETIME = re.compile(
    r"^\s*(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?\s*,?\s*"
    r"(\d{1,2})\s*[:：点]\s*(\d{2})\s*分?\s*$")
WEEKDAY_TIME = re.compile(
    r"^\s*(?:(?:周|星期|礼拜)([一二三四五六日天])|(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)?"
    r"\s*(\d{1,2})\s*[:：点]\s*(\d{2})\s*分?\s*$", re.IGNORECASE)
CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def parse_local_datetime(text: str, year: int) -> datetime | None:
    """'06-02 18:00', '6月2日 18:00', '2026-06-02 18:00' -> a naive local date-time."""
    match = LOCAL_DATETIME.match(text)
    if not match:
        return None
    given_year, month, day, hour, minute = match.groups()
    try:
        return datetime(int(given_year or year), int(month), int(day), int(hour), int(minute))
    except ValueError:
        return None


def parse_weekday_time(text: str) -> tuple[int | None, time] | None:
    """'10:00', '周五 15:00', 'Fri 15:00' -> (weekday or None, time)."""
    match = WEEKDAY_TIME.match(text)
    if not match:
        return None
    chinese, english, hour, minute = match.groups()
    weekday = CN_WEEKDAYS[chinese] if chinese else \
        EN_WEEKDAYS[english[:3].lower()] if english else None
    try:
        return weekday, time(int(hour), int(minute))
    except ValueError:
        return None


# --- the calendar as rules and as text -----------------------------------------------------

def draft_rules(year: int, changes: dict[str, dict[str, object]]) -> list[dict]:
    """The default calendar with the changes typed so far (stored as strings in the draft)."""
    rules = default_rules(year)
    for rule in rules:
        change = changes.get(rule["key"], {})
        if "due_date" in change:
            rule["due_date"] = date.fromisoformat(str(change["due_date"]))
        if "due_time" in change:
            rule["due_time"] = time.fromisoformat(str(change["due_time"]))
        if change.get("weekday") is not None:
            rule["weekday"] = int(change["weekday"])
    return rules


def as_rule(number: int, spec: dict) -> Rule:
    return Rule(id=number, key=spec["key"], kind=spec["kind"],
                due_time=spec.get("due_time") or time(18, 0), due_date=spec.get("due_date"),
                weekday=spec.get("weekday"), month_day=spec.get("month_day"),
                first_date=spec.get("first_date"), last_date=spec.get("last_date"),
                prompt_time=spec.get("prompt_time"),
                reminder_minutes=tuple(spec.get("reminder_minutes", ())))


def _month_day(texts: Texts, language: str, day: date) -> str:
    return texts.get(language, "campaign.month_day", month=day.month, day=day.day)


def rule_lines(texts: Texts, language: str, rule: Rule, tz: ZoneInfo) -> list[str]:
    """One deliverable of the calendar, with each holiday shift and single-date change."""
    name = wording.deliverable_name(texts, language, rule.key)
    found = deadlines(rule, tz)
    if rule.kind == ONCE:
        return [texts.get(language, "campaign.calendar_once", deliverable=name,
                          due=wording.due_text(texts, language, found[0]))] if found else []
    if rule.kind == WEEKLY:
        lines = [texts.get(
            language, "campaign.calendar_weekly", deliverable=name,
            first=_month_day(texts, language, rule.first_date),
            last=_month_day(texts, language, rule.last_date),
            weekday=texts.get(language, f"schedule.weekday_{rule.weekday}"),
            time=rule.due_time.strftime("%H:%M"),
            prompt=(rule.prompt_time or time(8, 0)).strftime("%H:%M"))]
    elif rule.kind == MONTHLY:
        lines = [texts.get(language, "campaign.calendar_monthly", deliverable=name,
                           first=_month_day(texts, language, rule.first_date),
                           last=_month_day(texts, language, rule.last_date),
                           time=rule.due_time.strftime("%H:%M"))]
    else:
        return []
    for deadline in found:
        if deadline.moved:
            key = "campaign.calendar_shift" if deadline.moved == "holiday" \
                else "campaign.calendar_override"
            lines.append(texts.get(language, key,
                                   nominal=_month_day(texts, language, deadline.nominal),
                                   due=wording.format_due(texts, language, deadline.due)))
    return lines


def calendar_lines(texts: Texts, language: str, rules: list[Rule], tz: ZoneInfo) -> list[str]:
    lines: list[str] = []
    for rule in rules:
        lines += rule_lines(texts, language, rule, tz)
    return lines


# --- guards --------------------------------------------------------------------------------

Guarded = Callable[[Update, BotContext, Who], Awaitable[object]]


def full_scope_only(handler: Guarded) -> Callable[[Update, BotContext], Awaitable[object]]:
    """Coordinators of every unit only: the calendar is the same for all units."""

    @coordinator_only
    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext, who: Who) -> object:
        if who.scope_unit_id is not None:
            text = context.t("campaign.full_scope_only")
            if update.callback_query:
                await update.callback_query.answer(text, show_alert=True)
            else:
                await update.effective_message.reply_text(text)
            return ConversationHandler.END
        return await handler(update, context, who)

    return guarded


async def _schedule_changed(context: BotContext) -> None:
    """The calendar changed: jobs follow the database at once."""
    await jobs.rebuild(context.application)
    await jobs.tick(context.application)


async def _send(update: Update, context: BotContext, text: str, markup=None) -> None:
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def _close_buttons(update: Update) -> None:
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)


# --- /campaign -----------------------------------------------------------------------------

def _draft(context: BotContext) -> dict:
    return context.user_data.setdefault("campaign", {"changes": {}})


@full_scope_only
async def campaign_start(update: Update, context: BotContext, who: Who) -> int:
    tz = context.settings.timezone
    year = context.clock().astimezone(tz).year
    if context.args:
        if not (context.args[0].isdigit() and 2000 <= int(context.args[0]) <= 2100):
            await update.effective_message.reply_text(context.t("campaign.bad_year"))
            return ConversationHandler.END
        year = int(context.args[0])
    current = await context.storage.campaigns.current()
    if current is not None and current.year >= year:
        await update.effective_message.reply_text(
            context.t("campaign.exists", year=current.year, name=current.name))
        return ConversationHandler.END
    context.user_data["campaign"] = {"year": year, "changes": {}}
    default = context.t("campaign.default_name", year=year)
    await update.effective_message.reply_text(
        context.t("campaign.ask_name", year=year),
        reply_markup=inline([[(default, "campaign:name:default")]]))
    return CampaignState.NAME


async def _ask_theme(update: Update, context: BotContext) -> int:
    await _send(update, context, context.t("campaign.ask_theme"),
                inline([[(context.t("campaign.skip"), "campaign:theme:skip")]]))
    return CampaignState.THEME


@full_scope_only
async def on_name(update: Update, context: BotContext, who: Who) -> int:
    name = validation.tidy(update.effective_message.text or "")
    if not 2 <= len(name) <= 60:
        await update.effective_message.reply_text(context.t("campaign.name_bad"))
        return CampaignState.NAME
    _draft(context)["name"] = name
    return await _ask_theme(update, context)


@full_scope_only
async def on_default_name(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    draft = _draft(context)
    draft["name"] = context.t("campaign.default_name", year=draft["year"])
    await _send(update, context, draft["name"])
    return await _ask_theme(update, context)


@full_scope_only
async def on_theme(update: Update, context: BotContext, who: Who) -> int:
    theme = validation.tidy(update.effective_message.text or "")
    if len(theme) > 100:
        await update.effective_message.reply_text(context.t("campaign.theme_bad"))
        return CampaignState.THEME
    _draft(context)["theme"] = theme
    return await show_calendar(update, context)


@full_scope_only
async def on_skip_theme(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    _draft(context)["theme"] = ""
    return await show_calendar(update, context)


async def show_calendar(update: Update, context: BotContext) -> int:
    draft = _draft(context)
    tz = context.settings.timezone
    rules = [as_rule(number, spec) for number, spec in
             enumerate(draft_rules(draft["year"], draft["changes"]), start=1)]
    lines = [context.t("campaign.calendar_title", name=draft["name"],
                       theme=draft.get("theme") or "-", tz=tz.key)]
    lines += calendar_lines(context.texts, context.lang, rules, tz)
    lines.append(context.t("campaign.calendar_hint"))
    await _send(update, context, "\n".join(lines), inline([[
        (context.t("campaign.accept"), "campaign:accept"),
        (context.t("campaign.change"), "campaign:change")]]))
    return CampaignState.CALENDAR


@full_scope_only
async def on_change(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    buttons = [[(wording.deliverable_name(context.texts, context.lang, spec["key"]),
                 f"campaign:pick:{spec['key']}")]
               for spec in default_rules(_draft(context)["year"]) if spec["kind"] != ANYTIME]
    buttons.append([(context.t("campaign.back"), "campaign:back")])
    await _send(update, context, context.t("campaign.pick"), inline(buttons))
    return CampaignState.PICK


def _ask_key(kind: str) -> str:
    return {ONCE: "campaign.ask_once", WEEKLY: "campaign.ask_weekly"}.get(
        kind, "campaign.ask_monthly")


@full_scope_only
async def on_pick(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    key = update.callback_query.data.removeprefix("campaign:pick:")
    spec = next((spec for spec in default_rules(_draft(context)["year"])
                 if spec["key"] == key and spec["kind"] != ANYTIME), None)
    if spec is None:
        return await show_calendar(update, context)
    _draft(context)["editing"] = key
    await _send(update, context, context.t(_ask_key(spec["kind"]), deliverable=wording.
                                           deliverable_name(context.texts, context.lang, key)))
    return CampaignState.DUE


@full_scope_only
async def on_back(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    return await show_calendar(update, context)


def parse_change(kind: str, text: str, year: int) -> tuple[dict | None, str | None]:
    """A typed due time for a rule of this kind -> (changes, or the error text key)."""
    if kind == ONCE:
        moment = parse_local_datetime(text, year)
        if moment is None:
            return None, "campaign.bad_datetime"
        if moment.year != year:
            return None, "campaign.out_of_year"
        return {"due_date": moment.date().isoformat(),
                "due_time": moment.strftime("%H:%M")}, None
    parsed = parse_weekday_time(text)
    if parsed is None or (kind == MONTHLY and parsed[0] is not None):
        return None, "campaign.bad_time"
    weekday, moment = parsed
    change: dict[str, object] = {"due_time": moment.strftime("%H:%M")}
    if weekday is not None:
        change["weekday"] = weekday
    return change, None


@full_scope_only
async def on_due(update: Update, context: BotContext, who: Who) -> int:
    draft = _draft(context)
    key = draft.get("editing")
    spec = next((spec for spec in default_rules(draft["year"]) if spec["key"] == key), None)
    if spec is None:
        return await show_calendar(update, context)
    change, problem = parse_change(spec["kind"], update.effective_message.text or "",
                                   draft["year"])
    if problem:
        await update.effective_message.reply_text(context.t(problem, year=draft["year"]))
        return CampaignState.DUE
    draft["changes"].setdefault(key, {}).update(change)
    draft.pop("editing", None)
    return await show_calendar(update, context)


@full_scope_only
async def on_accept(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    draft = context.user_data.pop("campaign", None)
    if not draft or "name" not in draft:
        return ConversationHandler.END
    year = draft["year"]
    rules = draft_rules(year, draft["changes"])
    ends_on = max(spec.get("last_date") or spec.get("due_date") or date(year, 6, 30)
                  for spec in rules)
    try:
        campaign = await context.storage.campaigns.create(
            year, draft["name"], draft.get("theme", ""), date(year, 6, 1), ends_on,
            context.settings.timezone.key, rules, created_by=who.person_id)
    except sqlite3.IntegrityError:
        current = await context.storage.campaigns.current()
        await _send(update, context, context.t("campaign.exists", year=year,
                                               name=current.name if current else "?"))
        return ConversationHandler.END
    await _schedule_changed(context)
    await _send(update, context, context.t("campaign.created", name=campaign.name))
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    context.user_data.pop("campaign", None)
    context.user_data.pop("deadline", None)
    await update.effective_message.reply_text(context.t("campaign.cancelled"))
    return ConversationHandler.END


async def busy(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("campaign.busy"))


async def text_please(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("campaign.text_please"))


async def stale_button(update: Update, context: BotContext) -> None:
    await update.callback_query.answer(context.t("general.stale_button"))


# --- /deadline -----------------------------------------------------------------------------

async def _calendar(context: BotContext) -> Calendar | None:
    return await context.storage.campaigns.calendar()


def _rule(calendar: Calendar, raw_id: str) -> Rule | None:
    return next((rule for rule in calendar.rules
                 if str(rule.id) == raw_id and rule.kind != ANYTIME), None)


async def _pick_list(update: Update, context: BotContext, calendar: Calendar) -> int:
    buttons = [[(wording.deliverable_name(context.texts, context.lang, rule.key),
                 f"deadline:pick:{rule.id}")] for rule in calendar.rules if rule.kind != ANYTIME]
    lines = [context.t("campaign.deadline_pick")]
    lines += calendar_lines(context.texts, context.lang, list(calendar.rules),
                            calendar.campaign.timezone)
    await _send(update, context, "\n".join(lines), inline(buttons))
    return DeadlineState.PICK


@full_scope_only
async def deadline_start(update: Update, context: BotContext, who: Who) -> int:
    calendar = await _calendar(context)
    if calendar is None:
        await update.effective_message.reply_text(context.t("campaign.no_campaign"))
        return ConversationHandler.END
    context.user_data["deadline"] = {}
    return await _pick_list(update, context, calendar)


def _rule_view(context: BotContext, calendar: Calendar, rule: Rule) -> str:
    lines = [context.t("campaign.deadline_rule",
                       deliverable=wording.deliverable_name(context.texts, context.lang,
                                                            rule.key))]
    lines += [context.t("campaign.deadline_line",
                        due=wording.due_text(context.texts, context.lang, deadline))
              for deadline in deadlines(rule, calendar.campaign.timezone)]
    return "\n".join(lines)


@full_scope_only
async def on_deadline_pick(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    calendar = await _calendar(context)
    rule = _rule(calendar, update.callback_query.data.removeprefix("deadline:pick:")) \
        if calendar else None
    if rule is None:
        return ConversationHandler.END
    if rule.kind == ONCE:
        buttons = [[(context.t("campaign.change_once"), f"deadline:change:{rule.id}")]]
    else:
        buttons = [[(context.t("campaign.change_all"), f"deadline:change:{rule.id}")],
                   [(context.t("campaign.change_one"), f"deadline:one:{rule.id}")]]
    buttons.append([(context.t("campaign.back"), "deadline:back")])
    await _send(update, context, _rule_view(context, calendar, rule), inline(buttons))
    return DeadlineState.RULE


@full_scope_only
async def on_deadline_back(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    calendar = await _calendar(context)
    if calendar is None:
        return ConversationHandler.END
    return await _pick_list(update, context, calendar)


@full_scope_only
async def on_deadline_change(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    calendar = await _calendar(context)
    rule = _rule(calendar, update.callback_query.data.removeprefix("deadline:change:")) \
        if calendar else None
    if rule is None:
        return ConversationHandler.END
    context.user_data["deadline"] = {"rule": rule.id}
    await _send(update, context, context.t(_ask_key(rule.kind), deliverable=wording.
                                           deliverable_name(context.texts, context.lang,
                                                            rule.key)))
    return DeadlineState.DUE


@full_scope_only
async def on_deadline_one(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    calendar = await _calendar(context)
    rule = _rule(calendar, update.callback_query.data.removeprefix("deadline:one:")) \
        if calendar else None
    if rule is None or rule.kind == ONCE:
        return ConversationHandler.END
    found = deadlines(rule, calendar.campaign.timezone)
    buttons = [[(wording.format_due(context.texts, context.lang, deadline.due),
                 f"deadline:period:{rule.id}:{deadline.period}")] for deadline in found]
    buttons.append([(context.t("campaign.back"), "deadline:back")])
    await _send(update, context, context.t("campaign.pick_period"), inline(buttons))
    return DeadlineState.PERIOD


@full_scope_only
async def on_deadline_period(update: Update, context: BotContext, who: Who) -> int:
    await _close_buttons(update)
    _, _, raw_id, period = [*update.callback_query.data.split(":"), "", ""][:4]
    calendar = await _calendar(context)
    rule = _rule(calendar, raw_id) if calendar else None
    deadline = next((deadline for deadline in deadlines(rule, calendar.campaign.timezone)
                     if deadline.period == period), None) if rule else None
    if deadline is None:
        return ConversationHandler.END
    context.user_data["deadline"] = {"rule": rule.id, "period": period}
    await _send(update, context, context.t(
        "campaign.ask_one", nominal=_month_day(context.texts, context.lang, deadline.nominal)))
    return DeadlineState.ONE


async def _changed(update: Update, context: BotContext, rule_id: int) -> int:
    await _schedule_changed(context)
    calendar = await _calendar(context)
    rule = _rule(calendar, str(rule_id)) if calendar else None
    context.user_data.pop("deadline", None)
    if rule is not None:
        await update.effective_message.reply_text(
            context.t("campaign.changed", lines=Raw(_rule_view(context, calendar, rule))))
    return ConversationHandler.END


@full_scope_only
async def on_deadline_due(update: Update, context: BotContext, who: Who) -> int:
    calendar = await _calendar(context)
    rule = _rule(calendar, str(context.user_data.get("deadline", {}).get("rule"))) \
        if calendar else None
    if rule is None:
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
    return await _changed(update, context, rule.id)


@full_scope_only
async def on_deadline_one_due(update: Update, context: BotContext, who: Who) -> int:
    calendar = await _calendar(context)
    state = context.user_data.get("deadline", {})
    rule = _rule(calendar, str(state.get("rule"))) if calendar else None
    deadline = next((deadline for deadline in deadlines(rule, calendar.campaign.timezone)
                     if deadline.period == state.get("period")), None) if rule else None
    if deadline is None:
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
    return await _changed(update, context, rule.id)


# --- registration --------------------------------------------------------------------------

def _typed(callback) -> list:
    return [MessageHandler(filters.TEXT & ~filters.COMMAND, callback),
            MessageHandler(~filters.COMMAND, text_please)]


def _fallbacks() -> list:
    return [CommandHandler("cancel", cancel),
            MessageHandler(filters.COMMAND, busy),
            CallbackQueryHandler(stale_button)]


def campaign_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CommandHandler("campaign", campaign_start)],
        states={
            CampaignState.NAME: [
                CallbackQueryHandler(on_default_name, pattern=r"^campaign:name:default$"),
                *_typed(on_name)],
            CampaignState.THEME: [
                CallbackQueryHandler(on_skip_theme, pattern=r"^campaign:theme:skip$"),
                *_typed(on_theme)],
            CampaignState.CALENDAR: [
                CallbackQueryHandler(on_accept, pattern=r"^campaign:accept$"),
                CallbackQueryHandler(on_change, pattern=r"^campaign:change$"),
                MessageHandler(~filters.COMMAND, text_please)],
            CampaignState.PICK: [
                CallbackQueryHandler(on_pick, pattern=r"^campaign:pick:\w+$"),
                CallbackQueryHandler(on_back, pattern=r"^campaign:back$"),
                MessageHandler(~filters.COMMAND, text_please)],
            CampaignState.DUE: _typed(on_due),
        },
        fallbacks=_fallbacks(),
        name="campaign",
        persistent=True,
    )


def deadline_conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[CommandHandler("deadline", deadline_start)],
        states={
            DeadlineState.PICK: [
                CallbackQueryHandler(on_deadline_pick, pattern=r"^deadline:pick:\d+$"),
                MessageHandler(~filters.COMMAND, text_please)],
            DeadlineState.RULE: [
                CallbackQueryHandler(on_deadline_change, pattern=r"^deadline:change:\d+$"),
                CallbackQueryHandler(on_deadline_one, pattern=r"^deadline:one:\d+$"),
                CallbackQueryHandler(on_deadline_back, pattern=r"^deadline:back$"),
                MessageHandler(~filters.COMMAND, text_please)],
            DeadlineState.PERIOD: [
                CallbackQueryHandler(on_deadline_period, pattern=r"^deadline:period:\d+:"),
                CallbackQueryHandler(on_deadline_back, pattern=r"^deadline:back$"),
                MessageHandler(~filters.COMMAND, text_please)],
            DeadlineState.DUE: _typed(on_deadline_due),
            DeadlineState.ONE: _typed(on_deadline_one_due),
        },
        fallbacks=_fallbacks(),
        name="deadline",
        persistent=True,
    )


def register(app) -> None:
    with warnings.catch_warnings():
        # per_message=False is intended: the buttons belong to the chat's conversation
        warnings.filterwarnings("ignore", message=".*per_message.*")
        app.add_handler(campaign_conversation())
        app.add_handler(deadline_conversation())
