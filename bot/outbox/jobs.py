"""JobQueue jobs: the schedule, derived from the database, and the tick that fills the outbox.

Nothing scheduled lives only in memory: :func:`rebuild` (at start-up and after every
calendar change) sets one job per instant at which something comes due, plus a safety tick
every ``TICK_SECONDS``. Each job runs :func:`tick`, which asks the pure
``schedule.plan(notices, since, now)`` what is due since the last processed instant (kept in
the database, so a start-up catches up on what came due while the bot was down), writes one
outbox row per recipient, and wakes the sender.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.kernel import schedule
from bot.kernel.schedule import ANNOUNCE, DIGEST, ONCE, WEEKLY, Notice, Plan
from bot.kernel.words import Words
from bot.outbox import notices
from bot.ptb.context import BotApplication, BotContext, Services
from bot.review import notify as review_notify
from bot.storage.campaigns import Calendar
from bot.storage.outbox import FIRST, Message

log = logging.getLogger(__name__)

TICK_SECONDS = 30
JOB_PREFIX = "schedule"
TICK_JOB = f"{JOB_PREFIX} tick"


def due_job_name(at: datetime) -> str:
    return f"{JOB_PREFIX} due {at.isoformat()}"


async def campaign_notices(services: Services, calendar: Calendar) -> list[Notice]:
    storage = services.storage
    created = await storage.scheduler.campaign_created_at(calendar.campaign.id)
    return schedule.notices(calendar.rules, calendar.campaign.timezone,
                            calendar.campaign.starts_on, created)


async def rebuild(app: BotApplication) -> int:
    """Replace the schedule's jobs by those the database gives now; returns how many.
    In a process that does not lead (bot.scale.shared) the leader is asked to."""
    cluster = app.bot_data.cluster
    if cluster is not None and not cluster.leading:
        await cluster.ask_leader_to_rebuild()
        return 0
    queue = app.job_queue
    for job in queue.jobs():
        if job.name and job.name.startswith(f"{JOB_PREFIX} "):
            job.schedule_removal()
    services = app.bot_data
    now = services.clock()
    calendar = await services.storage.campaigns.calendar()
    times = schedule.next_times(await campaign_notices(services, calendar), now) \
        if calendar else []
    for at in times:
        queue.run_once(on_due, when=max((at - now).total_seconds(), 0.0), data=at,
                       name=due_job_name(at))
    queue.run_repeating(on_tick, interval=TICK_SECONDS, first=TICK_SECONDS, name=TICK_JOB)
    log.info("schedule rebuilt: %d instant(s) ahead", len(times))
    return len(times)


async def on_due(context: BotContext) -> None:
    """A job set for the instant something comes due."""
    await tick(context.application, at=context.job.data)


async def on_tick(context: BotContext) -> None:
    await tick(context.application)


async def tick(app: BotApplication, at: datetime | None = None) -> Plan | None:
    """Write the outbox rows of everything due now (the JobQueue callback, the start-up
    catch-up, and what tests call). ``at``: the instant a job was set for (a job firing a
    moment early still counts as at its time)."""
    services = app.bot_data
    storage = services.storage
    async with services.schedule_lock:
        now = services.clock()
        if at is not None and at > now:
            now = at
        calendar = await storage.campaigns.calendar()
        if calendar is None:
            return None
        created = await storage.scheduler.campaign_created_at(calendar.campaign.id)
        since = await storage.scheduler.processed_until()
        if since is None or (created is not None and since < created):
            since = created or now
        result = schedule.plan(await campaign_notices(services, calendar), since, now)
        for notice in result.skipped:
            log.warning("not sent: %s of %s %s (came due %s, closed %s) — the bot was not "
                        "running, or a later message covers it", notice.kind,
                        notice.key or "campaign", notice.period, notice.at.isoformat(),
                        notice.closes.isoformat())
        written = 0
        for notice in result.send:
            written += await enqueue(services, calendar, notice)
        written += await review_notify.remind_returns(services, calendar, now)
        await storage.scheduler.advance(now)
    if written:
        log.info("%d message(s) written to the outbox", written)
    if services.sender is not None:
        services.sender.wake()
    return result


def _words(services: Services, calendar: Calendar, language: str | None) -> Words:
    """The vocabulary in a recipient's language (the bot's when unknown) and the campaign's
    time zone."""
    return Words(services.texts, language or services.settings.language,
                 calendar.campaign.timezone)


async def enqueue(services: Services, calendar: Calendar, notice: Notice) -> int:
    """One outbox row per recipient of a notice; returns how many were new."""
    if notice.kind == ANNOUNCE:
        messages = await _announcements(services, calendar, notice)
    elif notice.kind == DIGEST:
        messages = await _digests(services, calendar, notice)
    else:
        messages = await _to_missing_liaisons(services, calendar, notice)
    return await services.storage.outbox.add(messages)


async def _to_missing_liaisons(services: Services, calendar: Calendar,
                               notice: Notice) -> list[Message]:
    """Prompts, reminders and overdue notices go to liaisons whose unit has not delivered."""
    storage = services.storage
    rule = next(rule for rule in calendar.rules if rule.id == notice.deliverable_id)
    assert notice.deadline is not None
    done = await storage.delivered(notice.deadline)
    already = await storage.outbox.people_with(rule.id, notice.period, notice.tag)
    messages = []
    rendered: dict[str | None, tuple] = {}     # the same text for every liaison of a language
    for contact in await storage.audience.liaisons():
        if contact.unit_id in done or contact.person_id in already:
            continue
        if contact.language not in rendered:
            words = _words(services, calendar, contact.language)
            rendered[contact.language] = (
                notices.liaison_notice(words, rule, notice),
                notices.start_buttons(words, notice, nil=notice.kind == "prompt"))
        text, buttons = rendered[contact.language]
        messages.append(Message(rule.id, notice.period, contact.person_id, notice.tag,
                                contact.chat_id, text, buttons))
    return messages


async def _announcements(services: Services, calendar: Calendar,
                         notice: Notice) -> list[Message]:
    """The campaign's one-time deliverables (those the unit has not delivered) and the
    weekly rhythm, once per liaison — also to liaisons who register later."""
    storage = services.storage
    tz = calendar.campaign.timezone
    once = [(rule, deadline) for rule in calendar.rules if rule.kind == ONCE
            for deadline in schedule.deadlines(rule, tz)]
    weekly = [rule for rule in calendar.rules if rule.kind == WEEKLY]
    done = {rule.id: await storage.delivered(deadline) for rule, deadline in once}
    already = await storage.outbox.people_with(0, notice.period, notice.tag)
    messages = []
    for contact in await storage.audience.liaisons():
        if contact.person_id in already:
            continue
        open_items = [(rule, deadline) for rule, deadline in once
                      if contact.unit_id not in done[rule.id]]
        if not open_items and not weekly:
            continue
        text = notices.announcement(_words(services, calendar, contact.language),
                                    calendar.campaign.name, calendar.campaign.theme,
                                    open_items, weekly)
        messages.append(Message(0, notice.period, contact.person_id, notice.tag,
                                contact.chat_id, text))
    return messages


async def _digests(services: Services, calendar: Calendar, notice: Notice) -> list[Message]:
    """Each coordinator's digest covers the units in the coordinator's scope."""
    storage = services.storage
    assert notice.deadline is not None
    rule = next(rule for rule in calendar.rules if rule.id == notice.deliverable_id)
    done = await storage.delivered(notice.deadline)
    returned = await storage.reviews.returned_units(rule.id, notice.period)
    units = await storage.audience.units()
    already = await storage.outbox.people_with(rule.id, notice.period, notice.tag)
    messages = []
    for coordinator in await storage.audience.coordinators(services.settings.admin_ids):
        if coordinator.person_id in already:
            continue
        scope = None if coordinator.scope_unit_id is None \
            else await storage.units.subtree_ids(coordinator.scope_unit_id)
        mine = [unit for unit in units if scope is None or unit.unit_id in scope]
        if not mine:
            continue
        parts = notices.digest(_words(services, calendar, coordinator.language), rule,
                               notice.deadline, mine, done, returned)
        for number, part in enumerate(parts, start=1):
            kind = notice.tag if number == 1 else f"{notice.tag}#{number}"
            messages.append(Message(rule.id, notice.period, coordinator.person_id, kind,
                                    coordinator.chat_id, part, priority=FIRST))
    return messages


async def finish_broadcasts(services: Services) -> None:
    """Tell each coordinator whose broadcast has settled how many it reached (once)."""
    storage, texts = services.storage, services.texts
    messages = []
    for broadcast in await storage.broadcasts.finished_unreported():
        if not await storage.broadcasts.mark_reported(broadcast.id):
            continue
        states = await storage.outbox.states_of_broadcast(broadcast.id)
        language = await storage.people.language_of(broadcast.created_by,
                                                    services.settings.language)
        person = await storage.people.get(broadcast.created_by)
        messages.append(Message(
            0, f"broadcast-{broadcast.id}", broadcast.created_by, "broadcast-report",
            person.chat_id if person else broadcast.created_by,
            texts.get(language, "broadcast.report", delivered=states["sent"],
                      unreachable=states["unreachable"], failed=states["failed"]),
            priority=FIRST))
    if messages:
        await storage.outbox.add(messages)
        if services.sender is not None:
            services.sender.wake()
