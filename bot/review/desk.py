"""/review: a period's submissions, one unit's card at a time, and the paged list.

A card is the unit's photos and videos as one album (Telegram's own copies by ``file_id``;
a file known only to the media store is uploaded from it), then one message: the unit, the
period, the state, its texts, captions and files, what the desk did before (returns,
resubmissions, comments), and the buttons ✅ 采用 (bot.scoring's), ↩️ 退回, 💬 点评,
⏭ 下一个, 📋 列表. Every button is re-checked against the presser's scope: a forged press
for a unit outside it gets the stale-button line, and nobody but a coordinator gets past
the guard.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter

from telegram import (
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.desk.standings import Desk, desk_words, open_desk
from bot.kernel.clock import from_iso
from bot.kernel.schedule import ANYTIME
from bot.kernel.words import Words
from bot.ptb.access import Who, coordinator_only
from bot.ptb.buttons import ReviewComment, ReviewList, ReviewReturn, ReviewShow
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline
from bot.ptb.replies import pressed, send_lines, stale_button
from bot.review import history, walk
from bot.review.walk import Scope
from bot.scoring.adoption import adopt_button, adoptions_for
from bot.storage.reviews import Reviewable
from bot.storage.submissions import Item

log = logging.getLogger(__name__)

ALBUM_MAX = 10                       # Telegram's album: 2 to 10 media
UPLOAD_MAX = 10 * 1024 * 1024        # a photo uploaded from the store: Telegram's limit
LIST_PAGE = 10                       # unit buttons per list page
LIST_ROW = 2                         # unit buttons per row
CARD_TEXT_CHARS = 10_000             # of texts and captions on a card: three messages at most


def _scope_of(desk: Desk, deliverable_id: int, period: str | None) -> Scope | None:
    """A button's deliverable and period, if the calendar still has them."""
    rule = next((rule for rule in desk.calendar.rules if rule.id == deliverable_id), None)
    if rule is None:
        return None
    if rule.kind == ANYTIME:
        return Scope(rule.key, rule.id, None) if period is None else None
    if period is None or all(d.period != period for d in desk.deadlines.get(rule.id, ())):
        return None
    return Scope(rule.key, rule.id, period)


def _target(words: Words, scope: Scope) -> str:
    return words.target_key(scope.key, scope.period) if scope.period else \
        words.deliverable(scope.key)


# ------------------------------------------------------------------ /review


@coordinator_only
async def review(update: Update, context: BotContext, who: Who) -> None:
    message = update.effective_message
    desk = await open_desk(context, who)
    if isinstance(desk, str):
        await message.reply_text(desk)
        return
    chosen = walk.choose(desk.calendar, context.args or [], context.clock())
    if isinstance(chosen, str):
        words = desk_words(context, desk.timezone)
        line = context.t(chosen, text=" ".join(context.args or []),
                         deliverable=words.deliverable("event"))
        if chosen != "review.usage":
            line += "\n" + context.t("review.usage")
        await message.reply_text(line)
        return
    await show_card(context, update.effective_chat.id, desk, chosen, 0)


async def show_card(context: BotContext, chat_id: int, desk: Desk, scope: Scope,
                    index: int) -> bool:
    """Send the card at ``index`` of the walk (the album, then the text with the buttons);
    False when the walk has nothing there."""
    words = desk_words(context, desk.timezone)
    entries = await walk.load(context.storage, desk, scope)
    if not entries:
        await context.bot.send_message(chat_id, context.t("review.empty",
                                                          target=_target(words, scope)))
        return False
    if index >= len(entries):
        return False
    entry = entries[index]
    storage = context.storage
    submission = await storage.submissions.get(entry.id)
    items = [item for item in await storage.submissions.items(entry.id) if item.current]
    not_shown = await _send_album(context, chat_id, items)
    await _send_documents(context, chat_id, items)
    unit = next(unit for unit in desk.units if unit.id == entry.unit_id)
    target = words.target_key(scope.key, entry.period)
    lines = [context.t("review.card_title", unit=unit.name, target=target),
             context.t("review.card_position", number=index + 1, total=len(entries),
                       state=walk.state_text(words, entry)),
             context.t("review.card_sent", when=words.moment(from_iso(
                 submission.first_received_at)))]
    details = submission.details
    if details.get("title"):              # an event report's answers
        lines.append(context.t("review.card_event", title=details["title"],
                               date=details.get("date", ""), place=details.get("place", "")))
    lines += history.lines(words, (await storage.reviews.returns_of([entry.id])).get(
        entry.id, []), (await storage.reviews.comments_of([entry.id])).get(entry.id, []))
    adopted = (await adoptions_for(storage, [entry.id])).get(entry.id)
    if adopted:
        lines.append(context.t("review.card_adopted", levels="、".join(adopted)))
    kinds = Counter(item.kind for item in items)
    lines.append(context.t("review.card_media", photos=kinds["photo"], videos=kinds["video"],
                           documents=kinds["document"]))
    if not_shown:
        lines.append(context.t("review.card_media_not_shown", count=not_shown))
    texts = _texts(context, items)
    lines += texts or [context.t("review.card_no_text")]
    await send_lines(context, chat_id, lines, _card_keyboard(context, scope, index, entry))
    return True


