"""Event reports at any time: ``/event`` asks title, date, place, a description and photos.

The answers are stored as the submission's meta (JSON) and the description as its text item;
each report is its own submission (period ``event-<n>``).
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.intake import albums, routing, sending
from bot.intake.receive import active_liaison, deliver
from bot.intake.routing import Incoming, Target
from bot.kernel import validation
from bot.kernel.dates import parse_date
from bot.ptb.access import Who, liaison_only
from bot.ptb.buttons import EventDone
from bot.ptb.context import BotContext
from bot.ptb.conversation import chat_conversation
from bot.ptb.keyboards import inline
from bot.ptb.user_state import EventDraft


class State(IntEnum):
    TITLE = 0
    DATE = 1
    PLACE = 2
    DESCRIPTION = 3
    PHOTOS = 4


TEXT_LIMITS = {"title": 100, "place": 100, "description": 2000}


def event_date(raw: str, year: int) -> date:
    """The event's date in the one date grammar (:func:`bot.kernel.dates.parse_date`; the
    campaign's ``year`` when none is given)."""
    day = parse_date(raw, year)
    if day is None:
        raise validation.Invalid("events.bad_date")
    return day


def _draft(context: BotContext) -> EventDraft:
    return context.user_state.setdefault("event", {})


async def _say(update: Update, context: BotContext, key: str, markup=None, **params) -> None:
    await context.bot.send_message(update.effective_chat.id, context.t(key, **params),
                                   reply_markup=markup)


def _done_markup(context: BotContext):
    return inline([[EventDone().button(context.t("events.done_button"))]])


@liaison_only
async def start(update: Update, context: BotContext, who: Who) -> int | None:
    calendar = await context.storage.campaigns.calendar()
    if calendar is None or calendar.rule("event") is None:
        await update.effective_message.reply_text(context.t("submissions.no_campaign"))
        return ConversationHandler.END
    sending.leave(context)
    context.user_state["event"] = {"items": []}
    await _say(update, context, "events.intro")
    await _say(update, context, "events.ask_title")
    return State.TITLE


def _text_step(name: str, next_key: str, next_state: State):
    async def step(update: Update, context: BotContext) -> State:
        try:
            check = validation.clean_text if name == "description" else validation.name
            value = check(update.effective_message.text, TEXT_LIMITS.get(name, 100))
        except validation.Invalid as problem:
            await update.effective_message.reply_text(context.t(problem.key))
            return State[name.upper()]
        draft = _draft(context)
        draft[name] = value
        if name == "description":
            message = update.effective_message
            draft["description_message"] = [message.message_id, message.date.isoformat()]
        await _say(update, context, next_key,
                   _done_markup(context) if next_state == State.PHOTOS else None)
        return next_state

    return step


async def on_date(update: Update, context: BotContext) -> State:
    calendar = await context.storage.campaigns.calendar()
    year = calendar.campaign.year if calendar else context.clock().year
    try:
        day = event_date(update.effective_message.text, year)
    except validation.Invalid as problem:
        await update.effective_message.reply_text(context.t(problem.key))
        return State.DATE
    _draft(context)["date"] = day.isoformat()
    await _say(update, context, "events.ask_place")
    return State.PLACE


async def not_text(update: Update, context: BotContext) -> None:
    await update.effective_message.reply_text(context.t("events.text_expected"))


async def on_attachment(update: Update, context: BotContext) -> State:
    incoming = routing.from_message(update.effective_message)
    if incoming is None or incoming.kind == "text":
        await update.effective_message.reply_text(context.t("events.photos_expected"),
                                                  reply_markup=_done_markup(context))
        return State.PHOTOS
    _draft(context).setdefault("items", []).append(incoming.to_json())
    if incoming.media_group_id:
        await albums.collect_album(context, update.effective_chat.id,
                                   update.effective_user.id, incoming, "event")
    else:
        await _acknowledge(context, update.effective_chat.id)
    return State.PHOTOS


async def _acknowledge(context: BotContext, chat_id: int) -> None:
    count = len(context.user_state.get("event", {}).get("items", []))
    await context.bot.send_message(chat_id, context.t("events.photos_received", count=count),
                                   reply_markup=_done_markup(context))


async def _acknowledge_album(context: BotContext, chat_id: int, person_id: int,
                             parts: list[Incoming], data: dict) -> None:
    """One acknowledgement per album (the parts themselves are already in the draft)."""
    if "event" in context.user_state:
        await _acknowledge(context, chat_id)


async def on_done(update: Update, context: BotContext) -> int:
    query = update.callback_query
    await query.answer()
    draft = context.user_state.pop("event", None)
    liaison = await active_liaison(context, update.effective_user.id)
    calendar = await context.storage.campaigns.calendar()
    rule = calendar.rule("event") if calendar else None
    if not draft or "description_message" not in draft or liaison is None or rule is None:
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("general.stale_button"))
        return ConversationHandler.END
    await query.edit_message_reply_markup(None)
    message_id, sent_at = draft["description_message"]
    burst = [Incoming("text", message_id=message_id, date=sent_at, text=draft["description"])]
    burst += [Incoming.from_json(item) for item in draft.get("items", [])]
    meta = {name: draft.get(name) for name in ("title", "date", "place", "description")}
    await deliver(context, update.effective_chat.id, liaison, calendar, burst,
                  Target("event", rule.id, "", None), meta)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    context.user_state.pop("event", None)
    await update.effective_message.reply_text(context.t("events.cancelled"))
    return ConversationHandler.END


def _text_state(handler) -> list:
    return [MessageHandler(filters.TEXT & ~filters.COMMAND, handler),
            MessageHandler(~filters.COMMAND, not_text)]


def conversation() -> ConversationHandler:
    states = {
        State.TITLE: _text_state(_text_step("title", "events.ask_date", State.DATE)),
        State.DATE: _text_state(on_date),
        State.PLACE: _text_state(_text_step("place", "events.ask_description",
                                            State.DESCRIPTION)),
        State.DESCRIPTION: _text_state(_text_step("description", "events.ask_photos",
                                                  State.PHOTOS)),
        State.PHOTOS: [
            CallbackQueryHandler(on_done, pattern=EventDone.pattern()),
            MessageHandler(~filters.COMMAND, on_attachment),
        ],
    }
    return chat_conversation(
        entry_points=[CommandHandler("event", start)],
        states=states,
        fallbacks=[CommandHandler("cancel", cancel)],
        name="event",
        persistent=True,
        allow_reentry=True,
    )


def register_conversation(app) -> None:
    albums.handle(app, "event", _acknowledge_album)
    app.add_handler(conversation())
