"""Running the application: durable long polling, in production, the demo and the tests.

python-telegram-bot's own Updater confirms a batch's offset as soon as it has queued the
updates, so a crash loses whatever was queued but not handled. Here each batch is stored in
the ``inbox`` table before the next ``getUpdates`` confirms it, marked handled afterwards, and
replayed at start-up; a repeated ``update_id`` is ignored. Updates of one chat are handled in
order; different chats are handled concurrently.

"Handled" marks are written together, at most ``MARK_DELAY`` seconds after the update was
handled: one write for many updates under load. An update handled in the instant before a
crash may therefore be handled again at start-up; intake ignores a message it has recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.ops import datafile
from bot.ptb.context import BotApplication
from bot.ptb.ratelimit import retry_seconds
from bot.storage.inbox import StoredUpdate

log = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 64
MAX_BACKOFF_SECONDS = 30.0
MARK_DELAY = 0.02


class DurablePoller:
    def __init__(self, app: BotApplication, poll_timeout: int = 10) -> None:
        self.app = app
        self.poll_timeout = poll_timeout
        self._task: asyncio.Task | None = None
        self._in_flight: set[asyncio.Task] = set()
        self._chats: dict[int | None, _ChatTurn] = {}
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_UPDATES)
        self._handled: list[int] = []
        self._marking: asyncio.Task | None = None

    @property
    def inbox(self):
        return self.app.bot_data.storage.inbox

    async def start(self) -> None:
        await self.inbox.prune()
        for stored in await self.inbox.unhandled():
            log.info("replaying update %s stored before a stop", stored.update_id)
            self._dispatch(stored)
        self._task = asyncio.create_task(self._poll(), name="durable-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        if self._marking is not None:
            await asyncio.gather(self._marking, return_exceptions=True)
        await self._write_marks()

    async def _poll(self) -> None:
        offset = await self.inbox.next_offset()
        backoff = 0.5
        while True:
            if datafile.lost(self.app.bot_data, "the poller"):
                return      # the next getUpdates would confirm updates to a lost file
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=Update.ALL_TYPES,
                    read_timeout=self.poll_timeout + 10,
                )
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error))
                continue
            except InvalidToken:
                log.critical("the bot token was refused; stopping to poll")
                raise
            except (NetworkError, Conflict, TelegramError) as error:
                log.warning("getUpdates failed (%s); retrying in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = 0.5
            if not updates:
                continue
            if datafile.lost(self.app.bot_data, "the poller"):
                return      # not stored, not confirmed: Telegram hands them out again
            parsed = {update.update_id: update for update in updates}
            batch = [StoredUpdate(update.update_id,
                                  update.effective_chat.id if update.effective_chat else None,
                                  json.dumps(update.to_dict(), ensure_ascii=False))
                     for update in updates]
            for stored in await self.inbox.store(batch):
                self._dispatch(stored, parsed[stored.update_id])
            offset = updates[-1].update_id + 1

    def _dispatch(self, stored: StoredUpdate, update: Update | None = None) -> None:
        task = asyncio.create_task(self._handle(stored, update))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _handle(self, stored: StoredUpdate, update: Update | None) -> None:
        """In order within the chat (the chat lock first, so waiting holds no slot)."""
        chat = self._chats.setdefault(stored.chat_id, _ChatTurn())
        chat.waiting += 1
        try:
            async with chat.lock, self._slots:
                if update is None:        # replayed from the inbox
                    update = Update.de_json(json.loads(stored.raw), self.app.bot)
                try:
                    await self.app.process_update(update)
                except Exception:
                    log.exception("update %s could not be handled", stored.update_id)
                self._mark_handled(stored.update_id)
        finally:
            chat.waiting -= 1
            if chat.waiting == 0:
                self._chats.pop(stored.chat_id, None)

    def _mark_handled(self, update_id: int) -> None:
        self._handled.append(update_id)
        if self._marking is None:
            self._marking = asyncio.create_task(self._write_marks_soon())

    async def _write_marks_soon(self) -> None:
        await asyncio.sleep(MARK_DELAY)
        self._marking = None
        await self._write_marks()

    async def _write_marks(self) -> None:
        handled, self._handled = self._handled, []
        if not handled:
            return
        try:
            await self.inbox.mark_handled(handled)
        except Exception:
            log.exception("could not mark %d update(s) as handled; they will be handled "
                          "again at the next start", len(handled))


class _ChatTurn:
    """One chat's lock and how many of its updates are waiting or running."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


@asynccontextmanager
async def running(app: BotApplication, poll_timeout: int = 1) -> AsyncIterator[BotApplication]:
    """Initialise, start and (on exit) stop the application with the durable poller."""
    # before initialising: the persistence's first read opens (creates) the database
    datafile.refuse_missing_database(app.bot_data.settings)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    poller = DurablePoller(app, poll_timeout)
    await poller.start()
    try:
        yield app
    finally:
        await poller.stop()
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


async def serve(app: BotApplication) -> int:
    """Run until SIGINT or SIGTERM (exit code 0), or until the database file is lost
    (:data:`bot.ops.datafile.EXIT_DATABASE_LOST`)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    halted = app.bot_data.halted
    async with running(app, poll_timeout=30):
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(halted.wait())]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
    if halted.is_set():
        log.critical("stopped: the database file was lost")
        return datafile.EXIT_DATABASE_LOST
    log.info("stopped")
    return 0
