"""The sweep: files left pending are archived from their stored ``file_id``, at start-up and
every ``BOT_RETRY_SECONDS``; albums whose claim lapsed are picked up again.

An item is recorded ``archived='pending'`` before its file is fetched; a stop or a crash
during the download leaves it so. The replay of its update (or of its album) usually
finishes it; the sweep catches every other case. Each try is counted in the database before
it starts (``item.archive_attempts``), so a download that kills the process counts too; a
failed try leaves the item pending for the next sweep, and after :data:`MAX_ATTEMPTS` tries
the item is marked failed and its liaison told which file to send again. A file too big for
the Bot API is marked so at once, as on arrival.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from bot.intake import albums
from bot.intake.archive import archive
from bot.intake.routing import Incoming
from bot.kernel.clock import from_iso
from bot.ptb.context import BotApplication, BotContext
from bot.storage.submissions import Item

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
SWEEP_JOB = "record sweep"
KEEP_ALBUMS = timedelta(days=2)


def start(app: BotApplication) -> None:
    """The sweep's job: first a second after start-up, then every ``BOT_RETRY_SECONDS``."""
    app.job_queue.run_repeating(sweep, interval=app.bot_data.settings.retry_seconds,
                                first=1.0, name=SWEEP_JOB)


async def sweep(context: BotContext) -> None:
    await albums.arm_waiting(context.application)
    await context.storage.albums.prune(time.time() - KEEP_ALBUMS.total_seconds())
    for item in await context.storage.submissions.pending_items():
        await retry(context, item)


async def retry(context: BotContext, item: Item) -> None:
    storage = context.storage
    attempts = await storage.submissions.count_archive_attempt(item.id)
    if attempts is None:                       # archived meanwhile
        return
    if attempts > MAX_ATTEMPTS:
        await _give_up(context, item)
        return
    incoming = Incoming(item.kind, item.message_id or 0, item.received_at, item.text,
                        item.file_id, item.file_unique_id, item.file_name, item.mime_type,
                        item.size, media_group_id=item.media_group_id)
    problem = await archive(context, incoming, item.id, replayed=True)
    if problem in ("broken", "disk_full"):
        log.warning("pending file of item %d not archived (%s), try %d of %d", item.id,
                    problem, attempts, MAX_ATTEMPTS)
        if attempts < MAX_ATTEMPTS:
            await storage.submissions.set_archived(item.id, "pending")
        else:
            await _tell(context, item)
    elif problem is None:
        log.info("pending file of item %d archived on try %d", item.id, attempts)


async def _give_up(context: BotContext, item: Item) -> None:
    """Tried as often as allowed (the last try was cut short): failed, and the liaison told."""
    await context.storage.submissions.set_archived(item.id, "failed")
    await _tell(context, item)


async def _tell(context: BotContext, item: Item) -> None:
    log.error("the file of item %d (%s) could not be archived after %d tries: its liaison "
              "is asked to send it again", item.id, item.file_name or item.kind, MAX_ATTEMPTS)
    liaison = await context.storage.liaisons.get(item.liaison_id) if item.liaison_id else None
    if liaison is None:
        return
    context.person = await context.storage.people.get(liaison.person_id)
    name = item.file_name or context.t(f"submissions.item_{item.kind}")
    await context.bot.send_message(liaison.person_id, context.t(
        "record.send_again", name=name, sent=context.words.moment(from_iso(item.received_at))))
