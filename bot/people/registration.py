"""Liaison registration (attachment 1) through a unit's invite link, and /profile.

One persistent ConversationHandler: a state per form field, then a summary to confirm or
change a field. The draft lives in ``user_data["form"]``
(:class:`bot.ptb.user_state.RegistrationForm`, persisted), so the form continues where it
stopped after a restart. A unit that has a liaison already gets a pending one, which its
coordinators approve or reject (:mod:`bot.people.replacement`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.kernel import validation
from bot.people import coordinators as coordinator_invites
from bot.people import replacement
from bot.ptb import commands
from bot.ptb.access import who_is
from bot.ptb.buttons import (
    RegistrationBack,
    RegistrationConfirm,
    RegistrationEdit,
    RegistrationField,
    RegistrationGender,
    RegistrationSkip,
)
from bot.ptb.context import BotContext
from bot.ptb.conversation import chat_conversation
from bot.ptb.keyboards import inline, share_contact
from bot.ptb.notify import coordinators_of, tell
from bot.ptb.replies import stale_button
from bot.ptb.user_state import RegistrationForm
from bot.storage.models import LIAISON_FORM_FIELDS


class State(IntEnum):
    NAME = 0
    GENDER = 1
    POSITION = 2
    OFFICE_PHONE = 3
    MOBILE = 4
    FAX = 5
    QQ = 6
    WECHAT = 7
    EMAIL = 8
    ADDRESS = 9
    CONFIRM = 10
    CHOOSE_FIELD = 11


@dataclass(frozen=True)
class Field:
    name: str
    state: State
    optional: bool
    clean: Callable[[str], str]


FIELDS = (
    Field("name", State.NAME, False, lambda raw: validation.name(raw, 40)),
    Field("gender", State.GENDER, False, validation.gender),
    Field("position", State.POSITION, False, lambda raw: validation.name(raw, 60)),
    Field("office_phone", State.OFFICE_PHONE, True, validation.landline),
    Field("mobile", State.MOBILE, False, validation.mobile),
    Field("fax", State.FAX, True, validation.landline),
    Field("qq", State.QQ, True, validation.qq),
    Field("wechat", State.WECHAT, True, validation.wechat),
    Field("email", State.EMAIL, True, validation.email),
    Field("address", State.ADDRESS, True, lambda raw: validation.clean_text(raw, 200)),
)
assert tuple(field.name for field in FIELDS) == LIAISON_FORM_FIELDS
BY_STATE = {field.state: field for field in FIELDS}
BY_NAME = {field.name: field for field in FIELDS}


FORM_BUTTONS = (RegistrationGender, RegistrationSkip, RegistrationConfirm, RegistrationEdit,
                RegistrationField, RegistrationBack)
ANY_FORM_BUTTON = re.compile("|".join(button.pattern().pattern for button in FORM_BUTTONS))


def _form(context: BotContext) -> RegistrationForm:
    return context.user_state.setdefault("form", {})


def leave(context: BotContext) -> RegistrationForm | None:
    """End the form (returned, when there was one)."""
    return context.user_state.pop("form", None)


def _shown(context: BotContext, name: str, value: str | None) -> str:
    if value is None:
        return context.t("registration.not_given")
    if name == "gender":
        return context.t(f"registration.gender_{value}")
    return value


def summary_text(context: BotContext, unit_name: str, values: dict) -> str:
    lines = [context.t("registration.summary_title", unit=unit_name)]
    for field in FIELDS:
        lines.append(context.t("registration.summary_line",
                               label=context.t(f"registration.label_{field.name}"),
                               value=_shown(context, field.name, values.get(field.name))))
    return "\n".join(lines)


async def ask(update: Update, context: BotContext, field: Field) -> State:
    """Ask for one field, with the buttons it needs."""
    chat = update.effective_chat
    question = context.t(f"registration.ask_{field.name}")
    if field.name == "gender":
        markup = inline([[
            RegistrationGender(value).button(context.t(f"registration.gender_{value}"))
            for value in ("male", "female")]])
    elif field.name == "mobile":
        markup = share_contact(context.t("registration.share_contact"))
    elif field.optional:
        markup = inline([[RegistrationSkip(field.name).button(context.t("registration.skip"))]])
    else:
        markup = None
    await context.bot.send_message(chat.id, question, reply_markup=markup)
    return field.state


async def _after_answer(update: Update, context: BotContext, field: Field) -> State:
    form = _form(context)
    if form.get("editing") or field.state == State.ADDRESS:
        form.pop("editing", None)
        return await show_summary(update, context)
    return await ask(update, context, FIELDS[FIELDS.index(field) + 1])


async def show_summary(update: Update, context: BotContext) -> State:
    form = _form(context)
    unit = await context.storage.units.get(form["unit_id"])
    unit_name = unit.name if unit else "?"
    confirm = "registration.confirm" if form["mode"] == "register" else "registration.save"
    buttons = [[RegistrationConfirm().button(context.t(confirm)),
                RegistrationEdit().button(context.t("registration.change"))]]
    await context.bot.send_message(update.effective_chat.id,
                                   summary_text(context, unit_name, form["values"]),
                                   reply_markup=inline(buttons))
    return State.CONFIRM


async def start_with_code(update: Update, context: BotContext) -> State | int:
    """``/start <code>``: a unit's join link starts the form; a coordinator invite is used."""
    code = context.args[0] if context.args else ""
    invite = await context.storage.invites.get(code)
    if invite is not None and invite.kind == "coordinator":
        await coordinator_invites.join(update, context, invite)
        return ConversationHandler.END
    if invite is None or invite.revoked_at is not None or invite.unit_id is None:
        await update.effective_message.reply_text(context.t("registration.bad_code"))
        return ConversationHandler.END
    unit = await context.storage.units.get(invite.unit_id)
    who = await who_is(context, update.effective_user.id)
    if who.liaison is not None:
        if who.liaison.unit_id != invite.unit_id:
            other = await context.storage.units.get(who.liaison.unit_id)
            await update.effective_message.reply_text(
                context.t("registration.liaison_elsewhere", unit=other.name if other else "?"))
        elif who.liaison.status == "pending":
            await update.effective_message.reply_text(
                context.t("registration.still_pending", unit=unit.name))
        else:
            await update.effective_message.reply_text(
                context.t("registration.already_registered", unit=unit.name))
        return ConversationHandler.END
    context.user_state["form"] = {"mode": "register", "unit_id": unit.id, "values": {},
                                  "code": invite.code}
    await update.effective_message.reply_text(context.t("registration.intro", unit=unit.name))
    return await ask(update, context, FIELDS[0])


