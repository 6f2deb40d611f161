"""The ``submitting`` conversation: sending for a chosen deliverable, and nil reports.

``/plan``, ``/summary`` or a prompt's "start" button open the sending mode: for 30 minutes
after the last message (``user_data["sending"]``), whatever the liaison sends counts for
that deliverable and period, until ``/done``. A prompt's "nothing this period" button
records a nil report (it counts as delivered); the next text is its reason
(``user_data["nil"]`` holds the report until then). Both keys are this module's: another
area that must end the mode calls :func:`leave`.
"""

from __future__ import annotations

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

from bot.intake import routing
from bot.intake.receive import active_liaison, on_message, take
from bot.kernel import validation
from bot.kernel.clock import to_iso
from bot.ptb.access import Who, liaison_only
from bot.ptb.buttons import ReviewResubmit, SubmitNil, SubmitNoReason, SubmitStart
from bot.ptb.context import BotContext
from bot.ptb.conversation import chat_conversation
from bot.ptb.keyboards import inline
from bot.ptb.replies import pressed, stale_button

SENDING_WINDOW = timedelta(minutes=30)
MAX_REASON = 500


class State(IntEnum):
    SENDING = 0
    NIL_REASON = 1


def leave(context: BotContext) -> None:
    """End the sending mode (another conversation takes the liaison's messages now)."""
    context.user_state.pop("sending", None)


# ------------------------------------------------------------------ /plan, /summary, prompts


async def _start_sending(update: Update, context: BotContext, key: str,
                         period: str | None) -> int:
    calendar = await context.storage.campaigns.calendar()
    if calendar is None:
        await update.effective_message.reply_text(context.t("submissions.no_campaign"))
        return ConversationHandler.END
    at = context.clock()
    target = routing.target_for(calendar, key, period, at)
    if target is None or target.deadline is None:
        await update.effective_message.reply_text(context.t("submissions.not_available"))
        return ConversationHandler.END
    context.user_state["sending"] = {"key": key, "period": target.period,
                                     "until": to_iso(at + SENDING_WINDOW)}
    words = context.words
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("submissions.sending", target=words.target_key(key, target.period),
                  due=words.due(target.deadline)))
    return State.SENDING


@liaison_only
async def plan_command(update: Update, context: BotContext, who: Who) -> int:
    return await _start_sending(update, context, "plan", None)


@liaison_only
async def summary_command(update: Update, context: BotContext, who: Who) -> int:
    return await _start_sending(update, context, "summary", None)


@liaison_only
@pressed(SubmitStart)
async def on_start_button(update: Update, context: BotContext, who: Who,
                          press: SubmitStart) -> int:
    """A prompt's "start" button: start sending for that period (one a notice offered)."""
    calendar = await context.storage.campaigns.calendar()
    if calendar is None or routing.offered_target(calendar, press.key, press.period,
                                                  context.clock(), nil=False) is None:
        await stale_button(update, context, show_alert=True)
        return ConversationHandler.END
    await update.callback_query.answer()
    return await _start_sending(update, context, press.key, press.period)


