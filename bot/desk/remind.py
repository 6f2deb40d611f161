"""The "remind them now" button of /missing: remind the liaisons of exactly the units (in
the presser's scope) still missing a deadline, through the outbox and its rate-limited sender.

A press is allowed once an hour per deliverable, period and scope (``desk_reminders.claim``). It
writes one outbox row per liaison (kind ``remind-now-<press>``, so a press is sent once even
across a restart), wakes the sender, and waits for the rows to settle to report to the
presser who was not reached (blocked the bot, or failed after the sender's retries).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.desk.standings import desk_words
from bot.desk.views import edit_view, missing_page, open_deadline
from bot.kernel.schedule import Deadline
from bot.kernel.words import Words
from bot.ptb.access import Who, coordinator_only
from bot.ptb.buttons import DeskRemind
from bot.ptb.context import BotContext
from bot.ptb.replies import pressed, send_lines, stale_button
from bot.storage.outbox import FIRST, PENDING, SENDING, SENT, Message

log = logging.getLogger(__name__)

SETTLE_SECONDS = 15 * 60


@dataclass(frozen=True)
class Reminder:
    """A unit's liaison to remind of a deadline."""
    person_id: int
    unit_name: str


@coordinator_only
@pressed(DeskRemind, alert=True)
async def on_remind(update: Update, context: BotContext, who: Who, press: DeskRemind) -> None:
    """The press: claim it, refresh the list (its button now says when to press again), and
    send in the background."""
    query = update.callback_query
    shown = await open_deadline(context, who, press.deliverable_id, press.period)
    if isinstance(shown, str):
        await query.answer(shown, show_alert=True)
        return
    if shown.desk.rule(press.deliverable_id) is None or \
            (shown.deadline.deliverable_id, shown.deadline.period) != \
            (press.deliverable_id, press.period):
        await stale_button(update, context, show_alert=True)
        return
    deadline, words = shown.deadline, shown.words
    missing_units = shown.standings.missing
    liaisons = await context.storage.liaisons.active_by_unit(unit.id for unit in missing_units)
    reminders = [Reminder(liaisons[unit.id].person_id, unit.name)
                 for unit in missing_units if unit.id in liaisons]
    if not reminders:
        await query.answer(words.html("desk.remind_nobody"), show_alert=True)
        return
    claim = await context.storage.desk_reminders.claim(
        deadline.deliverable_id, deadline.period, who.person_id, who.scope_unit_id)
    if claim.press_id is None:
        await query.answer(words.html("desk.remind_refused", time=words.moment(claim.again_at)),
                           show_alert=True)
        return
    await query.answer(words.html("desk.remind_started", count=len(reminders)))
    text, markup = await missing_page(context, shown)
    await edit_view(query, text, markup)
    context.application.create_task(
        _remind_and_report(context, who, shown.desk.timezone, deadline, reminders,
                           claim.press_id),
        update=update)


async def _remind_and_report(context: BotContext, who: Who, timezone: ZoneInfo,
                             deadline: Deadline, reminders: list[Reminder],
                             press_id: int) -> None:
    unreached = await send_reminders(context, deadline, timezone, reminders, press_id)
    await context.storage.desk_reminders.finish(press_id, len(reminders),
                                                len(reminders) - len(unreached))
    if not context.application.running:
        # stopped before every reminder settled: the rest go after the restart, so naming
        # them as not reached would be wrong
        log.info("reminders of press %s not all settled at shutdown; no report", press_id)
        return
    words = desk_words(context, timezone)
    lines = [words.html("desk.remind_done", target=words.target(deadline),
                        reached=len(reminders) - len(unreached))]
    if unreached:
        lines.append(words.html("desk.remind_unreached",
                                units="、".join(r.unit_name for r in unreached)))
    try:
        await send_lines(context, who.person_id, lines)
    except TelegramError as error:
        log.warning("could not report reminders to %s: %s", who.person_id, error)


async def send_reminders(context: BotContext, deadline: Deadline, timezone: ZoneInfo,
                         reminders: Sequence[Reminder], press_id: int) -> list[Reminder]:
    """Queue each reminder once, in its person's language; returns those not reached."""
    kind = f"remind-now-{press_id}"
    storage = context.storage
    messages = []
    for reminder in reminders:
        person = await storage.people.get(reminder.person_id)
        words = Words(context.texts, person.language if person else context.settings.language,
                      timezone)
        messages.append(Message(
            deadline.deliverable_id, deadline.period, reminder.person_id, kind,
            person.chat_id if person else reminder.person_id,
            words.html("desk.reminder", unit=reminder.unit_name,
                       target=words.target(deadline), due=words.due(deadline)),
            priority=FIRST))        # the coordinator waits for the report of who was reached
    await storage.outbox.add(messages)
    context.sender.wake()
    states = await _settled_states(context, deadline, kind)
    return [reminder for reminder in reminders if states.get(reminder.person_id) != SENT]


async def _settled_states(context: BotContext, deadline: Deadline, kind: str) -> dict[int, str]:
    """person id -> final state of their row (waits while any is pending or being sent)."""
    give_up = time.monotonic() + SETTLE_SECONDS
    while True:
        rows = await context.storage.outbox.rows(deadline.deliverable_id, deadline.period, kind)
        # a stopping bot (or one that stopped leading) sends no more: the rest goes after
        # the restart, and waiting here would hold the shutdown
        if all(row.state not in (PENDING, SENDING) for row in rows) or \
                time.monotonic() > give_up or not context.application.running:
            return {row.person_id: row.state for row in rows}
        await asyncio.sleep(0.2)


def register(app) -> None:
    app.add_handler(CallbackQueryHandler(on_remind, pattern=DeskRemind.pattern()))