async def profile(update: Update, context: BotContext) -> State | int:
    """``/profile``: show the stored form with a button to change a field."""
    who = await who_is(context, update.effective_user.id)
    if who.liaison is None:
        await update.effective_message.reply_text(context.t("access.liaisons_only"))
        return ConversationHandler.END
    context.user_state["form"] = {"mode": "profile", "unit_id": who.liaison.unit_id,
                                  "liaison_id": who.liaison.id, "values": who.liaison.form()}
    return await show_summary(update, context)


def field_text_handler(field: Field):
    async def on_text(update: Update, context: BotContext) -> State:
        try:
            value = field.clean(update.effective_message.text)
        except validation.Invalid as problem:
            await update.effective_message.reply_text(context.t(problem.key))
            return await ask(update, context, field)
        _form(context)["values"][field.name] = value
        if field.name == "mobile":
            await update.effective_message.reply_text(
                context.t("registration.mobile_noted", mobile=value),
                reply_markup=ReplyKeyboardRemove())
        return await _after_answer(update, context, field)

    return on_text


async def on_contact(update: Update, context: BotContext) -> State:
    contact = update.effective_message.contact
    field = BY_NAME["mobile"]
    if contact.user_id != update.effective_user.id:
        await update.effective_message.reply_text(context.t("registration.not_own_contact"))
        return await ask(update, context, field)
    try:
        value = validation.contact_phone(contact.phone_number)
    except validation.Invalid as problem:
        await update.effective_message.reply_text(context.t(problem.key))
        return await ask(update, context, field)
    _form(context)["values"]["mobile"] = value
    await update.effective_message.reply_text(
        context.t("registration.mobile_noted", mobile=value), reply_markup=ReplyKeyboardRemove())
    return await _after_answer(update, context, field)


def button_handler(field: Field):
    """Gender choice and the skip button of an optional field (checked against this field)."""

    async def on_button(update: Update, context: BotContext) -> State:
        query = update.callback_query
        gender = RegistrationGender.parse(query.data)
        skip = RegistrationSkip.parse(query.data)
        if gender is not None and field.name == "gender":
            value: str | None = gender.value
        elif skip is not None and field.optional and skip.field == field.name:
            value = None
        else:
            await stale_button(update, context)
            return field.state
        await query.answer()
        await query.edit_message_reply_markup(None)
        _form(context)["values"][field.name] = value
        return await _after_answer(update, context, field)

    return on_button


def wrong_kind_handler(field: Field | None):
    async def on_wrong(update: Update, context: BotContext) -> State:
        await update.effective_message.reply_text(context.t("registration.text_please"))
        if field is None:
            return await show_summary(update, context)
        return await ask(update, context, field)

    return on_wrong


async def on_confirm_buttons(update: Update, context: BotContext) -> State | int:
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)
    if RegistrationEdit.parse(query.data) is not None:
        buttons = [RegistrationField(f.name).button(context.t(f"registration.label_{f.name}"))
                   for f in FIELDS]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([RegistrationBack().button(context.t("registration.back"))])
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("registration.which_field"),
                                       reply_markup=inline(rows))
        return State.CHOOSE_FIELD
    return await submit(update, context)


