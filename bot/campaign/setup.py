"""/campaign: set up the year's campaign.

A persistent conversation for coordinators of all units: name, theme, then the default
calendar (holiday shifts shown) to accept or change due times one by one. The answers wait
in ``user_data["campaign"]`` (:class:`bot.ptb.user_state.CampaignDraft`); accepting stores
the campaign and rebuilds the schedule's jobs at once.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from enum import IntEnum

from telegram import Update
from telegram.ext import ConversationHandler

from bot.campaign.calendar_text import (
    as_rule,
    ask_due_key,
    calendar_lines,
    draft_rules,
    parse_change,
)
from bot.campaign.conversation import (
    calendar_conversation,
    close_buttons,
    full_scope_only,
    schedule_changed,
    send,
    state,
)
from bot.kernel import validation
from bot.kernel.schedule import ANYTIME, default_rules
from bot.ptb.access import Who
from bot.ptb.buttons import (
    CampaignAccept,
    CampaignBack,
    CampaignChange,
    CampaignDefaultName,
    CampaignPick,
    CampaignSkipTheme,
)
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import pressed
from bot.ptb.user_state import CampaignDraft


class CampaignState(IntEnum):
    NAME = 0
    THEME = 1
    CALENDAR = 2
    PICK = 3
    DUE = 4


def _draft(context: BotContext) -> CampaignDraft:
    return context.user_state.setdefault("campaign", {"changes": {}})


def leave(context: BotContext) -> CampaignDraft | None:
    """End /campaign's draft (returned, when there was one)."""
    return context.user_state.pop("campaign", None)


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
    context.user_state["campaign"] = {"year": year, "changes": {}}
    default = context.t("campaign.default_name", year=year)
    await update.effective_message.reply_text(
        context.t("campaign.ask_name", year=year),
        reply_markup=inline([[CampaignDefaultName().button(default)]]))
    return CampaignState.NAME


async def _ask_theme(update: Update, context: BotContext) -> int:
    await send(update, context, context.t("campaign.ask_theme"),
               inline([[CampaignSkipTheme().button(context.t("campaign.skip"))]]))
    return CampaignState.THEME


async def _answer(update: Update, context: BotContext, shortest: int, longest: int,
                  problem: str) -> str | None:
    """The typed answer, tidied; None (the problem said) when its length is off."""
    text = validation.tidy(update.effective_message.text or "")
    if shortest <= len(text) <= longest:
        return text
    await update.effective_message.reply_text(context.t(problem))
    return None


@full_scope_only
async def on_name(update: Update, context: BotContext, who: Who) -> int:
    if validation.has_format_characters(update.effective_message.text or ""):
        await update.effective_message.reply_text(context.t("validation.invisible"))
        return CampaignState.NAME
    name = await _answer(update, context, 2, 60, "campaign.name_bad")
    if name is None:
        return CampaignState.NAME
    name = validation.tidy(validation.normalise(name))
    _draft(context)["name"] = name
    return await _ask_theme(update, context)


@full_scope_only
async def on_default_name(update: Update, context: BotContext, who: Who) -> int:
    await close_buttons(update)
    draft = _draft(context)
    draft["name"] = context.t("campaign.default_name", year=draft["year"])
    await send(update, context, draft["name"])
    return await _ask_theme(update, context)


@full_scope_only
async def on_theme(update: Update, context: BotContext, who: Who) -> int:
    theme = await _answer(update, context, 0, 100, "campaign.theme_bad")
    if theme is None:
        return CampaignState.THEME
    _draft(context)["theme"] = theme
    return await show_calendar(update, context)


@full_scope_only
async def on_skip_theme(update: Update, context: BotContext, who: Who) -> int:
    await close_buttons(update)
    _draft(context)["theme"] = ""
    return await show_calendar(update, context)


async def show_calendar(update: Update, context: BotContext) -> int:
    """The draft's calendar, with the buttons to accept it or change a due time."""
    draft = _draft(context)
    words = context.words      # the campaign is created in the bot's time zone
    rules = [as_rule(number, spec) for number, spec in
             enumerate(draft_rules(draft["year"], draft["changes"]), start=1)]
    lines = [context.t("campaign.calendar_title", name=draft["name"],
                       theme=draft.get("theme") or "-", tz=words.timezone.key)]
    lines += calendar_lines(words, rules)
    lines.append(context.t("campaign.calendar_hint"))
    await send(update, context, "\n".join(lines), inline([[
        CampaignAccept().button(context.t("campaign.accept")),
        CampaignChange().button(context.t("campaign.change"))]]))
    return CampaignState.CALENDAR


def _changeable(year: int) -> list[dict]:
    """The rules of the default calendar that have a due time to change."""
    return [spec for spec in default_rules(year) if spec["kind"] != ANYTIME]


@full_scope_only
async def on_change(update: Update, context: BotContext, who: Who) -> int:
    await close_buttons(update)
    words = context.words
    buttons = [[CampaignPick(spec["key"]).button(words.deliverable(spec["key"]))]
               for spec in _changeable(_draft(context)["year"])]
    buttons.append([CampaignBack().button(context.t("campaign.back"))])
    await send(update, context, context.t("campaign.pick"), inline(buttons))
    return CampaignState.PICK


@full_scope_only
@pressed(CampaignPick)
async def on_pick(update: Update, context: BotContext, who: Who, press: CampaignPick) -> int:
    await close_buttons(update)
    spec = next((spec for spec in _changeable(_draft(context)["year"])
                 if spec["key"] == press.key), None)
    if spec is None:
        return await show_calendar(update, context)
    _draft(context)["editing"] = press.key
    await send(update, context, context.t(ask_due_key(spec["kind"]),
                                          deliverable=context.words.deliverable(press.key)))
    return CampaignState.DUE


@full_scope_only
async def on_back(update: Update, context: BotContext, who: Who) -> int:
    await close_buttons(update)
    return await show_calendar(update, context)


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
    await close_buttons(update)
    draft = leave(context)
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
        await send(update, context, context.t("campaign.exists", year=year,
                                              name=current.name if current else "?"))
        return ConversationHandler.END
    await schedule_changed(context)
    await send(update, context, context.t("campaign.created", name=campaign.name))
    return ConversationHandler.END


def campaign_conversation() -> ConversationHandler:
    return calendar_conversation("campaign", campaign_start, {
        CampaignState.NAME: state((on_default_name, CampaignDefaultName), text=on_name),
        CampaignState.THEME: state((on_skip_theme, CampaignSkipTheme), text=on_theme),
        CampaignState.CALENDAR: state((on_accept, CampaignAccept), (on_change, CampaignChange)),
        CampaignState.PICK: state((on_pick, CampaignPick), (on_back, CampaignBack)),
        CampaignState.DUE: state(text=on_due),
    }, leave)


def register(app) -> None:
    app.add_handler(campaign_conversation())
