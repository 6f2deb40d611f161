"""/mystatus: a liaison's view of every deliverable, its due time and the unit's state."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.kernel.schedule import ANYTIME, deadlines, unit_state
from bot.kernel.words import LATE, MISSING, NOT_DUE, ON_TIME, RETURNED, Words
from bot.outbox.notices import heading
from bot.ptb.access import Who, liaison_only
from bot.ptb.context import BotContext
from bot.ptb.replies import send_lines
from bot.scoring.scores import my_points_line

ICONS = {ON_TIME: "✅", LATE: "🕓", MISSING: "❌", NOT_DUE: "⏳", RETURNED: "↩️"}


@liaison_only
async def my_status(update: Update, context: BotContext, who: Who) -> None:
    storage = context.storage
    calendar = await storage.campaigns.calendar()
    if calendar is None:
        await update.effective_message.reply_text(context.t("status.no_campaign"))
        return
    liaison = who.active_liaison
    assert liaison is not None
    unit = await storage.units.get(liaison.unit_id)
    now = context.clock()
    words = Words(context.texts, context.lang, calendar.campaign.timezone)
    lines = [context.t("status.title", unit=unit.name if unit else "?",
                       campaign=calendar.campaign.name)]
    returned = await storage.reviews.returned_periods(liaison.unit_id)
    for rule in calendar.rules:
        if rule.kind == ANYTIME:
            continue
        for deadline in deadlines(rule, calendar.campaign.timezone):
            done = await storage.delivered(deadline)
            state = unit_state(deadline, done, liaison.unit_id, now)
            if (rule.id, deadline.period) in returned:     # bot/review: not delivered again
                state = RETURNED
            lines.append(context.t(
                "status.line", icon=ICONS[state], deliverable=heading(words, rule, deadline),
                due=words.due(deadline), state=words.state(state, done.get(liaison.unit_id))))
    lines.append(await my_points_line(context, liaison.unit_id))
    await send_lines(context, update.effective_chat.id, lines)


def register(app) -> None:
    app.add_handler(CommandHandler("mystatus", my_status))