async def on_choose_field(update: Update, context: BotContext) -> State:
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)
    chosen = RegistrationField.parse(query.data)
    if chosen is None or chosen.field not in BY_NAME:     # back, or a field no longer asked
        return await show_summary(update, context)
    _form(context)["editing"] = chosen.field
    return await ask(update, context, BY_NAME[chosen.field])


async def _join_link_live(context: BotContext, form: RegistrationForm) -> bool:
    """The link the registration started from still works (re-checked when the form is
    confirmed: a coordinator may have issued a new one, revoking it, meanwhile)."""
    invite = await context.storage.invites.get(form.get("code", ""))
    return invite is not None and invite.kind == "unit" and invite.revoked_at is None \
        and invite.unit_id == form["unit_id"]


async def submit(update: Update, context: BotContext) -> int:
    form = leave(context)
    storage = context.storage
    user = update.effective_user
    if not form:
        return ConversationHandler.END
    unit = await storage.units.get(form["unit_id"])
    values = {name: form["values"].get(name) for name in LIAISON_FORM_FIELDS}
    if form["mode"] == "profile":
        current = await storage.liaisons.get(form["liaison_id"])
        if current is None or current.status not in ("active", "pending"):
            await context.bot.send_message(user.id, context.t("registration.profile_gone"))
            return ConversationHandler.END
        await storage.liaisons.update_form(current.id, values)
        await context.bot.send_message(user.id, context.t("registration.profile_saved"))
        return ConversationHandler.END

    if not await _join_link_live(context, form):
        await context.bot.send_message(user.id, context.t("guard.join_link_gone"))
        return ConversationHandler.END
    who = await who_is(context, user.id)
    if who.liaison is not None:
        await context.bot.send_message(user.id, context.t("registration.already_registered",
                                                          unit=unit.name))
        return ConversationHandler.END
    liaison = await storage.liaisons.register(unit.id, user.id, values)
    if liaison.status == "active":
        await context.bot.send_message(user.id, context.t("registration.done", unit=unit.name))
        await commands.publish_for_chat(context.bot, context.texts, user.id, context.lang,
                                        (await who_is(context, user.id)).roles)
        for coordinator_id in await coordinators_of(context, unit.id):
            await tell(context, coordinator_id, "registration.coordinator_new_liaison",
                       unit=unit.name, name=liaison.name, mobile=liaison.mobile)
        return ConversationHandler.END

    await context.bot.send_message(user.id, context.t("registration.awaiting_approval",
                                                      unit=unit.name))
    await replacement.ask_coordinators(context, unit, liaison)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    leave(context)
    await update.effective_message.reply_text(context.t("registration.cancelled"),
                                              reply_markup=ReplyKeyboardRemove())
    return ConversationHandler.END


async def busy(update: Update, context: BotContext) -> None:
    """Another command while the form is open: say how to go on or leave."""
    await update.effective_message.reply_text(context.t("registration.busy"))


def _field_handlers(field: Field) -> list:
    handlers: list = [MessageHandler(filters.TEXT & ~filters.COMMAND, field_text_handler(field))]
    if field.name == "mobile":
        handlers.append(MessageHandler(filters.CONTACT, on_contact))
    on_button = button_handler(field)
    handlers += [CallbackQueryHandler(on_button, pattern=RegistrationGender.pattern()),
                 CallbackQueryHandler(on_button, pattern=RegistrationSkip.pattern())]
    handlers.append(MessageHandler(~filters.COMMAND, wrong_kind_handler(field)))
    return handlers


def conversation() -> ConversationHandler:
    states: dict[object, list] = {field.state: _field_handlers(field) for field in FIELDS}
    states[State.CONFIRM] = [
        CallbackQueryHandler(on_confirm_buttons, pattern=RegistrationConfirm.pattern()),
        CallbackQueryHandler(on_confirm_buttons, pattern=RegistrationEdit.pattern()),
        MessageHandler(~filters.COMMAND, wrong_kind_handler(None)),
    ]
    states[State.CHOOSE_FIELD] = [
        CallbackQueryHandler(on_choose_field, pattern=RegistrationField.pattern()),
        CallbackQueryHandler(on_choose_field, pattern=RegistrationBack.pattern()),
        MessageHandler(~filters.COMMAND, wrong_kind_handler(None)),
    ]
    return chat_conversation(
        entry_points=[
            CommandHandler("start", start_with_code, filters=filters.Regex(r"^/start\s+\S")),
            CommandHandler("profile", profile),
        ],
        states=states,
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(stale_button, pattern=ANY_FORM_BUTTON),
            MessageHandler(filters.COMMAND, busy),
        ],
        name="registration",
        persistent=True,
        allow_reentry=True,
    )


def register(app) -> None:
    app.add_handler(conversation())