def _texts(context: BotContext, items: list[Item]) -> list[str]:
    """The texts, captions and file names, at most ``CARD_TEXT_CHARS`` characters of text
    (a card is a few messages, never dozens); what is left is counted."""
    lines = []
    room = CARD_TEXT_CHARS
    left = 0
    for item in items:
        if item.kind == "document":
            lines.append(context.t("review.card_file", name=item.file_name or "—"))
        if not item.text:
            continue
        if room <= 0:
            left += len(item.text)
            continue
        text = item.text[:room]
        left += len(item.text) - len(text)
        room -= len(text)
        lines.append(context.t("review.card_text" if item.kind == "text"
                               else "review.card_caption", text=text))
    if left:
        lines.append(context.t("review.card_text_more", count=left))
    return lines


async def _send_album(context: BotContext, chat_id: int, items: list[Item]) -> int:
    """The photos and videos as one album (one photo alone as a photo); returns how many
    were not shown (beyond the album's ten, or neither in Telegram nor in the store)."""
    media = []
    visual = [item for item in items if item.kind in ("photo", "video")]
    for item in visual:
        if len(media) == ALBUM_MAX:
            break
        if item.file_id:
            source: object = item.file_id
        elif item.kind == "photo" and context.media.has(item.media_sha256) and \
                (item.size or 0) <= UPLOAD_MAX:
            source = await asyncio.to_thread(context.media.path_of(item.media_sha256).read_bytes)
        else:
            continue
        media.append(InputMediaPhoto(source) if item.kind == "photo" else InputMediaVideo(source))
    try:
        if len(media) == 1:
            if isinstance(media[0], InputMediaPhoto):
                await context.bot.send_photo(chat_id, media[0].media)
            else:
                await context.bot.send_video(chat_id, media[0].media)
        elif media:
            await context.bot.send_media_group(chat_id, media)
    except TelegramError as error:     # e.g. a file_id Telegram no longer knows
        log.warning("review album not sent: %s", error)
        return len(visual)
    return len(visual) - len(media)


async def _send_documents(context: BotContext, chat_id: int, items: list[Item]) -> None:
    """The files sent as documents (a plan, a scan), by Telegram's file_id: one album of
    up to ten (one alone as a document); their names are on the card either way."""
    found = [InputMediaDocument(item.file_id) for item in items
             if item.kind == "document" and item.file_id][:ALBUM_MAX]
    try:
        if len(found) == 1:
            await context.bot.send_document(chat_id, found[0].media)
        elif found:
            await context.bot.send_media_group(chat_id, found)
    except TelegramError as error:
        log.warning("review documents not sent: %s", error)


def _card_keyboard(context: BotContext, scope: Scope, index: int,
                   entry: Reviewable) -> InlineKeyboardMarkup:
    adopt = adopt_button(entry.id, context.lang)
    first = [(adopt.text, adopt.callback_data)]
    if not entry.returned:
        first.append(ReviewReturn(entry.id).button(context.t("review.button_return")))
    first.append(ReviewComment(entry.id).button(context.t("review.button_comment")))
    return inline([first, [
        ReviewShow(scope.deliverable_id, index + 1, scope.period).button(
            context.t("review.button_next")),
        ReviewList(scope.deliverable_id, index // LIST_PAGE, True, scope.period).button(
            context.t("review.button_list"))]])


# ------------------------------------------------------------------ buttons


