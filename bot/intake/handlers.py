"""What liaisons send: intake, receipts, /plan and /summary, nil reports, /mysubmissions.

Every message a liaison sends outside a form becomes an :class:`~bot.intake.Incoming`;
an album (separate updates sharing a ``media_group_id``) is collected over a quiet window
before it is handled as one burst. A burst goes to a target (deliverable + period) chosen
by ``bot.intake.route``, or the liaison is asked with buttons; it is recorded, its files are
archived in the media store, and one receipt answers it.
"""

from __future__ import annotations

import logging
import secrets
import warnings
from dataclasses import replace
from datetime import datetime, timedelta
from enum import IntEnum

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.intake import routing as intake
from bot.intake.routing import Ask, Incoming, Target
from bot.kernel import validation
from bot.kernel.clock import to_iso
from bot.kernel.schedule import Deadline, deadlines
from bot.media.store import DiskFull, DownloadBroken, TooBig
from bot.ptb import common
from bot.ptb.access import Who, liaison_only
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.storage.campaigns import Calendar
from bot.storage.models import Liaison
from bot.storage.submissions import Item, NewItem, Submission
from bot.texts import Raw

log = logging.getLogger(__name__)

ALBUM_QUIET_SECONDS = 1.5
SENDING_WINDOW = timedelta(minutes=30)
MAX_PENDING = 10
MAX_LISTED_ITEMS = 40
MAX_WITHDRAW_BUTTONS = 24


class State(IntEnum):
    SENDING = 0
    NIL_REASON = 1


# ------------------------------------------------------------------ formatting


def deliverable_name(context: BotContext, key: str) -> str:
    known = {"weekly", "plan", "summary", "event", "registration", "monthly_case", "statistics"}
    return context.t(f"submissions.deliverable_{key if key in known else 'other'}")


def when(context: BotContext, moment: datetime, calendar: Calendar | None) -> str:
    tz = calendar.campaign.timezone if calendar else context.settings.timezone
    local = moment.astimezone(tz)
    return context.t("submissions.when", month=local.month, day=local.day,
                     time=local.strftime("%H:%M"))


def period_text(context: BotContext, calendar: Calendar, period: str,
                deadline: Deadline | None) -> str:
    if deadline is not None:
        return context.t("submissions.period_due", when=when(context, deadline.due, calendar))
    return context.t("submissions.period_event", number=period.removeprefix("event-"))


