"""Receiving what a liaison sends outside a form: route (or ask), record, archive, one receipt.

Every message becomes an :class:`~bot.intake.routing.Incoming`; an album is collected over a
quiet window first (:mod:`bot.intake.albums`), so that a burst of parts is handled as one.
A burst goes to the target (deliverable + period) :func:`bot.intake.routing.route` chooses,
or the liaison is asked with buttons (the burst waits in ``user_data["pending"]``; a choice
for an album is remembered in ``user_data["album_choice"]`` for its late parts). It is
recorded, its files are archived (:mod:`bot.intake.archive`), and one receipt answers it.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.intake import albums, routing
from bot.intake.archive import archive
from bot.intake.routing import Ask, Incoming, Target
from bot.kernel.words import LATE, ON_TIME
from bot.ops import datafile
from bot.ptb import common
from bot.ptb.buttons import IntakeChoice
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import stale_button
from bot.storage.campaigns import Calendar
from bot.storage.models import Liaison
from bot.storage.submissions import Added, NewItem

NOT_KEPT = ("broken", "disk_full")   # archive's outcomes that leave nothing stored
MAX_PENDING = 10      # bursts waiting for a choice (and albums' remembered choices) per user


async def active_liaison(context: BotContext, person_id: int) -> Liaison | None:
    liaison = await context.storage.liaisons.open_for_person(person_id)
    return liaison if liaison and liaison.status == "active" else None


# ------------------------------------------------------------------ a message comes in


async def on_message(update: Update, context: BotContext) -> None:
    """A message outside any form: a liaison's goes to intake; anyone else's to the
    catch-all that says what the bot expects from them (only the liaison is looked up:
    being a coordinator too changes nothing here)."""
    liaison = await active_liaison(context, update.effective_user.id)
    if liaison is None:
        await common.anything_else(update, context)
        return
    await take(update, context, liaison=liaison)


async def take(update: Update, context: BotContext, target: tuple[str, str] | None = None,
               liaison: Liaison | None = None) -> None:
    """Intake of one message from an active liaison (``target``: (key, period) fixed;
    ``liaison``: when the caller already looked it up)."""
    message = update.effective_message
    incoming = routing.from_message(message)
    if incoming is None:
        await message.reply_text(context.t("submissions.unsupported"))
        return
    if incoming.media_group_id:
        await albums.collect_album(context, update.effective_chat.id, update.effective_user.id,
                                   incoming, "intake", target=target)
        return
    fixed = None
    if target is not None:
        calendar = await context.storage.campaigns.calendar()
        fixed = routing.target_for(calendar, target[0], target[1], incoming.received_at) \
            if calendar else None
    await handle_burst(context, update.effective_chat.id, update.effective_user.id,
                       [incoming], fixed, liaison)


async def _album_complete(context: BotContext, chat_id: int, person_id: int,
                          parts: list[Incoming], data: dict) -> None:
    """A settled album. Parts an earlier run recorded (it stopped before the album was
    finished) keep the target they were recorded for."""
    liaison = await active_liaison(context, person_id)
    if liaison is None:
        return
    target = None
    fixed = data.get("target") or await context.storage.submissions.recorded_target(
        liaison.id, [part.message_id for part in parts])
    if fixed:
        calendar = await context.storage.campaigns.calendar()
        key, period = fixed
        target = routing.target_for(calendar, key, period, parts[0].received_at) \
            if calendar else None
    await handle_burst(context, chat_id, person_id, parts, target, liaison)


# ------------------------------------------------------------------ where it goes


async def handle_burst(context: BotContext, chat_id: int, person_id: int,
                       burst: list[Incoming], target: Target | None = None,
                       liaison: Liaison | None = None) -> None:
    """Route (or ask), record, archive and answer once (``liaison``: when already known)."""
    liaison = liaison or await active_liaison(context, person_id)
    if liaison is None:
        return
    calendar = await context.storage.campaigns.calendar()
    if calendar is None:
        await context.bot.send_message(chat_id, context.t("submissions.no_campaign"))
        return
    group = burst[0].media_group_id
    if target is None and group:
        # only albums look at user_data: touching it costs a persistence write per update
        state = context.user_state
        remembered = state.get("album_choice", {}).get(group)
        if remembered:
            target = routing.target_for(calendar, remembered, None, burst[0].received_at)
        else:
            for waiting in state.get("pending", {}).values():
                if waiting.get("group") == group:
                    waiting["items"] += [item.to_json() for item in burst]
                    return
    if target is None:
        decision = await _decide(context, calendar, liaison.unit_id, burst)
        if isinstance(decision, Ask):
            await _ask(context, chat_id, burst, decision)
            return
        target = decision
    await deliver(context, chat_id, liaison, calendar, burst, target)


async def _decide(context: BotContext, calendar: Calendar, unit_id: int,
                  burst: list[Incoming]) -> Target | Ask:
    rules = {key: calendar.rule(key) for key in ("weekly", "plan", "summary")}
    delivered = await context.storage.submissions.delivered_periods_of(
        unit_id, [rule.id for rule in rules.values() if rule])
    delivered_weeks = delivered[rules["weekly"].id] if rules["weekly"] else set()
    delivered_keys = {key for key in ("plan", "summary")
                      if rules[key] and delivered[rules[key].id]}
    return routing.route(calendar, burst, delivered_weeks, delivered_keys)


async def _ask(context: BotContext, chat_id: int, burst: list[Incoming], ask: Ask) -> None:
    pending = context.user_state.setdefault("pending", {})
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    token = secrets.token_hex(4)
    pending[token] = {"group": burst[0].media_group_id,
                      "items": [item.to_json() for item in burst]}
    buttons = [IntakeChoice(key, token).button(context.words.deliverable(key))
               for key in ask.choices]
    await context.bot.send_message(chat_id, context.t("submissions.choose"),
                                   reply_markup=inline([buttons[:2], buttons[2:]]))


async def on_choice(update: Update, context: BotContext) -> None:
    """The liaison said which deliverable a waiting burst is for."""
    query = update.callback_query
    choice = IntakeChoice.parse(query.data)
    liaison = await active_liaison(context, update.effective_user.id)
    state = context.user_state
    waiting = state.get("pending", {}).get(choice.token) if choice else None
    if liaison is None or waiting is None or choice.key not in routing.CHOICES:
        await stale_button(update, context)
        return
    calendar = await context.storage.campaigns.calendar()
    if calendar is None:
        await query.answer(context.t("submissions.no_campaign"), show_alert=True)
        return
    key = choice.key
    burst = [Incoming.from_json(item) for item in waiting["items"]]
    if key == "weekly":
        weekly = calendar.rule("weekly")
        delivered = await context.storage.submissions.delivered_periods(liaison.unit_id,
                                                                        weekly.id)
        target = routing.weekly_target(calendar, burst[0].received_at, delivered)
    else:
        target = routing.target_for(calendar, key, None, burst[0].received_at)
    if target is None:
        await query.answer(context.t("submissions.not_available"), show_alert=True)
        return
    state["pending"].pop(choice.token, None)
    if waiting.get("group"):
        choices = state.setdefault("album_choice", {})
        while len(choices) >= MAX_PENDING:
            choices.pop(next(iter(choices)))
        choices[waiting["group"]] = key
    await query.answer()
    await query.edit_message_text(
        context.t("submissions.chosen", deliverable=context.words.deliverable(key)))
    await deliver(context, update.effective_chat.id, liaison, calendar, burst, target)


# ------------------------------------------------------------------ recorded, archived, answered


async def deliver(context: BotContext, chat_id: int, liaison: Liaison, calendar: Calendar,
                  burst: list[Incoming], target: Target, meta: dict | None = None) -> None:
    """Record the burst for ``target`` (an event report's next number when its period is
    not given), archive its files and send the receipt."""
    storage = context.storage
    if datafile.lost(context.bot_data, "intake"):
        await context.bot.send_message(chat_id, context.t("record.not_taken"))
        return
    if target.deadline is None and not target.period:
        period = await storage.submissions.next_event_period(liaison.unit_id,
                                                             target.deliverable_id)
        target = replace(target, period=period)
    new_items = [
        NewItem(kind=item.kind, received_at=item.received_at, text=item.text,
                file_id=item.file_id, file_unique_id=item.file_unique_id,
                file_name=item.file_name, mime_type=item.mime_type, size=item.size,
                media_group_id=item.media_group_id, message_id=item.message_id,
                late_seconds=target.late_seconds(item.received_at))
        for item in burst
    ]
    added = await storage.submissions.add_items(liaison.unit_id, target.deliverable_id,
                                                target.period, liaison.id, new_items, meta)
    problems, kept = [], []
    for item, item_id in zip(burst, added.item_ids, strict=True):
        problem = await archive(context, item, item_id,
                                replayed=item_id in added.recorded_before) \
            if item.file_id else None
        if problem not in NOT_KEPT:
            kept.append(item)
        if problem:
            problems.append(context.t(f"submissions.{problem}",
                                      name=item.file_name or
                                      context.t(f"submissions.item_{item.kind}")))
    # a file that was not kept is not received: the receipt speaks of the rest only
    lines = receipt(context, kept, target, added) if kept else []
    await context.bot.send_message(chat_id, "\n".join(lines + problems))


def receipt(context: BotContext, burst: list[Incoming], target: Target,
            added: Added) -> list[str]:
    """What was received, what it counts for (and by when), on time or how late."""
    words = context.words
    counts = routing.count(burst)
    what = [context.t(f"submissions.what_{name}", count=value) for name, value in (
        ("photos", counts.photos), ("videos", counts.videos),
        ("documents", counts.documents), ("text", counts.text_length)) if value]
    counted = words.target_key(target.key, target.period)
    late = target.late_seconds(min(item.received_at for item in burst))
    if added.resubmitted is not None:     # a return answered: it counts as bot.review says
        late = added.resubmitted.late_seconds
    lines = [
        context.t("submissions.received", what=context.t("submissions.what_separator").join(what)),
        context.t("submissions.counted_for_due", target=counted, due=words.due(target.deadline))
        if target.deadline else context.t("submissions.counted_for", target=counted),
        context.t("submissions.late", state=words.state(LATE, late)) if late
        else context.t("submissions.on_time", state=words.state(ON_TIME)),
    ]
    if added.replaced_nil:
        lines.append(context.t("submissions.replaced_nil"))
    if added.resubmitted is not None:
        lines.append(context.t("review.receipt_resubmitted"))
    return lines


def register(app) -> None:
    """After every other message handler: whatever is left of a liaison's is intake."""
    albums.handle(app, "intake", _album_complete)
    app.add_handler(CallbackQueryHandler(on_choice, pattern=IntakeChoice.pattern()))
    app.add_handler(MessageHandler(~filters.COMMAND, on_message))
