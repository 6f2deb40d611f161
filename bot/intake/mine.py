"""/mysubmissions: what the liaison's unit has sent, and withdrawing an item.

Every submission with its state and every item with when it came; an item can be withdrawn
until its deadline (the row stays on record, marked withdrawn).
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.kernel.schedule import Deadline, deadlines
from bot.kernel.words import LATE, NIL, ON_TIME, RETURNED, WITHDRAWN
from bot.ptb.access import Who, liaison_only
from bot.ptb.buttons import Withdraw
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import pressed, send_lines
from bot.review import history as review_history
from bot.scoring.adoption import adoptions_for
from bot.storage.campaigns import Calendar
from bot.storage.submissions import Item, Submission

MAX_LISTED_ITEMS = 40
MAX_WITHDRAW_BUTTONS = 24


def _deadline_of(calendar: Calendar, submission: Submission) -> tuple[str, Deadline | None]:
    """The submission's deliverable key and the deadline of its period (None: no deadline,
    an event report)."""
    rule = next((rule for rule in calendar.rules if rule.id == submission.deliverable_id), None)
    if rule is None:
        return "other", None
    found = next((d for d in deadlines(rule, calendar.campaign.timezone)
                  if d.period == submission.period), None)
    return rule.key, found


def state_of(submission: Submission, returned: bool = False) -> str:
    """The vocabulary's state of a submission (:data:`bot.kernel.words.STATES`;
    ``returned``: it has a return not yet answered)."""
    if returned:
        return RETURNED
    if submission.state in (NIL, WITHDRAWN):
        return submission.state
    return LATE if submission.late_seconds else ON_TIME


def _item_note(context: BotContext, item: Item) -> str:
    if item.withdrawn_at:
        return context.t("submissions.note_withdrawn")
    if item.superseded_at:
        return context.t("review.note_superseded")
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
    words = context.words
    now = context.clock()
    lines = [context.t("submissions.mine_title")]
    buttons: list[tuple[str, str]] = []
    listed = hidden = 0
    ids = [submission.id for submission in submissions]
    returns = await storage.reviews.returns_of(ids)
    comments = await storage.reviews.comments_of(ids)
    adopted = await adoptions_for(storage, ids)
    for submission in submissions:
        key, deadline = _deadline_of(calendar, submission)
        target = words.target_key(key, submission.period)
        its_returns = returns.get(submission.id, [])
        state = words.state(state_of(submission, any(r.open for r in its_returns)),
                            submission.late_seconds, submission.nil_reason)
        lines.append(
            context.t("submissions.mine_submission_due", target=target,
                      due=words.due(deadline), state=state) if deadline
            else context.t("submissions.mine_submission", target=target, state=state))
        if submission.id in adopted:
            lines.append(context.t("review.mine_adopted",
                                   levels="、".join(adopted[submission.id])))
        lines += ["  " + line for line in review_history.lines(
            words, its_returns, comments.get(submission.id, []))]
        open_for_changes = deadline is None or now <= deadline.due
        for item in await storage.submissions.items(submission.id):
            if listed >= MAX_LISTED_ITEMS:
                hidden += 1
                continue
            listed += 1
            lines.append(context.t(
                "submissions.mine_item", id=item.id,
                kind=context.t(f"submissions.item_{item.kind}"),
                when=words.moment(datetime.fromisoformat(item.received_at)),
                note=_item_note(context, item)))
            if open_for_changes and item.current and \
                    len(buttons) < MAX_WITHDRAW_BUTTONS:
                buttons.append(Withdraw(item.id).button(
                    context.t("submissions.withdraw_button", id=item.id)))
    if hidden:
        lines.append(context.t("submissions.mine_more", count=hidden))
    rows = [buttons[index:index + 3] for index in range(0, len(buttons), 3)]
    await send_lines(context, update.effective_chat.id, lines, inline(rows) if rows else None)


@liaison_only
@pressed(Withdraw)
async def on_withdraw(update: Update, context: BotContext, who: Who, press: Withdraw) -> None:
    """Before the deadline only; the row stays on record."""
    query = update.callback_query
    storage = context.storage
    item = await storage.submissions.item(press.item_id)
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


def register(app) -> None:
    app.add_handler(CommandHandler("mysubmissions", my_submissions))
    app.add_handler(CallbackQueryHandler(on_withdraw, pattern=Withdraw.pattern()))