def delay_text(context: BotContext, seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return context.t("submissions.delay_days", days=days, hours=hours)
    if hours:
        return context.t("submissions.delay_hours", hours=hours, minutes=minutes)
    return context.t("submissions.delay_minutes", minutes=minutes)


def _item_label(context: BotContext, item: Incoming) -> str:
    return item.file_name or context.t(f"submissions.item_{item.kind}")


# ------------------------------------------------------------------ delivering a burst


async def _active_liaison(context: BotContext, person_id: int) -> Liaison | None:
    liaison = await context.storage.liaisons.open_for_person(person_id)
    return liaison if liaison and liaison.status == "active" else None


async def _decide(context: BotContext, calendar: Calendar, unit_id: int,
                  burst: list[Incoming]) -> Target | Ask:
    rules = {key: calendar.rule(key) for key in ("weekly", "plan", "summary")}
    delivered = await context.storage.submissions.delivered_periods_of(
        unit_id, [rule.id for rule in rules.values() if rule])
    delivered_weeks = delivered[rules["weekly"].id] if rules["weekly"] else set()
    delivered_keys = {key for key in ("plan", "summary")
                      if rules[key] and delivered[rules[key].id]}
    return intake.route(calendar, burst, delivered_weeks, delivered_keys)


async def handle_burst(context: BotContext, chat_id: int, person_id: int,
                       burst: list[Incoming], target: Target | None = None,
                       liaison: Liaison | None = None) -> None:
    """Route (or ask), record, archive and answer once (``liaison``: when already known)."""
    liaison = liaison or await _active_liaison(context, person_id)
    if liaison is None:
        return
    calendar = await context.storage.campaigns.calendar()
    if calendar is None:
        await context.bot.send_message(chat_id, context.t("submissions.no_campaign"))
        return
    group = burst[0].media_group_id
    if target is None and group:
        # only albums look at user_data: touching it costs a persistence write per update
        user_data = context.user_data
        remembered = user_data.get("album_choice", {}).get(group)
        if remembered:
            target = intake.target_for(calendar, remembered, None, burst[0].received_at)
        else:
            for waiting in user_data.get("pending", {}).values():
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


async def _ask(context: BotContext, chat_id: int, burst: list[Incoming], ask: Ask) -> None:
    pending = context.user_data.setdefault("pending", {})
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    token = secrets.token_hex(4)
    pending[token] = {"group": burst[0].media_group_id,
                      "items": [item.to_json() for item in burst]}
    buttons = [(deliverable_name(context, key), f"intake:to:{key}:{token}")
               for key in ask.choices]
    await context.bot.send_message(chat_id, context.t("submissions.choose"),
                                   reply_markup=inline([buttons[:2], buttons[2:]]))


async def deliver(context: BotContext, chat_id: int, liaison: Liaison, calendar: Calendar,
                  burst: list[Incoming], target: Target, meta: dict | None = None) -> None:
    storage = context.storage
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
    problems = []
    for item, item_id in zip(burst, added.item_ids, strict=True):
        if item.file_id:
            problem = await archive(context, item, item_id,
                                    replayed=item_id in added.recorded_before)
            if problem:
                problems.append(context.t(f"submissions.{problem}",
                                          name=_item_label(context, item)))
    counts = intake.count(burst)
    what = [context.t(f"submissions.what_{name}", count=value) for name, value in (
        ("photos", counts.photos), ("videos", counts.videos),
        ("documents", counts.documents), ("text", counts.text_length)) if value]
    late = target.late_seconds(min(item.received_at for item in burst))
    lines = [
        context.t("submissions.received", what=context.t("submissions.what_separator").join(what)),
        context.t("submissions.counted_for", deliverable=deliverable_name(context, target.key),
                  period=period_text(context, calendar, target.period, target.deadline)),
        context.t("submissions.late", delay=delay_text(context, late)) if late
        else context.t("submissions.on_time"),
    ]
    if added.replaced_nil:
        lines.append(context.t("submissions.replaced_nil"))
    await context.bot.send_message(chat_id, "\n".join(lines + problems))


async def archive(context: BotContext, item: Incoming, item_id: int,
                  replayed: bool) -> str | None:
    """Store the item's file (and thumbnail); the name of the problem text, if any.
    ``replayed``: the item was recorded by an earlier run, which may have archived it."""
    storage, media = context.storage, context.media
    if replayed:
        recorded = await storage.submissions.item(item_id)
        if recorded is not None and recorded.archived != "pending":
            return None      # done before a crash (the update is being replayed)
    known = await storage.submissions.archived_copy(item.file_unique_id) \
        if item.file_unique_id else None
    if known is not None and media.has(known.media_sha256):
        await storage.submissions.set_archived(item_id, "yes", known.media_sha256,
                                               known.thumb_sha256, known.size)
        return None
    try:
        stored = await media.fetch(context.bot, item.file_id, item.size)
    except TooBig:
        await storage.submissions.set_archived(item_id, "too_big",
                                               thumb_sha256=await _video_thumb(context, item))
        return "too_big"
    except DownloadBroken as error:
        log.warning("download of %s failed: %s", item.file_unique_id, error)
        await storage.submissions.set_archived(item_id, "failed")
        return "broken"
    except DiskFull as error:
        log.error("disk full while storing %s: %s", item.file_unique_id, error)
        await storage.submissions.set_archived(item_id, "failed")
        return "disk_full"
    thumb = None
    try:
        if item.is_image:
            thumb = await _image_thumb(context, item, stored.sha256)
        else:
            thumb = await _video_thumb(context, item)
    except DiskFull as error:
        log.error("disk full while storing a thumbnail: %s", error)
    await storage.submissions.set_archived(item_id, "yes", stored.sha256, thumb, stored.size)
    return None


async def _image_thumb(context: BotContext, item: Incoming, sha256: str) -> str | None:
    """From Telegram's own scaled copy of a photo when it has one (no decoding of the
    original), else made from the stored original."""
    if item.thumb_file_id and item.thumb_side:
        try:
            return await context.media.thumbnail_from_size(context.bot, item.thumb_file_id,
                                                           item.thumb_side)
        except (TooBig, DownloadBroken) as error:
            log.info("Telegram's scaled copy of %s not fetched (%s): made from the original",
                     item.file_unique_id, error)
    return await context.media.thumbnail(sha256)


async def _video_thumb(context: BotContext, item: Incoming) -> str | None:
    """Telegram's own thumbnail of a video, when it has one."""
    if not item.thumb_file_id:
        return None
    try:
        return (await context.media.fetch(context.bot, item.thumb_file_id, None)).sha256
    except (TooBig, DownloadBroken, DiskFull) as error:
        log.info("no thumbnail kept for %s: %s", item.file_unique_id, error)
        return None


# ------------------------------------------------------------------ albums


def collect_album(context: BotContext, chat_id: int, user_id: int, incoming: Incoming,
                  callback, **data: object) -> None:
    """Add an album part; ``callback`` runs once no part arrived for the quiet window."""
    group = incoming.media_group_id
    albums = context.chat_data.setdefault("albums", {})
    albums.setdefault(group, {"items": [], **data})["items"].append(incoming)
    name = f"album {chat_id} {group}"
    for job in context.job_queue.get_jobs_by_name(name):
        job.schedule_removal()
    context.job_queue.run_once(callback, ALBUM_QUIET_SECONDS, data=group, name=name,
                               chat_id=chat_id, user_id=user_id)


async def _album_complete(context: BotContext) -> None:
    job = context.job
    collected = context.chat_data.get("albums", {}).pop(job.data, None)
    if not collected:
        return
    context.person = await context.storage.people.get(job.user_id)
    target = None
    if collected.get("target"):
        calendar = await context.storage.campaigns.calendar()
        key, period = collected["target"]
        target = intake.target_for(calendar, key, period, collected["items"][0].received_at) \
            if calendar else None
    await handle_burst(context, job.chat_id, job.user_id, collected["items"], target)


# ------------------------------------------------------------------ ordinary messages


async def on_message(update: Update, context: BotContext) -> None:
    """A message outside any form: a liaison's goes to intake; anyone else's to the
    catch-all that says what the bot expects from them (only the liaison is looked up:
    being a coordinator too changes nothing here)."""
    liaison = await _active_liaison(context, update.effective_user.id)
    if liaison is None:
        await common.anything_else(update, context)
        return
    await take(update, context, liaison=liaison)


async def take(update: Update, context: BotContext, target: tuple[str, str] | None = None,
               liaison: Liaison | None = None) -> None:
    """Intake of one message from an active liaison (``target``: (key, period) fixed;
    ``liaison``: when the caller already looked it up)."""
    message = update.effective_message
    incoming = intake.from_message(message)
    if incoming is None:
        await message.reply_text(context.t("submissions.unsupported"))
        return
    if incoming.media_group_id:
        collect_album(context, update.effective_chat.id, update.effective_user.id, incoming,
                      _album_complete, target=target)
        return
    fixed = None
    if target is not None:
        calendar = await context.storage.campaigns.calendar()
        fixed = intake.target_for(calendar, target[0], target[1], incoming.received_at) \
            if calendar else None
    await handle_burst(context, update.effective_chat.id, update.effective_user.id,
                       [incoming], fixed, liaison)


async def on_choice(update: Update, context: BotContext) -> None:
    """``intake:to:<key>:<token>``: the liaison said which deliverable a burst is for."""
    query = update.callback_query
    _, _, key, token = [*query.data.split(":"), "", "", "", ""][:4]
    liaison = await _active_liaison(context, update.effective_user.id)
    waiting = context.user_data.get("pending", {}).get(token)
    if liaison is None or waiting is None or key not in intake.CHOICES:
        await query.answer(context.t("general.stale_button"))
        return
    calendar = await context.storage.campaigns.calendar()
    if calendar is None:
        await query.answer(context.t("submissions.no_campaign"), show_alert=True)
        return
    burst = [Incoming.from_json(item) for item in waiting["items"]]
    if key == "weekly":
        weekly = calendar.rule("weekly")
        delivered = await context.storage.submissions.delivered_periods(liaison.unit_id,
                                                                        weekly.id)
        target = intake.weekly_target(calendar, burst[0].received_at, delivered)
    else:
        target = intake.target_for(calendar, key, None, burst[0].received_at)
    if target is None:
        await query.answer(context.t("submissions.not_available"), show_alert=True)
        return
    context.user_data["pending"].pop(token, None)
    if waiting.get("group"):
        choices = context.user_data.setdefault("album_choice", {})
        while len(choices) >= MAX_PENDING:
            choices.pop(next(iter(choices)))
        choices[waiting["group"]] = key
    await query.answer()
    await query.edit_message_text(
        context.t("submissions.chosen", deliverable=deliverable_name(context, key)))
    await deliver(context, update.effective_chat.id, liaison, calendar, burst, target)


# ------------------------------------------------------------------ /plan, /summary, prompts


async def _start_sending(update: Update, context: BotContext, key: str,
                         period: str | None) -> int:
    calendar = await context.storage.campaigns.calendar()
    if calendar is None:
        await update.effective_message.reply_text(context.t("submissions.no_campaign"))
        return ConversationHandler.END
    at = context.clock()
    target = intake.target_for(calendar, key, period, at)
    if target is None or target.deadline is None:
        await update.effective_message.reply_text(context.t("submissions.not_available"))
        return ConversationHandler.END
    context.user_data["sending"] = {"key": key, "period": target.period,
                                    "until": to_iso(at + SENDING_WINDOW)}
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("submissions.sending", deliverable=deliverable_name(context, key),
                  period=period_text(context, calendar, target.period, target.deadline)))
    return State.SENDING


