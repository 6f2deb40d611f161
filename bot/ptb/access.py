"""Who is talking: admin, coordinator (with a scope), liaison or newcomer; and the guards."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update

from bot.ptb.context import BotContext
from bot.storage.models import Coordinator, Liaison


@dataclass(frozen=True)
class Who:
    person_id: int
    is_admin: bool
    coordinator: Coordinator | None
    liaison: Liaison | None  # active or pending

    @property
    def is_coordinator(self) -> bool:
        return self.is_admin or self.coordinator is not None

    @property
    def scope_unit_id(self) -> int | None:
        """None means every unit."""
        if self.is_admin or self.coordinator is None:
            return None
        return self.coordinator.scope_unit_id

    @property
    def active_liaison(self) -> Liaison | None:
        return self.liaison if self.liaison and self.liaison.status == "active" else None

    @property
    def roles(self) -> frozenset[str]:
        roles = set()
        if self.is_coordinator:
            roles.add("coordinator")
        if self.active_liaison:
            roles.add("liaison")
        return frozenset(roles)


async def who_is(context: BotContext, person_id: int) -> Who:
    coordinator, liaison = await context.storage.roles.of(person_id)
    return Who(person_id=person_id, is_admin=person_id in context.settings.admin_ids,
               coordinator=coordinator, liaison=liaison)


Handler = Callable[[Update, BotContext], Awaitable[object]]


def coordinator_only(handler: Callable[[Update, BotContext, Who], Awaitable[object]]) -> Handler:
    """Run the handler for coordinators; anyone else gets one line saying it is not for them."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> object:
        who = await who_is(context, update.effective_user.id)
        if not who.is_coordinator:
            await _refuse(update, context, "access.coordinators_only")
            return None
        return await handler(update, context, who)

    return guarded


def liaison_only(handler: Callable[[Update, BotContext, Who], Awaitable[object]]) -> Handler:
    """Run the handler for active liaisons; others are told how to become one."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> object:
        who = await who_is(context, update.effective_user.id)
        if who.active_liaison is None:
            key = "access.pending_liaison" if who.liaison else "access.liaisons_only"
            await _refuse(update, context, key)
            return None
        return await handler(update, context, who)

    return guarded


async def _refuse(update: Update, context: BotContext, key: str) -> None:
    if update.callback_query:
        await update.callback_query.answer(context.t(key), show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(context.t(key))
