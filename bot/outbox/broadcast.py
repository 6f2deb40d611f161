"""/broadcast: a coordinator's announcement to every active liaison in scope, after a confirm
button, through the outbox (same pacing, exactly once); the result comes when it settles."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.kernel import validation
from bot.ptb.access import Who, coordinator_only
from bot.ptb.buttons import BroadcastDecision
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import pressed, stale_button
from bot.storage.audience import UnitContact
from bot.storage.outbox import Message

MAX_TEXT = 3500      # UTF-16 units, as Telegram counts (its limit is 4,096)


async def _recipients(context: BotContext, scope_unit_id: int | None) -> list[UnitContact]:
    liaisons = await context.storage.audience.liaisons()
    if scope_unit_id is None:
        return liaisons
    scope = await context.storage.units.subtree_ids(scope_unit_id)
    return [contact for contact in liaisons if contact.unit_id in scope]


@coordinator_only
async def broadcast(update: Update, context: BotContext, who: Who) -> None:
    """``/broadcast <text>``: show who it goes to, with a confirm button."""
    parts = (update.effective_message.text or "").split(maxsplit=1)
    text = validation.drop_controls(parts[1]).strip() if len(parts) > 1 else ""
    if not text:
        await update.effective_message.reply_text(context.t("broadcast.usage"))
        return
    if validation.telegram_length(text) > MAX_TEXT:   # the preview must fit in one message
        await update.effective_message.reply_text(context.t("broadcast.too_long"))
        return
    recipients = await _recipients(context, who.scope_unit_id)
    if not recipients:
        await update.effective_message.reply_text(context.t("broadcast.no_liaisons"))
        return
    draft = await context.storage.broadcasts.draft(text, who.scope_unit_id, who.person_id)
    buttons = inline([[
        BroadcastDecision("send", draft.id).button(context.t("broadcast.confirm")),
        BroadcastDecision("cancel", draft.id).button(context.t("broadcast.cancel"))]])
    await update.effective_message.reply_text(
        context.t("broadcast.preview", count=len(recipients), text=text), reply_markup=buttons)


@coordinator_only
@pressed(BroadcastDecision)
async def on_button(update: Update, context: BotContext, who: Who,
                    press: BroadcastDecision) -> None:
    query = update.callback_query
    storage = context.storage
    draft = await storage.broadcasts.get(press.broadcast_id)
    if draft is None or draft.created_by != who.person_id:
        await stale_button(update, context)
        return
    if draft.confirmed_at is not None:
        await query.answer(context.t("broadcast.already"), show_alert=True)
        await query.edit_message_reply_markup(None)
        return
    if press.action == "cancel":
        await query.answer()
        await query.edit_message_text(context.t("broadcast.cancelled"))
        return
    if not await storage.broadcasts.confirm(draft.id):
        await query.answer(context.t("broadcast.already"), show_alert=True)
        return
    recipients = await _recipients(context, draft.scope_unit_id)
    messages = []
    for contact in recipients:
        language = contact.language or context.settings.language
        messages.append(Message(
            0, f"broadcast-{draft.id}", contact.person_id, "broadcast", contact.chat_id,
            context.texts.get(language, "broadcast.message", text=draft.text),
            broadcast_id=draft.id))
    await storage.outbox.add(messages)
    context.sender.wake()
    await query.answer()
    await query.edit_message_text(context.t("broadcast.queued", count=len(messages)))


def register(app) -> None:
    app.add_handler(CommandHandler("broadcast", broadcast))
    app.add_handler(CallbackQueryHandler(on_button, pattern=BroadcastDecision.pattern()))