@liaison_only
async def plan_command(update: Update, context: BotContext, who: Who) -> int:
    return await _start_sending(update, context, "plan", None)


@liaison_only
async def summary_command(update: Update, context: BotContext, who: Who) -> int:
    return await _start_sending(update, context, "summary", None)


def _callback_parts(data: str) -> tuple[str, str]:
    """``submit:<action>:<deliverable_key>:<period>`` -> (key, period)."""
    parts = data.split(":", 3)
    return (parts[2], parts[3]) if len(parts) == 4 else ("", "")


@liaison_only
async def on_start_button(update: Update, context: BotContext, who: Who) -> int:
    """``submit:start:<key>:<period>`` from a prompt: start sending for that period."""
    key, period = _callback_parts(update.callback_query.data)
    await update.callback_query.answer()
    return await _start_sending(update, context, key, period or None)


async def on_sending(update: Update, context: BotContext) -> int:
    """A message while sending for a chosen deliverable; the mode lapses after 30 minutes."""
    mode = context.user_data.get("sending")
    message = update.effective_message
    if mode is None or message.date > datetime.fromisoformat(mode["until"]) or \
            await _active_liaison(context, update.effective_user.id) is None:
        context.user_data.pop("sending", None)
        await on_message(update, context)
        return ConversationHandler.END
    mode["until"] = to_iso(message.date + SENDING_WINDOW)
    await take(update, context, (mode["key"], mode["period"]))
    return State.SENDING


