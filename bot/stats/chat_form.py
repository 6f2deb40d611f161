"""``/stats``: the statistics table filled in chat, figure by figure, then reviewed and
submitted.

One persistent ConversationHandler; its draft is ``user_state["stats"]`` (persisted after
every update), so a half-filled table survives a restart. The draft keeps the form version
it was begun in. A liaison who had submitted before starts from the review, the values
carried over to the form in use.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable
from enum import IntEnum

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler
from telegram.ext import filters as tg_filters

from bot.kernel.clock import from_iso
from bot.ptb.access import who_is
from bot.ptb.buttons import (
    ButtonData,
    StatsAnswer,
    StatsContinue,
    StatsFigure,
    StatsFigurePage,
    StatsItem,
    StatsRestart,
    StatsSubmit,
    StatsToReview,
)
from bot.ptb.context import BotContext
from bot.ptb.conversation import chat_conversation
from bot.ptb.keyboards import inline, pager
from bot.ptb.replies import send_lines, stale_button
from bot.ptb.user_state import StatsDraft
from bot.stats.entries import campaign_id, record
from bot.stats.forms import BadValue, Figure, Form, Item, Value, parse_value, text_in, values_for
from bot.stats.rendering import short, summary_lines, value_text
from bot.storage.models import Liaison

FORM_BUTTONS = (StatsAnswer, StatsToReview, StatsSubmit, StatsItem, StatsFigure,
                StatsFigurePage, StatsContinue, StatsRestart)
FIGURES_PER_PAGE = 20


class State(IntEnum):
    ASK = 0
    REVIEW = 1
    CHOOSE_FIGURE = 2
    RESUME = 3


def forget(context: BotContext, unit_id: int) -> None:
    """Drop a draft for this unit: its table was submitted another way (a workbook)."""
    draft = context.user_state.get("stats")
    if draft and draft.get("unit_id") == unit_id:
        context.user_state.pop("stats", None)


async def _opened(context: BotContext) -> tuple[StatsDraft, Form] | None:
    """The draft and the form version it is filled against, or None when there is none."""
    draft = context.user_state.get("stats")
    if not draft:
        return None
    version = await context.storage.stats.form(draft["form_id"])
    return (draft, version.form) if version else None


async def _lost(update: Update, context: BotContext) -> int:
    """The draft is gone (submitted from a workbook, or never there): say so and leave."""
    context.user_state.pop("stats", None)
    await context.bot.send_message(update.effective_chat.id, context.t("stats.no_draft"))
    return ConversationHandler.END


DraftStep = Callable[[Update, BotContext, StatsDraft, Form], Awaitable[State | int | None]]


def _with_draft(step: DraftStep) -> Callable[[Update, BotContext], Awaitable[State | int | None]]:
    """A step of the form, handed the draft and its form (like the access guards hand in
    the caller); without a draft the user is told it is gone."""

    @functools.wraps(step)
    async def drafted(update: Update, context: BotContext) -> State | int | None:
        opened = await _opened(context)
        if opened is None:
            return await _lost(update, context)
        return await step(update, context, *opened)

    return drafted


def _draft_button(declaration: type[ButtonData]):
    """A button of the review or the figure choice: a malformed press gets the stale answer;
    any other is answered and its buttons taken away, and the handler is handed the press,
    the draft and its form (without a draft the user is told it is gone)."""

    def wrap(handler: Callable[..., Awaitable[State | int | None]]
             ) -> Callable[[Update, BotContext], Awaitable[State | int | None]]:
        @functools.wraps(handler)
        async def pressed(update: Update, context: BotContext) -> State | int | None:
            query = update.callback_query
            data = declaration.parse(query.data)
            if data is None:
                await stale_button(update, context)
                return None
            await query.answer()
            await query.edit_message_reply_markup(None)
            opened = await _opened(context)
            if opened is None:
                return await _lost(update, context)
            return await handler(update, context, data, *opened)

        return pressed

    return wrap


def _current(form: Form, draft: StatsDraft) -> tuple[Item, Figure]:
    figures = form.figures
    position = min(max(draft.get("position", 0), 0), len(figures) - 1)
    draft["position"] = position
    return figures[position]


# ------------------------------------------------------------------ beginning

async def start(update: Update, context: BotContext) -> State | int:
    """``/stats``: begin the form, or offer to continue a half-filled one."""
    who = await who_is(context, update.effective_user.id)
    liaison = who.active_liaison
    if liaison is None:
        key = "access.pending_liaison" if who.liaison else "access.liaisons_only"
        await update.effective_message.reply_text(context.t(key))
        return ConversationHandler.END
    draft = context.user_state.get("stats")
    if draft and draft.get("unit_id") == liaison.unit_id:
        opened = await _opened(context)
        if opened is not None:
            draft, form = opened
            await update.effective_message.reply_text(
                context.t("stats.resume_offer", filled=len(draft["values"]),
                          total=len(form.figures)),
                reply_markup=inline([[StatsContinue().button(context.t("stats.continue")),
                                      StatsRestart().button(context.t("stats.start_over"))]]))
            return State.RESUME
    return await _begin(update, context, liaison, fresh=False)


async def _begin(update: Update, context: BotContext, liaison: Liaison, fresh: bool
                 ) -> State | int:
    storage = context.storage
    version = await storage.stats.current_form()
    unit = await storage.units.get(liaison.unit_id)
    previous = await storage.stats.current(liaison.unit_id, await campaign_id(context))
    chat_id = update.effective_chat.id
    form = version.form
    if previous is not None and not fresh:
        context.user_state["stats"] = {"form_id": version.id, "unit_id": liaison.unit_id,
                                       "values": values_for(form, previous.figures),
                                       "position": 0, "editing": True}
        await context.bot.send_message(chat_id, context.t(
            "stats.intro_again", unit=unit.name,
            submitted=context.words.moment(from_iso(previous.submitted_at))))
        return await show_review(update, context)
    context.user_state["stats"] = {"form_id": version.id, "unit_id": liaison.unit_id,
                                   "values": {}, "position": 0, "editing": False}
    await context.bot.send_message(chat_id, context.t(
        "stats.intro", unit=unit.name, title=text_in(form.title, context.lang),
        items=len(form.items), figures=len(form.figures), version=version.id))
    return await ask(update, context)


async def on_resume(update: Update, context: BotContext) -> State | int:
    """Continue a half-filled draft, or start over (from the offer or the review)."""
    query = update.callback_query
    await query.answer()
    await query.edit_message_reply_markup(None)
    who = await who_is(context, update.effective_user.id)
    if who.active_liaison is None:
        context.user_state.pop("stats", None)
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("access.liaisons_only"))
        return ConversationHandler.END
    draft = context.user_state.get("stats")
    if StatsRestart.parse(query.data) is not None or not draft:
        return await _begin(update, context, who.active_liaison, fresh=True)
    if draft["editing"]:
        return await show_review(update, context)
    return await ask(update, context)


# ------------------------------------------------------------------ one figure at a time

@_with_draft
async def ask(update: Update, context: BotContext, draft: StatsDraft, form: Form
              ) -> State | int:
    """Ask the current figure: the item and its standard first when the item begins."""
    t = context.t
    item, figure = _current(form, draft)
    index = item.figures.index(figure)
    lines = []
    if index == 0 or draft["editing"]:
        lines.append(t("stats.item_header", number=item.number, total=len(form.items),
                       title=text_in(item.title, context.lang)))
        lines.append(t("stats.standard", standard=text_in(item.standard, context.lang)))
    label = text_in(figure.label, context.lang)
    step = t("stats.step", number=index + 1, total=len(item.figures)) \
        if len(item.figures) > 1 else ""
    if figure.type == "count":
        lines.append(t("stats.ask_count", step=step, label=label, unit=figure.unit))
    elif figure.type == "yesno":
        lines.append(t("stats.ask_yesno", step=step, label=label))
    else:
        lines.append(t("stats.ask_text", step=step, label=label))
    current = draft["values"].get(figure.key)
    if current is not None:
        lines.append(t("stats.current_value", value=value_text(context, figure, current)))
    key = figure.key
    if figure.type == "yesno":
        first_row = [StatsAnswer("yes", key).button(t("stats.yes")),
                     StatsAnswer("no", key).button(t("stats.no"))]
    else:
        first_row = [StatsAnswer("zero", key).button(t("stats.zero_none"))]
    if draft["editing"]:
        second_row = [StatsToReview().button(t("stats.to_review"))]
    else:
        second_row = [StatsAnswer("back", key).button(t("stats.back")),
                      StatsAnswer("skip", key).button(t("stats.skip_item"))]
    await context.bot.send_message(update.effective_chat.id, "\n".join(lines),
                                   reply_markup=inline([first_row, second_row]))
    return State.ASK


async def _advance(update: Update, context: BotContext, form: Form, draft: StatsDraft
                   ) -> State | int:
    if draft["editing"]:
        return await show_review(update, context)
    draft["position"] += 1
    if draft["position"] >= len(form.figures):
        draft["editing"] = True
        draft["position"] = 0
        return await show_review(update, context)
    return await ask(update, context)


@_with_draft
async def on_answer(update: Update, context: BotContext, draft: StatsDraft, form: Form
                    ) -> State | int:
    """A typed answer to the current figure."""
    _, figure = _current(form, draft)
    try:
        value = parse_value(figure, update.effective_message.text)
        if value is None:
            raise BadValue(f"stats.bad_{figure.type}")
    except BadValue as problem:
        await update.effective_message.reply_text(context.t(problem.key, unit=figure.unit or ""))
        return await ask(update, context)
    draft["values"][figure.key] = value
    return await _advance(update, context, form, draft)


async def on_answer_button(update: Update, context: BotContext) -> State | int:
    """0 / none, yes, no, back and skip item: checked against the figure being asked."""
    query = update.callback_query
    pressed = StatsAnswer.parse(query.data)
    opened = await _opened(context)
    if opened is None:
        await query.answer()
        return await _lost(update, context)
    draft, form = opened
    item, figure = _current(form, draft)
    if pressed is None or pressed.figure != figure.key:
        await stale_button(update, context)
        return State.ASK
    action = pressed.action
    if action == "back" and draft["position"] == 0:
        await query.answer(context.t("stats.first_already"))
        return State.ASK
    await query.answer()
    chosen = _button_value(context, figure, action)
    if chosen is None:
        await query.edit_message_reply_markup(None)
    else:
        await query.edit_message_text(query.message.text_html + "\n" + context.t(
            "stats.chosen", value=value_text(context, figure, chosen)))
    if action == "back":
        draft["position"] -= 1
        return await ask(update, context)
    if action == "skip":
        for skipped in item.figures:
            draft["values"].pop(skipped.key, None)
        later = [position for position, (other, _) in enumerate(form.figures)
                 if other.number > item.number]
        if not later:
            draft["editing"] = True
            draft["position"] = 0
            return await show_review(update, context)
        draft["position"] = later[0]
        return await ask(update, context)
    if chosen is None:
        return await ask(update, context)
    draft["values"][figure.key] = chosen
    return await _advance(update, context, form, draft)


def _button_value(context: BotContext, figure: Figure, action: str) -> Value | None:
    """What a 0 / none, yes or no button means for this figure (None: not a value button)."""
    if action == "zero" and figure.type == "count":
        return 0
    if action == "zero" and figure.type == "text":
        return context.t("stats.none_text")
    if action in ("yes", "no") and figure.type == "yesno":
        return action == "yes"
    return None


# ------------------------------------------------------------------ the review

@_with_draft
async def show_review(update: Update, context: BotContext, draft: StatsDraft, form: Form
                      ) -> State | int:
    """Every figure, with a button per item to change it, and the submit button."""
    unit = await context.storage.units.get(draft["unit_id"])
    lines = [context.t("stats.review_title", unit=unit.name if unit else "?",
                       version=draft["form_id"])]
    lines += summary_lines(context, form, draft["values"])
    lines.append(context.t("stats.review_hint"))
    buttons = [StatsItem(item.number).button(short(f"{item.number}. "
                                                   f"{text_in(item.title, context.lang)}"))
               for item in form.items]
    rows = [buttons[index:index + 2] for index in range(0, len(buttons), 2)]
    rows.append([StatsSubmit().button(context.t("stats.submit")),
                 StatsRestart().button(context.t("stats.start_over"))])
    await send_lines(context, update.effective_chat.id, lines, inline(rows))
    return State.REVIEW


@_draft_button(StatsToReview)
async def on_to_review(update: Update, context: BotContext, _: StatsToReview,
                       draft: StatsDraft, form: Form) -> State | int:
    return await show_review(update, context)


@_draft_button(StatsItem)
async def on_item(update: Update, context: BotContext, pressed: StatsItem, draft: StatsDraft,
                  form: Form) -> State | int:
    """An item on the review: its figure asked again, or a choice of its figures."""
    item = form.item(pressed.number)
    if item is None:
        return await show_review(update, context)
    if len(item.figures) == 1:
        return await _edit_figure(update, context, form, draft, item.figures[0].key)
    await context.bot.send_message(update.effective_chat.id,
                                   context.t("stats.which_figure", number=item.number,
                                             title=text_in(item.title, context.lang)),
                                   reply_markup=_figure_picker(context, item, 0))
    return State.CHOOSE_FIGURE


def _figure_picker(context: BotContext, item: Item, page: int) -> InlineKeyboardMarkup:
    """A button per figure of the item, a page at a time (an item may hold 300 figures;
    Telegram takes 100 buttons), then paging and the way back to the review."""
    pages = math.ceil(len(item.figures) / FIGURES_PER_PAGE)
    page = min(max(page, 0), pages - 1)
    shown = item.figures[page * FIGURES_PER_PAGE:(page + 1) * FIGURES_PER_PAGE]
    rows = [[StatsFigure(figure.key).button(short(text_in(figure.label, context.lang)))]
            for figure in shown]
    paging = pager(lambda number: StatsFigurePage(item.number, number).pack(), page, pages,
                   context.t("general.previous"), context.t("general.next"))
    if paging:
        rows.append(paging)
    rows.append([StatsToReview().button(context.t("stats.to_review"))])
    return inline(rows)


async def on_figure_page(update: Update, context: BotContext) -> State | int | None:
    """Another page of the figure choice, in the same message."""
    query = update.callback_query
    press = StatsFigurePage.parse(query.data)
    if press is None:
        await stale_button(update, context)
        return None
    opened = await _opened(context)
    if opened is None:
        await query.answer()
        return await _lost(update, context)
    item = opened[1].item(press.number)
    if item is None or len(item.figures) < 2:
        await stale_button(update, context)
        return None
    await query.answer()
    await query.edit_message_reply_markup(_figure_picker(context, item, press.page))
    return State.CHOOSE_FIGURE


@_draft_button(StatsFigure)
async def on_choose_figure(update: Update, context: BotContext, pressed: StatsFigure,
                           draft: StatsDraft, form: Form) -> State | int:
    return await _edit_figure(update, context, form, draft, pressed.figure)


async def _edit_figure(update: Update, context: BotContext, form: Form, draft: StatsDraft,
                       key: str) -> State | int:
    positions = [position for position, (_, figure) in enumerate(form.figures)
                 if figure.key == key]
    if not positions:
        return await show_review(update, context)
    draft["position"] = positions[0]
    draft["editing"] = True
    return await ask(update, context)


@_draft_button(StatsSubmit)
async def on_submit(update: Update, context: BotContext, _: StatsSubmit, draft: StatsDraft,
                    form: Form) -> int:
    """The review's submit button: the entry stored for the liaison's unit."""
    who = await who_is(context, update.effective_user.id)
    liaison = who.active_liaison
    if liaison is None or liaison.unit_id != draft["unit_id"]:
        context.user_state.pop("stats", None)
        await context.bot.send_message(update.effective_chat.id,
                                       context.t("stats.not_your_unit_anymore"))
        return ConversationHandler.END
    await record(update, context, liaison, draft["form_id"], draft["values"], "chat",
                 context.clock())
    context.user_state.pop("stats", None)
    return ConversationHandler.END


async def pause(update: Update, context: BotContext) -> int:
    """/cancel inside the form: leave it; what was filled stays for /stats."""
    await update.effective_message.reply_text(context.t("stats.paused"))
    return ConversationHandler.END


# ------------------------------------------------------------------ wiring

def conversation() -> ConversationHandler:
    """Only typed answers and the form's own buttons are taken: photos, documents and text
    outside a question go on to the other handlers (a liaison's materials, a workbook)."""
    states = {
        State.ASK: [
            MessageHandler(tg_filters.TEXT & ~tg_filters.COMMAND, on_answer),
            CallbackQueryHandler(on_answer_button, pattern=StatsAnswer.pattern()),
            CallbackQueryHandler(on_to_review, pattern=StatsToReview.pattern()),
        ],
        State.REVIEW: [
            CallbackQueryHandler(on_submit, pattern=StatsSubmit.pattern()),
            CallbackQueryHandler(on_item, pattern=StatsItem.pattern()),
            CallbackQueryHandler(on_resume, pattern=StatsRestart.pattern()),
        ],
        State.CHOOSE_FIGURE: [
            CallbackQueryHandler(on_choose_figure, pattern=StatsFigure.pattern()),
            CallbackQueryHandler(on_figure_page, pattern=StatsFigurePage.pattern()),
            CallbackQueryHandler(on_to_review, pattern=StatsToReview.pattern()),
        ],
        State.RESUME: [
            CallbackQueryHandler(on_resume, pattern=StatsContinue.pattern()),
            CallbackQueryHandler(on_resume, pattern=StatsRestart.pattern()),
        ],
    }
    # the form's buttons pressed out of step (an old message's): the stale answer
    out_of_step = [CallbackQueryHandler(stale_button, pattern=button.pattern())
                   for button in FORM_BUTTONS]
    return chat_conversation(
        entry_points=[CommandHandler("stats", start)],
        states=states,
        fallbacks=[CommandHandler("cancel", pause), *out_of_step],
        name="stats",
        persistent=True,
        allow_reentry=True,
    )


def register(app) -> None:
    app.add_handler(conversation())
