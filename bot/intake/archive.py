"""Archiving a recorded item's file (and its thumbnail) in the media store.

A file Telegram already gave the bot (the same ``file_unique_id``, still in the store) is
not downloaded again. A file over Telegram's 20 MB download limit keeps its reference; a
broken download or a full disk stores nothing. Each outcome is set on the item, and the
receipt says what went wrong (:func:`archive` returns the catalog name of that line).

An item is archived by one task at a time in a process: a second caller (the pending sweep,
:mod:`bot.intake.pending`, and a replayed burst) awaits the first one's outcome.
"""

from __future__ import annotations

import asyncio
import logging

from bot.intake.routing import Incoming
from bot.media.store import DiskFull, DownloadBroken, TooBig
from bot.ptb.context import BotContext

log = logging.getLogger(__name__)


async def archive(context: BotContext, item: Incoming, item_id: int,
                  replayed: bool) -> str | None:
    """Store the item's file (and thumbnail); the name of the problem text, if any.
    ``replayed``: the item was recorded by an earlier run, which may have archived it."""
    running = context.bot_data.archiving
    task = running.get(item_id)
    if task is None:
        task = asyncio.ensure_future(_archive(context, item, item_id, replayed))
        running[item_id] = task
        task.add_done_callback(lambda _: running.pop(item_id, None))
    return await asyncio.shield(task)


async def _archive(context: BotContext, item: Incoming, item_id: int,
                   replayed: bool) -> str | None:
    storage, media = context.storage, context.media
    if replayed:
        recorded = await storage.submissions.item(item_id)
        if recorded is not None and recorded.archived != "pending":
            return None      # done before a crash (the update is being replayed)
    known = await storage.submissions.archived_copy(item.file_unique_id) \
        if item.file_unique_id else None
    if known is not None and media.has(known.media_sha256):
        await storage.submissions.set_archived(item_id, "yes", known.media_sha256,
                                               known.thumb_sha256, known.size)
        return None
    try:
        stored = await media.fetch(context.bot, item.file_id, item.size)
    except TooBig:
        await storage.submissions.set_archived(item_id, "too_big",
                                               thumb_sha256=await _video_thumb(context, item))
        return "too_big"
    except DownloadBroken as error:
        log.warning("download of %s failed: %s", item.file_unique_id, error)
        await storage.submissions.set_archived(item_id, "failed")
        return "broken"
    except DiskFull as error:
        log.error("disk full while storing %s: %s", item.file_unique_id, error)
        await storage.submissions.set_archived(item_id, "failed")
        return "disk_full"
    thumb = None
    try:
        if item.is_image:
            thumb = await _image_thumb(context, item, stored.sha256)
        else:
            thumb = await _video_thumb(context, item)
    except DiskFull as error:
        log.error("disk full while storing a thumbnail: %s", error)
    await storage.submissions.set_archived(item_id, "yes", stored.sha256, thumb, stored.size)
    return None


async def _image_thumb(context: BotContext, item: Incoming, sha256: str) -> str | None:
    """From Telegram's own scaled copy of a photo when it has one (no decoding of the
    original), else made from the stored original."""
    if item.thumb_file_id and item.thumb_side:
        try:
            return await context.media.thumbnail_from_size(context.bot, item.thumb_file_id,
                                                           item.thumb_side)
        except (TooBig, DownloadBroken) as error:
            log.info("Telegram's scaled copy of %s not fetched (%s): made from the original",
                     item.file_unique_id, error)
    return await context.media.thumbnail(sha256)


async def _video_thumb(context: BotContext, item: Incoming) -> str | None:
    """Telegram's own thumbnail of a video, when it has one."""
    if not item.thumb_file_id:
        return None
    try:
        return (await context.media.fetch(context.bot, item.thumb_file_id, None)).sha256
    except (TooBig, DownloadBroken, DiskFull) as error:
        log.info("no thumbnail kept for %s: %s", item.file_unique_id, error)
        return None
