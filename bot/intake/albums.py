"""Albums: the parts of one (separate updates sharing a ``media_group_id``) are collected
over a quiet window, then handled as one.

Telegram sends an album as one update per part, with no sign of which part is the last; a
part starts (or restarts) a one-off job that runs once no further part arrived for
:data:`ALBUM_QUIET_SECONDS`. The parts wait in ``chat_data["albums"]`` (chat data is not
persisted). Used by the intake (:mod:`bot.intake.receive`) and the event report
(:mod:`bot.intake.events`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.intake.routing import Incoming
from bot.ptb.context import BotContext

ALBUM_QUIET_SECONDS = 1.5


def collect_album(context: BotContext, chat_id: int, user_id: int, incoming: Incoming,
                  callback: Callable[[BotContext], Awaitable[None]], **data: object) -> None:
    """Add an album part; ``callback`` runs once no part arrived for the quiet window, and
    takes the album with :func:`collected` (``data``: kept with the parts)."""
    group = incoming.media_group_id
    albums = context.chat_data.setdefault("albums", {})
    albums.setdefault(group, {"items": [], **data})["items"].append(incoming)
    name = f"album {chat_id} {group}"
    for job in context.job_queue.get_jobs_by_name(name):
        job.schedule_removal()
    context.job_queue.run_once(callback, ALBUM_QUIET_SECONDS, data=group, name=name,
                               chat_id=chat_id, user_id=user_id)


async def collected(context: BotContext) -> dict | None:
    """In the quiet window's job: the album's parts (``items``) and data, taken out of the
    chat's; None when there is nothing (any more). Also identifies the sender, whose
    language the job's answers are in."""
    album = context.chat_data.get("albums", {}).pop(context.job.data, None)
    context.person = await context.storage.people.get(context.job.user_id)
    return album