async def done_sending(update: Update, context: BotContext) -> int:
    mode = context.user_data.pop("sending", None)
    if mode is not None:
        await update.effective_message.reply_text(context.t(
            "submissions.sending_done", deliverable=deliverable_name(context, mode["key"])))
    else:
        await update.effective_message.reply_text(context.t("common.nothing_to_cancel"))
    return ConversationHandler.END


# ------------------------------------------------------------------ nil reports


@liaison_only
async def on_nil_button(update: Update, context: BotContext, who: Who) -> int:
    """``submit:nil:<key>:<period>``: an explicit "nothing this period" (counts as delivered)."""
    query = update.callback_query
    key, period = _callback_parts(query.data)
    calendar = await context.storage.campaigns.calendar()
    at = context.clock()
    target = intake.target_for(calendar, key, period, at) if calendar and period else None
    if target is None or target.deadline is None:
        await query.answer(context.t("general.stale_button"), show_alert=True)
        return ConversationHandler.END
    liaison = who.active_liaison
    outcome = await context.storage.submissions.record_nil(
        liaison.unit_id, target.deliverable_id, target.period, liaison.id, at,
        target.late_seconds(at))
    await query.answer()
    if not outcome.recorded:
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("submissions.nil_refused"))
        return ConversationHandler.END
    context.user_data.pop("sending", None)
    context.user_data["nil"] = outcome.submission.id
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("submissions.nil_recorded", deliverable=deliverable_name(context, key),
                  period=period_text(context, calendar, target.period, target.deadline)),
        reply_markup=inline([[(context.t("submissions.nil_no_reason"), "submit:noreason")]]))
    return State.NIL_REASON


