"""采用: the ✅ button the review card carries, the level picker it opens, and the record.

Contract with the review desk (``bot.review``): :func:`adopt_button` is the button for a
submission's card; :func:`adoptions_for` gives the level names a submission was adopted at,
for display. A press is re-checked every time: only a coordinator whose scope covers the
submission's unit may adopt; anyone else, and a forged press, gets the stale-button line.
The unit's liaison is told through the outbox.
"""

from __future__ import annotations

from functools import cache

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.kernel.words import Words
from bot.ptb.access import who_is
from bot.ptb.buttons import AdoptLevel, AdoptSubmission
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import pressed, stale_button
from bot.scoring import ledger
from bot.scoring.rules import Level, points_text
from bot.storage import Storage
from bot.storage.outbox import FIRST, Message
from bot.storage.submissions import Submission
from bot.texts import Texts

LEVELS_PER_ROW = 2


@cache
def _texts() -> Texts:
    return Texts.load()


def adopt_button(submission_id: int, language: str) -> InlineKeyboardButton:
    """The ✅ 采用 button for a review card, labelled in ``language`` (``zh`` / ``en``)."""
    return InlineKeyboardButton(_texts().get(language, "scoring.adopt_button"),
                                callback_data=AdoptSubmission(submission_id).pack())


async def adoptions_for(storage: Storage, submission_ids) -> dict[int, list[str]]:
    """Submission id -> the names (in Chinese, the rules' own) of the levels it was adopted
    at, in the order adopted; submissions never adopted are left out."""
    rules = (await storage.scoring.current()).rules
    found: dict[int, list[str]] = {}
    for adoption in await storage.scoring.adoptions_of(list(submission_ids)):
        level = rules.level(adoption.level)
        found.setdefault(adoption.submission_id, []).append(
            level.name_in("zh") if level else adoption.level)
    return found


async def _allowed(update: Update, context: BotContext, submission_id: int
                   ) -> tuple[Submission, str] | None:
    """The submission and its unit's name when the presser may adopt it, else None."""
    who = await who_is(context, update.effective_user.id)
    if not who.is_coordinator:
        return None
    submission = await context.storage.submissions.get(submission_id)
    if submission is None or submission.state != "open":     # withdrawn, or a nil report
        return None
    if not await context.storage.units.in_scope(submission.unit_id, who.scope_unit_id):
        return None
    unit = await context.storage.units.get(submission.unit_id)
    return submission, unit.name if unit else "?"


async def _target(context: BotContext, submission: Submission) -> str:
    calendar = await context.storage.campaigns.calendar()
    key = next((rule.key for rule in calendar.rules if rule.id == submission.deliverable_id),
               "other") if calendar else "other"
    words = Words(context.texts, context.lang, context.settings.timezone)
    return words.target_key(key, submission.period)


@pressed(AdoptSubmission, alert=True)
async def on_adopt(update: Update, context: BotContext, press: AdoptSubmission) -> None:
    allowed = await _allowed(update, context, press.submission_id)
    if allowed is None:
        await stale_button(update, context, show_alert=True)
        return
    submission, unit = allowed
    rules = (await context.storage.scoring.current()).rules
    done = {adoption.level for adoption in
            await context.storage.scoring.adoptions_of([submission.id])}
    buttons = [AdoptLevel(submission.id, level.key).button(context.t(
        "scoring.level_done" if level.key in done else "scoring.level_button",
        level=level.name_in(context.lang), points=points_text(level.points)))
        for level in rules.levels]
    rows = [buttons[index:index + LEVELS_PER_ROW]
            for index in range(0, len(buttons), LEVELS_PER_ROW)]
    await update.callback_query.answer()
    await context.bot.send_message(
        update.effective_chat.id,
        context.t("scoring.pick_level", unit=unit, target=await _target(context, submission)),
        reply_markup=inline(rows))


@pressed(AdoptLevel, alert=True)
async def on_level(update: Update, context: BotContext, press: AdoptLevel) -> None:
    allowed = await _allowed(update, context, press.submission_id)
    version = await context.storage.scoring.current()
    level = version.rules.level(press.level)
    if allowed is None or level is None:
        await stale_button(update, context, show_alert=True)
        return
    submission, unit = allowed
    async with ledger.lock_for(context.storage):
        adoption = await context.storage.scoring.adopt(
            submission.id, submission.unit_id, submission.deliverable_id, submission.period,
            level.key, level.points, update.effective_user.id, version.id)
    name = level.name_in(context.lang)
    if adoption is None:
        await update.callback_query.answer(context.t("scoring.already_adopted", level=name),
                                           show_alert=True)
        return
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context.t(
        "scoring.adopted", unit=unit, target=await _target(context, submission), level=name,
        points=points_text(level.points)), reply_markup=InlineKeyboardMarkup([]))
    await tell_liaison(context, submission, adoption.id, level)


async def tell_liaison(context: BotContext, submission: Submission, adoption_id: int,
                       level: Level) -> None:
    """The unit's liaison hears of it through the outbox (once, paced, in their language)."""
    storage = context.storage
    liaison = await storage.liaisons.active_for_unit(submission.unit_id)
    person = await storage.people.get(liaison.person_id) if liaison else None
    calendar = await storage.campaigns.calendar()
    if person is None or calendar is None:
        return
    language = person.language or context.settings.language
    words = Words(context.texts, language, calendar.campaign.timezone)
    key = next((rule.key for rule in calendar.rules if rule.id == submission.deliverable_id),
               "other")
    text = words.html("scoring.liaison_adopted", target=words.target_key(key, submission.period),
                      level=level.name_in(language), points=points_text(level.points))
    await storage.outbox.add([Message(submission.deliverable_id, submission.period,
                                      person.telegram_id, f"adoption-{adoption_id}",
                                      person.chat_id, text, priority=FIRST)])
    context.sender.wake()


def register(app) -> None:
    app.add_handler(CallbackQueryHandler(on_adopt, pattern=AdoptSubmission.pattern()))
    app.add_handler(CallbackQueryHandler(on_level, pattern=AdoptLevel.pattern()))