@liaison_only
@pressed(ReviewResubmit, alert=True)
async def on_resubmit_button(update: Update, context: BotContext, who: Who,
                             press: ReviewResubmit) -> int:
    """A return's 📤 resubmit (bot.review): send the new version of that submission; the
    period is the submission's, whatever its deadline (an event report has none)."""
    storage = context.storage
    query = update.callback_query
    submission = await storage.submissions.get(press.submission_id)
    calendar = await storage.campaigns.calendar()
    rule = next((rule for rule in calendar.rules if rule.id == submission.deliverable_id),
                None) if calendar and submission else None
    if rule is None or submission.unit_id != who.active_liaison.unit_id or \
            await storage.reviews.open_return(submission.id) is None:
        await query.answer(context.t("review.resubmit_stale"), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    at = context.clock()
    context.user_state["sending"] = {"key": rule.key, "period": submission.period,
                                     "until": to_iso(at + SENDING_WINDOW)}
    await context.bot.send_message(update.effective_chat.id, context.t(
        "review.resubmit_sending",
        target=context.words.target_key(rule.key, submission.period)))
    return State.SENDING


async def on_sending(update: Update, context: BotContext) -> int:
    """A message while sending for a chosen deliverable; the mode lapses after 30 minutes."""
    mode = context.user_state.get("sending")
    message = update.effective_message
    if mode is None or message.date > datetime.fromisoformat(mode["until"]) or \
            await active_liaison(context, update.effective_user.id) is None:
        leave(context)
        await on_message(update, context)
        return ConversationHandler.END
    mode["until"] = to_iso(message.date + SENDING_WINDOW)
    await take(update, context, (mode["key"], mode["period"]))
    return State.SENDING


async def done_sending(update: Update, context: BotContext) -> int:
    mode = context.user_state.pop("sending", None)
    if mode is not None:
        await update.effective_message.reply_text(context.t(
            "submissions.sending_done", deliverable=context.words.deliverable(mode["key"])))
    else:
        await update.effective_message.reply_text(context.t("common.nothing_to_cancel"))
    return ConversationHandler.END


# ------------------------------------------------------------------ nil reports


@liaison_only
@pressed(SubmitNil, alert=True)
async def on_nil_button(update: Update, context: BotContext, who: Who, press: SubmitNil) -> int:
    """A prompt's "nothing this period": an explicit nil report (counts as delivered), only
    where a prompt offered it — a weekly or monthly deliverable's open period, or one still
    within its overdue days."""
    query = update.callback_query
    calendar = await context.storage.campaigns.calendar()
    at = context.clock()
    target = routing.offered_target(calendar, press.key, press.period, at, nil=True) \
        if calendar else None
    if target is None:
        await stale_button(update, context, show_alert=True)
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
    leave(context)
    context.user_state["nil"] = outcome.submission.id
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("submissions.nil_recorded",
                  target=context.words.target_key(target.key, target.period)),
        reply_markup=inline([[SubmitNoReason().button(context.t("submissions.nil_no_reason"))]]))
    return State.NIL_REASON


async def on_nil_reason(update: Update, context: BotContext) -> int:
    """The reply to a nil report is its reason (control characters dropped; a reply of
    nothing but those leaves the report without one)."""
    submission_id = context.user_state.pop("nil", None)
    reason = validation.tidy(update.effective_message.text)[:MAX_REASON]
    if submission_id and not reason:
        await update.effective_message.reply_text(context.t("submissions.nil_ok"))
    elif submission_id and await context.storage.submissions.set_nil_reason(submission_id,
                                                                            reason):
        await update.effective_message.reply_text(context.t("submissions.nil_reason_saved"))
    else:
        await on_message(update, context)
    return ConversationHandler.END


async def on_no_reason(update: Update, context: BotContext) -> int:
    context.user_state.pop("nil", None)
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    await context.bot.send_message(update.effective_chat.id, context.t("submissions.nil_ok"))
    return ConversationHandler.END


async def after_nil(update: Update, context: BotContext) -> int:
    """Anything but a reason after a nil report: handled as an ordinary message."""
    context.user_state.pop("nil", None)
    await on_message(update, context)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    leave(context)
    context.user_state.pop("nil", None)
    await update.effective_message.reply_text(context.t("common.nothing_to_cancel"))
    return ConversationHandler.END


# ------------------------------------------------------------------ registration


def conversation() -> ConversationHandler:
    return chat_conversation(
        entry_points=[
            CommandHandler("plan", plan_command),
            CommandHandler("summary", summary_command),
            CallbackQueryHandler(on_start_button, pattern=SubmitStart.pattern()),
            CallbackQueryHandler(on_nil_button, pattern=SubmitNil.pattern()),
            CallbackQueryHandler(on_resubmit_button, pattern=ReviewResubmit.pattern()),
        ],
        states={
            State.SENDING: [MessageHandler(~filters.COMMAND, on_sending)],
            State.NIL_REASON: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_nil_reason),
                CallbackQueryHandler(on_no_reason, pattern=SubmitNoReason.pattern()),
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
