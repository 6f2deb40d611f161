"""/mystatus: a liaison's view of every deliverable, its due time and the unit's state."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.kernel.schedule import ANYTIME, deadlines, unit_state
from bot.outbox import notices as wording
from bot.ptb.access import Who, liaison_only
from bot.ptb.context import BotContext
from bot.texts import Raw

ICONS = {"on_time": "✅", "late": "🕓", "missing": "❌", "not_due": "⏳"}


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
    texts, language = context.texts, context.lang
    lines = [context.t("status.title", unit=unit.name if unit else "?",
                       campaign=calendar.campaign.name)]
    for rule in calendar.rules:
        if rule.kind == ANYTIME:
            continue
        for deadline in deadlines(rule, calendar.campaign.timezone):
            done = await storage.delivered(deadline)
            state = unit_state(deadline, done, liaison.unit_id, now)
            lines.append(context.t(
                "status.line", icon=ICONS[state],
                deliverable=wording.deliverable_name(texts, language, rule.key),
                period=Raw(wording.period_label(texts, language, rule, deadline)),
                due=wording.due_text(texts, language, deadline),
                state=context.t(f"status.state_{state}")))
    for part in wording.split_lines(lines, "…"):
        await update.effective_message.reply_text(part)


def register(app) -> None:
    app.add_handler(CommandHandler("mystatus", my_status))
