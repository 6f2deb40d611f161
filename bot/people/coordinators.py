"""Coordinators: one-time invitations (optionally scoped to a unit) and joining with one."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.kernel.text import shortened
from bot.ptb import commands
from bot.ptb.access import Who, coordinator_only, who_is
from bot.ptb.buttons import CoordinatorRevoke
from bot.ptb.context import BotContext
from bot.ptb.keyboards import deep_link, inline
from bot.ptb.notify import tell
from bot.ptb.replies import pressed, stale_button
from bot.storage.coordinators import InviteUnusable
from bot.storage.models import Invite


@coordinator_only
async def add_coordinator(update: Update, context: BotContext, who: Who) -> None:
    """``/addcoordinator [unit]``: a one-time link; the scope is the unit or the inviter's own."""
    storage = context.storage
    unit_name = " ".join(context.args).strip()
    scope_id = who.scope_unit_id
    if unit_name:
        unit = await storage.units.by_name(unit_name)
        if unit is None or not await storage.units.in_scope(unit.id, who.scope_unit_id):
            await update.effective_message.reply_text(
                context.t("units.not_found", name=shortened(unit_name)))
            return
        scope_id = unit.id
    code = await storage.invites.issue_coordinator_code(scope_id, who.person_id)
    scope_unit = await storage.units.get(scope_id) if scope_id is not None else None
    scope_text = scope_unit.name if scope_unit else context.t("coordinators.scope_all")
    link = deep_link(context.bot.username, code)
    await update.effective_message.reply_text(
        context.t("coordinators.invite_created", scope=scope_text, link=link),
        reply_markup=inline([[CoordinatorRevoke(code).button(context.t("coordinators.revoke"))]]),
    )


@pressed(CoordinatorRevoke)
async def on_revoke(update: Update, context: BotContext, press: CoordinatorRevoke) -> None:
    query = update.callback_query
    code = press.code
    invite = await context.storage.invites.get(code)
    who = await who_is(context, update.effective_user.id)
    if not who.is_coordinator:
        await query.answer(context.t("access.coordinators_only"), show_alert=True)
        return
    if invite is None or invite.kind != "coordinator" or not (
            who.is_admin or invite.created_by == who.person_id):
        await stale_button(update, context, show_alert=True)   # forged, or not theirs
        return
    if await context.storage.invites.revoke(code):
        await query.answer()
        await query.edit_message_text(context.t("coordinators.revoked"))
    else:
        await query.answer(context.t("coordinators.cannot_revoke"), show_alert=True)
        await query.edit_message_reply_markup(None)


async def join(update: Update, context: BotContext, invite: Invite) -> None:
    """``/start <code>`` with a coordinator invitation (called by the registration entry)."""
    user = update.effective_user
    storage = context.storage
    who = await who_is(context, user.id)
    if invite.used_by == user.id and who.coordinator is not None:
        await update.effective_message.reply_text(context.t("coordinators.already"))
        return
    try:
        coordinator = await storage.coordinators.accept_invite(invite.code, user.id)
    except InviteUnusable:
        # read again: a race's losers read the invite before the winner used it
        current = await storage.invites.get(invite.code)
        used = current is not None and current.used_at is not None
        key = "coordinators.invite_used" if used else "coordinators.invite_revoked"
        await update.effective_message.reply_text(context.t(key))
        return
    scope_unit = (await storage.units.get(coordinator.scope_unit_id)
                  if coordinator.scope_unit_id is not None else None)
    scope_text = scope_unit.name if scope_unit else context.t("coordinators.scope_all")
    await update.effective_message.reply_text(context.t("coordinators.welcome", scope=scope_text))
    await commands.publish_for_chat(context.bot, context.texts, user.id, context.lang,
                                    (await who_is(context, user.id)).roles)
    if invite.created_by is not None:
        await tell(context, invite.created_by, "coordinators.invite_accepted",
                   name=user.full_name, scope=scope_text)


def register(app) -> None:
    app.add_handler(CommandHandler("addcoordinator", add_coordinator))
    app.add_handler(CallbackQueryHandler(on_revoke, pattern=CoordinatorRevoke.pattern()))