async def on_nil_reason(update: Update, context: BotContext) -> int:
    """The reply to a nil report is its reason (control characters dropped; a reply of
    nothing but those leaves the report without one)."""
    submission_id = context.user_data.pop("nil", None)
    reason = validation.tidy(update.effective_message.text)[:500]
    if submission_id and not reason:
        await update.effective_message.reply_text(context.t("submissions.nil_ok"))
    elif submission_id and await context.storage.submissions.set_nil_reason(submission_id,
                                                                            reason):
        await update.effective_message.reply_text(context.t("submissions.nil_reason_saved"))
    else:
        await on_message(update, context)
    return ConversationHandler.END


async def on_no_reason(update: Update, context: BotContext) -> int:
    context.user_data.pop("nil", None)
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    await context.bot.send_message(update.effective_chat.id, context.t("submissions.nil_ok"))
    return ConversationHandler.END


async def after_nil(update: Update, context: BotContext) -> int:
    """Anything but a reason after a nil report: handled as an ordinary message."""
    context.user_data.pop("nil", None)
    await on_message(update, context)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    context.user_data.pop("sending", None)
    context.user_data.pop("nil", None)
    await update.effective_message.reply_text(context.t("common.nothing_to_cancel"))
    return ConversationHandler.END


# ------------------------------------------------------------------ /mysubmissions


def _deadline_of(calendar: Calendar, submission: Submission) -> tuple[str, Deadline | None]:
    rule = next((rule for rule in calendar.rules if rule.id == submission.deliverable_id), None)
    if rule is None:
        return "other", None
    found = next((d for d in deadlines(rule, calendar.campaign.timezone)
                  if d.period == submission.period), None)
    return rule.key, found


def _state_text(context: BotContext, submission: Submission) -> str:
    if submission.state == "nil":
        if submission.nil_reason:
            return context.t("submissions.state_nil_reason", reason=submission.nil_reason)
        return context.t("submissions.state_nil")
    if submission.state == "withdrawn":
        return context.t("submissions.state_withdrawn")
    if submission.late_seconds:
        return context.t("submissions.state_late",
                         delay=delay_text(context, submission.late_seconds))
    return context.t("submissions.state_on_time")


def _item_note(context: BotContext, item: Item) -> str:
    if item.withdrawn_at:
        return context.t("submissions.note_withdrawn")
    if item.archived == "too_big":
        return context.t("submissions.note_too_big")
    if item.archived == "failed":
        return context.t("submissions.note_failed")
    if item.late_seconds:
        return context.t("submissions.note_late")
    return ""