async def _pressed_scope(context: BotContext, who: Who, deliverable_id: int,
                         period: str | None) -> tuple[Desk | str, Scope | None]:
    """The desk as this coordinator sees it now and the pressed button's scope in it
    (None: the button is stale)."""
    desk = await open_desk(context, who)
    scope = _scope_of(desk, deliverable_id, period) if not isinstance(desk, str) else None
    return desk, scope


@coordinator_only
@pressed(ReviewShow)
async def on_show(update: Update, context: BotContext, who: Who, press: ReviewShow) -> None:
    """⏭ next, or a unit chosen from the list."""
    query = update.callback_query
    desk, scope = await _pressed_scope(context, who, press.deliverable_id, press.period)
    if scope is None or press.index < 0:
        await stale_button(update, context)
        return
    await query.answer()
    if not await show_card(context, update.effective_chat.id, desk, scope, press.index):
        await context.bot.send_message(update.effective_chat.id, context.t("review.last_card"))


@coordinator_only
@pressed(ReviewList)
async def on_list(update: Update, context: BotContext, who: Who, press: ReviewList) -> None:
    """📋 the walk's units, a page at a time; a unit's button opens its card."""
    query = update.callback_query
    desk, scope = await _pressed_scope(context, who, press.deliverable_id, press.period)
    if scope is None:
        await stale_button(update, context)
        return
    text, markup = await list_page(context, desk, scope, press.page)
    await query.answer()
    if press.fresh:           # from a card: the list comes as a new message
        await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except TelegramError as error:     # e.g. "message is not modified" on a double tap
        log.info("review list not edited: %s", error)


async def list_page(context: BotContext, desk: Desk, scope: Scope, page: int
                    ) -> tuple[str, InlineKeyboardMarkup | None]:
    words = desk_words(context, desk.timezone)
    entries = await walk.load(context.storage, desk, scope)
    pages = max(1, math.ceil(len(entries) / LIST_PAGE))
    page = min(max(page, 0), pages - 1)
    names = {unit.id: unit.name for unit in desk.units}
    returned = sum(1 for entry in entries if entry.returned)
    late = sum(1 for entry in entries if entry.late_seconds and not entry.returned)
    lines = [context.t("review.list_title", target=_target(words, scope), total=len(entries),
                       on_time=len(entries) - late - returned, late=late, returned=returned)]
    if not entries:
        return "\n".join(lines), None
    lines.append(context.t("review.list_page", page=page + 1, pages=pages))
    buttons = []
    for index in range(page * LIST_PAGE, min((page + 1) * LIST_PAGE, len(entries))):
        entry = entries[index]
        unit = names[entry.unit_id]
        label = unit if scope.period else f"{unit} {words.period_key(entry.period)}"
        lines.append(context.t("review.list_line", number=index + 1, unit=label,
                               state=walk.state_text(words, entry)))
        buttons.append(ReviewShow(scope.deliverable_id, index, scope.period).button(
            f"{index + 1}. {label}"[:60]))
    rows = [buttons[i:i + LIST_ROW] for i in range(0, len(buttons), LIST_ROW)]
    paging = []
    if page > 1:
        paging.append(ReviewList(scope.deliverable_id, 0, False, scope.period).button(
            context.t("review.button_first_page")))
    if page > 0:
        paging.append(ReviewList(scope.deliverable_id, page - 1, False, scope.period).button(
            context.t("review.button_previous_page")))
    if page + 1 < pages:
        paging.append(ReviewList(scope.deliverable_id, page + 1, False, scope.period).button(
            context.t("review.button_next_page")))
    if page + 2 < pages:
        paging.append(ReviewList(scope.deliverable_id, pages - 1, False, scope.period).button(
            context.t("review.button_last_page")))
    if paging:
        rows.append(paging)
    return "\n".join(lines), inline(rows)


async def submission_in_scope(context: BotContext, who: Who, submission_id: int):
    """The submission when its unit is in the caller's scope, else None."""
    submission = await context.storage.submissions.get(submission_id)
    if submission is None or not await context.storage.units.in_scope(
            submission.unit_id, who.scope_unit_id):
        return None
    return submission


def register(app) -> None:
    app.add_handler(CommandHandler("review", review))
    app.add_handler(CallbackQueryHandler(on_show, pattern=ReviewShow.pattern()))
    app.add_handler(CallbackQueryHandler(on_list, pattern=ReviewList.pattern()))
