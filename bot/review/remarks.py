"""↩️ 退回 and 💬 点评 on a review card: the persistent ``review`` conversation.

The button asks for the text (``user_data["review"]`` holds what it is for); the next text
message is the reason or the comment: a return opens ``submission_return`` with the grace
(:mod:`bot.review.grace`), a comment is kept in ``submission_comment``; either is written to
the outbox for the unit's liaison (:mod:`bot.review.notify`). The scope is checked on the
press and again when the text comes.
"""

from __future__ import annotations

from enum import IntEnum

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.desk.standings import desk_words
from bot.intake.receive import on_message
from bot.kernel import validation
from bot.kernel.clock import from_iso
from bot.ptb.access import Who, coordinator_only, who_is
from bot.ptb.buttons import ReviewComment, ReviewReturn
from bot.ptb.context import BotContext
from bot.ptb.conversation import chat_conversation
from bot.ptb.replies import pressed, stale_button
from bot.review import notify
from bot.review.desk import submission_in_scope
from bot.review.grace import return_grace

MAX_REASON = 500
MAX_COMMENT = 1000


class State(IntEnum):
    TEXT = 0


async def _ask(update: Update, context: BotContext, who: Who, action: str,
               submission_id: int) -> int:
    query = update.callback_query
    submission = await submission_in_scope(context, who, submission_id)
    if submission is None:
        await stale_button(update, context, show_alert=True)
        return ConversationHandler.END
    if action == "return" and await context.storage.reviews.open_return(submission.id):
        await query.answer(context.t("review.not_returnable"), show_alert=True)
        return ConversationHandler.END
    unit = await context.storage.units.get(submission.unit_id)
    context.user_state["review"] = {"action": action, "submission_id": submission.id}
    await query.answer()
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("review.ask_reason" if action == "return" else "review.ask_comment",
                  unit=unit.name))
    return State.TEXT


@coordinator_only
@pressed(ReviewReturn)
async def on_return(update: Update, context: BotContext, who: Who,
                    press: ReviewReturn) -> int:
    return await _ask(update, context, who, "return", press.submission_id)


@coordinator_only
@pressed(ReviewComment)
async def on_comment(update: Update, context: BotContext, who: Who,
                     press: ReviewComment) -> int:
    return await _ask(update, context, who, "comment", press.submission_id)


async def on_text(update: Update, context: BotContext) -> int:
    """The reason or the comment."""
    message = update.effective_message
    asked = context.user_state.get("review")
    if asked is None:              # nothing asked any more: an ordinary message
        await on_message(update, context)
        return ConversationHandler.END
    limit = MAX_REASON if asked["action"] == "return" else MAX_COMMENT
    text = validation.tidy(message.text)
    if not text:
        await message.reply_text(context.t("review.text_empty"))
        return State.TEXT
    if len(text) > limit:
        await message.reply_text(context.t("review.text_too_long", limit=limit,
                                           length=len(text)))
        return State.TEXT
    context.user_state.pop("review", None)
    who = await who_is(context, update.effective_user.id)
    submission = await submission_in_scope(context, who, asked["submission_id"]) \
        if who.is_coordinator else None
    if submission is None:
        await message.reply_text(context.t("general.stale_button"))
        return ConversationHandler.END
    storage = context.storage
    calendar = await storage.campaigns.calendar()
    unit = await storage.units.get(submission.unit_id)
    words = desk_words(context, calendar.campaign.timezone)
    rule = next((rule for rule in calendar.rules if rule.id == submission.deliverable_id), None)
    target = words.target_key(rule.key if rule else "other", submission.period)
    services = context.bot_data
    if asked["action"] == "return":
        returned = await storage.reviews.return_submission(
            submission.id, who.person_id, text,
            context.clock() + await return_grace(storage))
        if returned is None:
            await message.reply_text(context.t("review.not_returnable"))
            return ConversationHandler.END
        told = await notify.tell_returned(services, calendar, submission, returned)
        await message.reply_text(context.t(
            "review.returned_done" if told else "review.returned_no_liaison", unit=unit.name,
            target=target, until=words.moment(from_iso(returned.grace_until))))
    else:
        comment = await storage.reviews.add_comment(submission.id, who.person_id, text)
        told = await notify.tell_comment(services, calendar, submission, comment)
        await message.reply_text(context.t(
            "review.comment_done" if told else "review.comment_no_liaison", unit=unit.name))
    return ConversationHandler.END


async def on_other(update: Update, context: BotContext) -> int:
    """Anything but text while a reason or comment is asked for."""
    await update.effective_message.reply_text(context.t("review.text_not_text"))
    return State.TEXT


async def busy(update: Update, context: BotContext) -> int:
    """Another command while the reason or comment is asked for."""
    await update.effective_message.reply_text(context.t("review.busy"))
    return State.TEXT


async def cancel(update: Update, context: BotContext) -> int:
    context.user_state.pop("review", None)
    await update.effective_message.reply_text(context.t("review.cancelled"))
    return ConversationHandler.END


def conversation() -> ConversationHandler:
    return chat_conversation(
        entry_points=[
            CallbackQueryHandler(on_return, pattern=ReviewReturn.pattern()),
            CallbackQueryHandler(on_comment, pattern=ReviewComment.pattern()),
        ],
        states={
            State.TEXT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
                MessageHandler(~filters.COMMAND, on_other),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel), MessageHandler(filters.COMMAND, busy)],
        name="review",
        persistent=True,
        allow_reentry=True,
    )


def register_conversation(app) -> None:
    """Before the common commands, so /cancel reaches the conversation first."""
    app.add_handler(conversation())
