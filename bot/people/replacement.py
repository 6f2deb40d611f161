"""A second liaison for a unit: the coordinators' approve / reject request and its buttons.

Registration makes the newcomer's liaison row pending when the unit has an active liaison
(:mod:`bot.people.registration`); every coordinator of the unit gets the request here, and
the first decision counts (a later press is told it was decided already). Approving replaces
the active liaison; both people's command menus follow their new roles.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.ptb import commands
from bot.ptb.access import who_is
from bot.ptb.buttons import LiaisonDecision
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.notify import coordinators_of, tell
from bot.ptb.replies import pressed, stale_button
from bot.storage.liaisons import DecisionStale
from bot.storage.models import Liaison, Unit


async def ask_coordinators(context: BotContext, unit: Unit, liaison: Liaison) -> None:
    """Send each coordinator of the unit the request, in the coordinator's language."""
    storage = context.storage
    current = await storage.liaisons.active_for_unit(unit.id)
    for coordinator_id in await coordinators_of(context, unit.id):
        language = await storage.people.language_of(coordinator_id, context.settings.language)
        markup = inline([[
            LiaisonDecision("approve", liaison.id).button(
                context.texts.get(language, "registration.approve")),
            LiaisonDecision("reject", liaison.id).button(
                context.texts.get(language, "registration.reject")),
        ]])
        await tell(context, coordinator_id, "registration.coordinator_replacement", markup,
                   unit=unit.name, name=liaison.name, mobile=liaison.mobile,
                   current=current.name if current else "-")


@pressed(LiaisonDecision)
async def on_decision(update: Update, context: BotContext, press: LiaisonDecision) -> None:
    """A coordinator's approve / reject button for a replacement liaison."""
    query = update.callback_query
    storage = context.storage
    pending = await storage.liaisons.get(press.liaison_id)
    who = await who_is(context, update.effective_user.id)
    if not who.is_coordinator:
        await query.answer(context.t("access.coordinators_only"), show_alert=True)
        return
    if pending is None or not await storage.units.in_scope(pending.unit_id,
                                                           who.scope_unit_id):
        await stale_button(update, context, show_alert=True)   # forged, or not theirs
        return
    try:
        decision = await storage.liaisons.decide(pending.id, press.action == "approve",
                                                 who.person_id)
    except DecisionStale:
        await query.answer(context.t("registration.already_decided"), show_alert=True)
        await query.edit_message_reply_markup(None)
        return
    await query.answer()
    unit = await storage.units.get(pending.unit_id)
    key = "registration.approved_by_you" if decision.liaison.status == "active" \
        else "registration.rejected_by_you"
    await query.edit_message_text(context.t(key, unit=unit.name, name=pending.name))
    if decision.liaison.status == "active":
        await tell(context, pending.person_id, "registration.you_were_approved", unit=unit.name)
        if decision.replaced:
            await tell(context, decision.replaced.person_id, "registration.you_were_replaced",
                       unit=unit.name, name=pending.name)
            await _republish(context, decision.replaced.person_id)
        await _republish(context, pending.person_id)
    else:
        await tell(context, pending.person_id, "registration.you_were_rejected", unit=unit.name)


async def _republish(context: BotContext, person_id: int) -> None:
    """The person's command menu, for the roles they have now."""
    language = await context.storage.people.language_of(person_id, context.settings.language)
    who = await who_is(context, person_id)
    await commands.publish_for_chat(context.bot, context.texts, person_id, language, who.roles)


def register(app) -> None:
    app.add_handler(CallbackQueryHandler(on_decision, pattern=LiaisonDecision.pattern()))