@liaison_only
async def my_submissions(update: Update, context: BotContext, who: Who) -> None:
    calendar = await context.storage.campaigns.calendar()
    if calendar is None:
        await update.effective_message.reply_text(context.t("submissions.no_campaign"))
        return
    storage = context.storage
    submissions = await storage.submissions.of_unit(who.active_liaison.unit_id)
    if not submissions:
        await update.effective_message.reply_text(context.t("submissions.mine_none"))
        return
    now = context.clock()
    lines = [context.t("submissions.mine_title")]
    buttons: list[tuple[str, str]] = []
    listed = hidden = 0
    for submission in submissions:
        key, deadline = _deadline_of(calendar, submission)
        lines.append(context.t(
            "submissions.mine_submission", deliverable=deliverable_name(context, key),
            period=period_text(context, calendar, submission.period, deadline),
            state=Raw(_state_text(context, submission))))
        open_for_changes = deadline is None or now <= deadline.due
        for item in await storage.submissions.items(submission.id):
            if listed >= MAX_LISTED_ITEMS:
                hidden += 1
                continue
            listed += 1
            lines.append(context.t(
                "submissions.mine_item", id=item.id,
                kind=context.t(f"submissions.item_{item.kind}"),
                when=when(context, datetime.fromisoformat(item.received_at), calendar),
                note=_item_note(context, item)))
            if open_for_changes and not item.withdrawn_at and \
                    len(buttons) < MAX_WITHDRAW_BUTTONS:
                buttons.append((context.t("submissions.withdraw_button", id=item.id),
                                f"sub:withdraw:{item.id}"))
    if hidden:
        lines.append(context.t("submissions.mine_more", count=hidden))
    rows = [buttons[index:index + 3] for index in range(0, len(buttons), 3)]
    await update.effective_message.reply_text("\n".join(lines),
                                              reply_markup=inline(rows) if rows else None)


@liaison_only
async def on_withdraw(update: Update, context: BotContext, who: Who) -> None:
    """``sub:withdraw:<item id>``: before the deadline only; the row stays on record."""
    query = update.callback_query
    raw = query.data.removeprefix("sub:withdraw:")
    storage = context.storage
    item = await storage.submissions.item(int(raw)) if raw.isdigit() else None
    submission = await storage.submissions.get(item.submission_id) if item else None
    calendar = await storage.campaigns.calendar()
    if item is None or submission is None or calendar is None or \
            submission.unit_id != who.active_liaison.unit_id:
        await query.answer(context.t("submissions.withdraw_unknown"), show_alert=True)
        return
    _, deadline = _deadline_of(calendar, submission)
    if deadline is not None and context.clock() > deadline.due:
        await query.answer(context.t("submissions.withdraw_refused", id=item.id),
                           show_alert=True)
        return
    if not await storage.submissions.withdraw(item.id):
        await query.answer(context.t("submissions.withdraw_already", id=item.id))
        return
    await query.answer()
    await context.bot.send_message(update.effective_chat.id,
                                   context.t("submissions.withdrawn", id=item.id))


# ------------------------------------------------------------------ registration


def conversation() -> ConversationHandler:
    with warnings.catch_warnings():
        # per_message=False is intended: the prompt's buttons start a per-chat mode
        warnings.filterwarnings("ignore", message=".*per_message.*")
        return ConversationHandler(
            entry_points=[
                CommandHandler("plan", plan_command),
                CommandHandler("summary", summary_command),
                CallbackQueryHandler(on_start_button, pattern=r"^submit:start:"),
                CallbackQueryHandler(on_nil_button, pattern=r"^submit:nil:"),
            ],
            states={
                State.SENDING: [MessageHandler(~filters.COMMAND, on_sending)],
                State.NIL_REASON: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, on_nil_reason),
                    CallbackQueryHandler(on_no_reason, pattern=r"^submit:noreason$"),
                    MessageHandler(~filters.COMMAND, after_nil),
                ],
            },
            fallbacks=[
                CommandHandler("done", done_sending),
                CommandHandler("cancel", cancel),
            ],
            name="submitting",
            persistent=True,
            allow_reentry=True,
        )


def register_conversation(app) -> None:
    """Before the common commands, so /cancel reaches the conversation first."""
    app.add_handler(conversation())


def register(app) -> None:
    app.add_handler(CommandHandler("mysubmissions", my_submissions))
    app.add_handler(CallbackQueryHandler(on_choice, pattern=r"^intake:to:"))
    app.add_handler(CallbackQueryHandler(on_withdraw, pattern=r"^sub:withdraw:"))


def register_intake(app) -> None:
    """After every other message handler: whatever is left of a liaison's is intake."""
    app.add_handler(MessageHandler(~filters.COMMAND, on_message))
