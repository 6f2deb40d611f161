"""Albums: the parts of one (separate updates sharing a ``media_group_id``) are collected
over a quiet window, then handled as one.

Telegram sends an album as one update per part, with no sign of which part is the last; a
part is stored in the database (``album`` / ``album_part``, :class:`bot.storage.albums.Albums`)
while its update is handled, and moves the album's quiet window on by
:data:`ALBUM_QUIET_SECONDS`. A one-off job (``album <chat> <group>``) then claims the settled
album in the database and hands its parts to the handler of the album's purpose (the intake,
:mod:`bot.intake.receive`, or the event report, :mod:`bot.intake.events`, registered with
:func:`handle`); the parts are marked done only once that handler finished (the burst is
recorded, archived and answered), so a stop or a crash at any moment leaves them waiting, and
:func:`arm_waiting` (at start-up, and from the sweep) arms their windows again.

The window and the claim are wall-clock instants in the database, so several processes on
one database share them: whichever process's job comes first after the window claims the
album, for :data:`CLAIM_LEASE_SECONDS`. The claim names its process: when that process is
gone (bot.scale.shared finds it), any other takes the album over at once (:func:`adopt`,
at each heartbeat). An album whose handling was cut short :data:`MAX_ATTEMPTS` times is set
aside, logged and its sender told.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from telegram.ext import JobQueue

from bot.intake.routing import Incoming
from bot.ptb.context import BotApplication, BotContext
from bot.storage.albums import Claimed, Waiting

log = logging.getLogger(__name__)

ALBUM_QUIET_SECONDS = 1.5
CLAIM_LEASE_SECONDS = 120.0
MAX_ATTEMPTS = 2
# bot.intake.albums.adopt: an album whose claim's owner is gone (or whose lease lapsed) this
# long ago, or left unclaimed this long after its window, gets a job in every process
ADOPT_AFTER_SECONDS = 3.0
LOST_JOB_SECONDS = 30.0

AlbumHandler = Callable[[BotContext, int, int, list[Incoming], dict], Awaitable[None]]


def handle(app: BotApplication, purpose: str, handler: AlbumHandler) -> None:
    """``handler(context, chat_id, person_id, parts, data)`` takes the settled albums of
    ``purpose`` (called from the purpose's ``register``)."""
    app.bot_data.album_handlers[purpose] = handler


async def collect_album(context: BotContext, chat_id: int, user_id: int, incoming: Incoming,
                        purpose: str, **data: object) -> None:
    """Store an album part (``data``: kept with the album, from its first part); the
    purpose's handler takes the parts once no part arrived for the quiet window."""
    group = incoming.media_group_id
    quiet_until = time.time() + ALBUM_QUIET_SECONDS
    added = await context.storage.albums.add_part(
        chat_id, user_id, group, purpose, data, incoming.message_id, incoming.to_json(),
        quiet_until)
    if added or not _armed(context.job_queue, chat_id, group):
        _arm(context.job_queue, Waiting(chat_id, user_id, group, quiet_until))


def _name(chat_id: int, group: str) -> str:
    return f"album {chat_id} {group}"


def _armed(job_queue: JobQueue, chat_id: int, group: str) -> bool:
    return bool(job_queue.get_jobs_by_name(_name(chat_id, group)))


def _arm(job_queue: JobQueue, waiting: Waiting) -> None:
    name = _name(waiting.chat_id, waiting.media_group_id)
    for job in job_queue.get_jobs_by_name(name):
        job.schedule_removal()
    job_queue.run_once(_settle, max(0.0, waiting.due - time.time()) + 0.01,
                       data=(waiting.chat_id, waiting.media_group_id), name=name,
                       chat_id=waiting.chat_id, user_id=waiting.person_id)


def _owner(app: BotApplication) -> str:
    """This process's heartbeat row id, which claims name (bot.scale.identity)."""
    process = app.bot_data.process
    return process.id if process is not None else ""


async def arm_waiting(app: BotApplication, at_start: bool = False,
                      every_claim: bool = False) -> int:
    """Arm the window of every album with parts waiting and no job here (``at_start``:
    first release the claims of gone processes — ``every_claim``: all claims, SQLite's one
    process —); how many were armed."""
    albums = app.bot_data.storage.albums
    now = time.time()
    if at_start:
        await albums.release_claims(_owner(app), now, every=every_claim)
    armed = 0
    for waiting in await albums.waiting(_owner(app), now):
        if at_start or not _armed(app.job_queue, waiting.chat_id, waiting.media_group_id):
            _arm(app.job_queue, waiting)
            armed += 1
    return armed


async def adopt(app: BotApplication) -> int:
    """Several processes: arm a job here for every album whose claim's owner is gone or whose
    lease lapsed (:data:`ADOPT_AFTER_SECONDS` ago), replacing a job set here for that lease,
    and for every album left unclaimed :data:`LOST_JOB_SECONDS` after its window (its job
    was lost with a killed process); how many."""
    now = time.time()
    armed = 0
    queue = app.job_queue
    for waiting in await app.bot_data.storage.albums.waiting(_owner(app), now):
        late = now - waiting.due
        if waiting.claimed and late >= ADOPT_AFTER_SECONDS:
            runs = _runs_at(queue, waiting.chat_id, waiting.media_group_id)
            if runs is None or runs > now + 1.0:
                _arm(queue, waiting)
                armed += 1
        elif late >= LOST_JOB_SECONDS and not _armed(queue, waiting.chat_id,
                                                      waiting.media_group_id):
            _arm(queue, waiting)
            armed += 1
    return armed


def _runs_at(job_queue: JobQueue, chat_id: int, group: str) -> float | None:
    """When this process's job for the album runs next (Unix seconds), None without one."""
    times = [job.next_t.timestamp() for job in job_queue.get_jobs_by_name(_name(chat_id, group))
             if job.next_t is not None]
    return min(times) if times else None


async def _settle(context: BotContext) -> None:
    """The window's job: claim the settled album and hand it to its purpose's handler."""
    chat_id, group = context.job.data
    storage = context.storage
    if context.bot_data.cluster is not None and await storage.inbox.unhandled_of_chats([chat_id]):
        # several processes (bot.scale): the chat has updates stored and not yet handled —
        # a part may be among them (its process was killed, the next one is taking the chat
        # over): the window is not quiet yet
        _arm(context.job_queue, Waiting(chat_id, context.job.user_id, group,
                                        time.time() + ALBUM_QUIET_SECONDS))
        return
    found = await storage.albums.claim(chat_id, group, time.time(), CLAIM_LEASE_SECONDS,
                                       _owner(context.application))
    if isinstance(found, Waiting):
        _arm(context.job_queue, found)        # a later part moved the window on
        return
    if found is None:
        return
    context.person = await storage.people.get(found.person_id)
    message_ids = [message_id for message_id, _ in found.parts]
    if found.attempts > MAX_ATTEMPTS:
        await _set_aside(context, found, message_ids)
        return
    handler = context.bot_data.album_handlers[found.purpose]
    await handler(context, found.chat_id, found.person_id,
                  [Incoming.from_json(part) for _, part in found.parts], found.data)
    # a burst waiting for a choice is in the user's data: write it before the next update,
    # which on PostgreSQL reads the user's data back from the database (bot.scale.shared).
    # python-telegram-bot marks a job's user for writing only after the job returns.
    context.application.mark_data_for_update_persistence(user_ids=found.person_id)
    await context.application.update_persistence()
    if await storage.albums.finish(found.id, message_ids):
        _arm(context.job_queue, Waiting(chat_id, found.person_id, group, time.time()))


async def _set_aside(context: BotContext, found: Claimed, message_ids: list[int]) -> None:
    log.error("album %s of chat %s set aside: its handling was cut short %d times "
              "(messages %s)", found.media_group_id, found.chat_id, found.attempts - 1,
              message_ids)
    await context.storage.albums.finish(found.id, message_ids)
    await context.bot.send_message(found.chat_id, context.t("record.set_aside"))
