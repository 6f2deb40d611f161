"""An entry of the statistics table recorded, whichever way it came (the chat form or a
workbook): stored against the campaign with its lateness, confirmed to the liaison and told
to the unit's coordinators."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.kernel.schedule import deadlines, lateness
from bot.ptb.context import BotContext
from bot.ptb.notify import coordinators_of, tell
from bot.stats.forms import Value
from bot.storage.models import Liaison
from bot.storage.stats import StatsEntry


async def campaign_id(context: BotContext) -> int | None:
    """The campaign entries belong to (None before one is set up)."""
    campaign = await context.storage.campaigns.current()
    return campaign.id if campaign else None


async def late_seconds(context: BotContext, at: datetime) -> int | None:
    """Lateness against the campaign's 'statistics' deadline (None: on time or no calendar)."""
    calendar = await context.storage.campaigns.calendar()
    rule = calendar.rule("statistics") if calendar else None
    if rule is None:
        return None
    found = deadlines(rule, calendar.campaign.timezone)
    return lateness(found[-1], at) if found else None


async def record(update: Update, context: BotContext, liaison: Liaison, form_id: int,
                 values: dict[str, Value], via: str, received: datetime) -> StatsEntry:
    """Store the unit's entry (an earlier one is kept, superseded) and say so."""
    storage = context.storage
    campaign = await campaign_id(context)
    previous = await storage.stats.current(liaison.unit_id, campaign)
    entry = await storage.stats.submit(
        liaison.unit_id, form_id, campaign, values, via, received,
        liaison.person_id, liaison.id, await late_seconds(context, received))
    version = await storage.stats.form(form_id)
    unit = await storage.units.get(liaison.unit_id)
    filled = sum(1 for _, figure in version.form.figures
                 if values.get(figure.key) is not None)
    key = "stats.submitted_again" if previous else "stats.submitted"
    await context.bot.send_message(update.effective_chat.id, context.t(
        key, unit=unit.name, filled=filled, total=len(version.form.figures)))
    for coordinator_id in await coordinators_of(context, liaison.unit_id):
        if coordinator_id != update.effective_user.id:
            await tell(context, coordinator_id, "stats.coordinator_told", unit=unit.name,
                       filled=filled, total=len(version.form.figures), version=form_id)
    return entry
