"""Running the application: durable long polling, in production, the demo and the tests.

python-telegram-bot's own Updater confirms a batch's offset as soon as it has queued the
updates, so a crash loses whatever was queued but not handled. Here each batch is stored in
the ``inbox`` table before the next ``getUpdates`` confirms it, marked handled afterwards, and
replayed at start-up; a repeated ``update_id`` is ignored. Updates of one chat are handled in
order; different chats are handled concurrently.

"Handled" marks are written together, at most ``MARK_DELAY`` seconds after the update was
handled: one write for many updates under load. An update handled in the instant before a
crash may therefore be handled again at start-up; intake ignores a message it has recorded.

Poison (issue 13): the updates found unhandled at start-up are replayed one at a time, before
polling, each with its attempt counted in the inbox before it starts and marked handled at
once after it; so when the process dies during a replay, that update is the one it died on.
One found unhandled again (it was cut short twice: first among the others, then alone) is
set aside (``inbox.poisoned_at``), logged, and its sender told; it is never replayed again.

With ``BOT_WEBHOOK_URL`` set, Telegram pushes the updates instead: `WebhookServer` serves the
URL's path (aiohttp), refuses a request without the right ``X-Telegram-Bot-Api-Secret-Token``
with 403, stores the update in the inbox and answers 200 at once (a failed store answers 500,
so Telegram sends it again); from the inbox on it is the same path as a polled update. Polling
starts with ``deleteWebhook``: a webhook left on the token would make every ``getUpdates``
answer 409.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.kernel.batching import DelayedBatch
from bot.kernel.tasks import cancelled
from bot.ops import datafile
from bot.ptb.context import BotApplication
from bot.ptb.guard import ALLOWED_UPDATES as GUARDED_UPDATES
from bot.ptb.ratelimit import retry_seconds
from bot.storage.inbox import StoredUpdate

log = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 64
MAX_BACKOFF_SECONDS = 30.0
EXIT_TOKEN_REFUSED = 5          # 401 from Telegram: systemd restarts (and alerts), a person acts
MARK_DELAY = 0.02
MAX_REPLAYS = 1          # an update cut short again while replayed alone is set aside
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# asked for by getUpdates and setWebhook alike: only what some handler uses (bot.ptb.guard)
ALLOWED_UPDATES = list(GUARDED_UPDATES)


class DurablePoller:
    def __init__(self, app: BotApplication, poll_timeout: int = 10) -> None:
        self.app = app
        self.poll_timeout = poll_timeout
        self._task: asyncio.Task | None = None
        self._in_flight: set[asyncio.Task] = set()
        self._chats: dict[int | None, _ChatTurn] = {}
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_UPDATES)
        self._marks: DelayedBatch[int] = DelayedBatch(MARK_DELAY, self._write_marks)
        # bot.scale.shared.Cluster on PostgreSQL: the stored updates are handled from the
        # inbox by every process, each chat under its lock; this poller only stores them
        self.cluster = None

    @property
    def inbox(self):
        return self.app.bot_data.storage.inbox

    async def start(self, poll: bool = True) -> None:
        """Replay what was stored and not handled; then poll (``poll``), or leave the
        feeding to `accept` (the webhook)."""
        await self.inbox.prune()
        if self.cluster is None:     # (with a cluster, the workers' claims replay them)
            for stored in await self.inbox.unhandled():
                if stored.attempts >= MAX_REPLAYS:
                    await self._set_aside(stored)
                    continue
                log.info("replaying update %s stored before a stop", stored.update_id)
                await self.inbox.count_attempt(stored.update_id)
                await self._handle(stored, None, replay=True)
        if poll:
            self.start_polling()

    def start_polling(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._poll(), name="durable-poller")

    async def stop_polling(self) -> None:
        task, self._task = self._task, None
        await cancelled(task)

    async def stop(self) -> None:
        await self.stop_polling()
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self._marks.drain()

    async def accept(self, updates: list[Update], raw: list[str] | None = None) -> None:
        """Store a batch in the inbox (one transaction), then hand each new one on.
        ``raw``: the updates' JSON as received (else it is made from the objects)."""
        parsed = {update.update_id: update for update in updates}
        pacer = getattr(self.app.bot.rate_limiter, "pacer", None)
        for update in updates:
            if pacer is not None and update.effective_chat is not None:
                pacer.person_acted(update.effective_chat.id)   # as it arrives (ratelimit)
        texts = raw or [json.dumps(update.to_dict(), ensure_ascii=False) for update in updates]
        batch = [StoredUpdate(update.update_id,
                              update.effective_chat.id if update.effective_chat else None,
                              text)
                 for update, text in zip(updates, texts, strict=True)]
        new = await self.inbox.store(batch)
        if self.cluster is not None:
            await self.cluster.received(new, parsed)
            return
        for stored in new:
            self._dispatch(stored, parsed[stored.update_id])

    async def _poll(self) -> None:
        try:
            await self._delete_webhook()
        except InvalidToken:
            return          # token_refused is set: the process stops
        offset = await self.inbox.next_offset()
        backoff = 0.5
        while True:
            if datafile.lost(self.app.bot_data, "the poller"):
                return      # the next getUpdates would confirm updates to a lost file
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES,
                    read_timeout=self.poll_timeout + 10,
                )
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error))
                continue
            except InvalidToken:
                log.critical("the bot token was refused (401: revoked?); stopping")
                self.app.bot_data.token_refused.set()
                return
            except Conflict as error:
                if "webhook is active" in str(error):
                    log.warning("getUpdates refused: a webhook was set on this token since "
                                "start-up (another deployment?); retrying in %.1f s", backoff)
                else:
                    log.warning("getUpdates refused: another process polls with this token "
                                "(%s); retrying in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            except (NetworkError, TelegramError) as error:
                log.warning("getUpdates failed (%s); retrying in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = 0.5
            if not updates:
                continue
            if datafile.lost(self.app.bot_data, "the poller"):
                return      # not stored, not confirmed: Telegram hands them out again
            received = getattr(self.app.bot, "received_json", None)
            await self.accept(updates, received(updates) if received else None)
            offset = updates[-1].update_id + 1

    async def _delete_webhook(self) -> None:
        """Long polling needs the token's webhook gone (kept: the updates waiting)."""
        backoff = 0.5
        while True:
            try:
                await self.app.bot.delete_webhook(drop_pending_updates=False)
                return
            except InvalidToken:
                log.critical("the bot token was refused (401: revoked?); stopping")
                self.app.bot_data.token_refused.set()
                raise
            except TelegramError as error:
                log.warning("deleteWebhook failed (%s); retrying in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _dispatch(self, stored: StoredUpdate, update: Update | None = None) -> None:
        task = asyncio.create_task(self._handle(stored, update))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _set_aside(self, stored: StoredUpdate) -> None:
        await set_aside(self.app, stored, crashes=stored.attempts + 1)   # replays counted

    async def _handle(self, stored: StoredUpdate, update: Update | None,
                      replay: bool = False) -> None:
        """In order within the chat (the chat lock first, so waiting holds no slot);
        ``replay``: marked handled at once."""
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
                if replay:
                    await self.inbox.mark_handled([stored.update_id])
                else:
                    self._marks.add(stored.update_id)
        finally:
            chat.waiting -= 1
            if chat.waiting == 0:
                self._chats.pop(stored.chat_id, None)

    async def _write_marks(self, handled: list[int]) -> None:
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


class WebhookServer:
    """The webhook's HTTP side: POST on the URL's path with Telegram's secret header → the
    inbox (through the poller's `accept`) → 200; anything else is 403 (a wrong or missing
    secret), 400 (not an update) or 404 / 405 (aiohttp's routing)."""

    def __init__(self, app: BotApplication, feed: DurablePoller) -> None:
        self.app = app
        self.feed = feed
        self.settings = app.bot_data.settings
        self._secret = (self.settings.webhook_secret or "").encode()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        web_app = web.Application()
        web_app.router.add_post(self.settings.webhook_path, self._receive)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        host, port = self.settings.webhook_listen
        await web.TCPSite(self._runner, host, port).start()
        await self.app.bot.set_webhook(
            self.settings.webhook_url, secret_token=self.settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        log.info("webhook set: Telegram posts updates to %s, served on %s:%d%s",
                 self.settings.webhook_url, host, port, self.settings.webhook_path)

    async def stop(self) -> None:
        """Stop taking updates (the webhook stays set: Telegram keeps them meanwhile)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook request from %s without the right secret refused",
                        request.remote)
            return web.Response(status=403)
        if datafile.lost(self.app.bot_data, "the webhook"):
            return web.Response(status=503)   # not stored: Telegram sends it again
        raw = await request.text()
        try:
            update = Update.de_json(json.loads(raw), self.app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        try:
            await self.feed.accept([update], [raw])
        except Exception:
            log.exception("update %s could not be stored; Telegram will send it again",
                          update.update_id)
            return web.Response(status=500)
        return web.Response(status=200)


@asynccontextmanager
async def running(app: BotApplication, poll_timeout: int = 1) -> AsyncIterator[BotApplication]:
    """Initialise, start and (on exit) stop the application with the durable poller, or with
    the webhook when ``BOT_WEBHOOK_URL`` is set."""
    # before initialising: the persistence's first read opens (creates) the database
    datafile.refuse_missing_database(app.bot_data.settings)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    poller = DurablePoller(app, poll_timeout)
    webhook = WebhookServer(app, poller) if app.bot_data.settings.webhook_url else None
    cluster = _cluster(app, poller, polls=webhook is None)
    await poller.start(poll=webhook is None and (cluster is None or not cluster.shared))
    try:
        if cluster is not None:
            await cluster.start()
        if webhook is not None:
            await webhook.start()
        yield app
    finally:
        if webhook is not None:
            await webhook.stop()
        if cluster is not None:
            await cluster.stop()
        await poller.stop()
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


async def set_aside(app: BotApplication, stored: StoredUpdate, crashes: int) -> None:
    """An update whose handling was cut short by a crash once more than ``MAX_REPLAYS``
    allows: kept aside for the operator, never handled again, and its sender told."""
    log.error("update %s (chat %s) set aside: its handling was cut short by a crash "
              "%d times; it is not replayed again", stored.update_id, stored.chat_id, crashes)
    services = app.bot_data
    await services.storage.inbox.set_aside(stored.update_id)
    if stored.chat_id is None or stored.chat_id < 0:
        return
    person = await services.storage.people.get(stored.chat_id)
    language = person.language if person else services.settings.language
    try:
        await app.bot.send_message(stored.chat_id,
                                   services.texts.get(language, "record.set_aside"))
    except TelegramError as error:
        log.warning("the sender of update %s was not told: %s", stored.update_id, error)


def _cluster(app: BotApplication, poller: DurablePoller, polls: bool):
    """PostgreSQL: the leader's lock and the shared inbox (bot.scale.shared); the leader
    polls (unless a webhook feeds every process) and does the work of bot.app.lead. SQLite:
    the one process did that at start-up; only the heartbeat runs."""
    from bot.app import lead, shared_database, step_down
    from bot.scale.shared import Cluster

    services = app.bot_data
    if services.storage is None or not hasattr(services.storage, "processes"):
        return None
    shared = shared_database(services)

    async def on_lead() -> None:
        if shared:
            await lead(app)
            if polls:
                poller.start_polling()

    async def on_step_down() -> None:
        if shared:
            await poller.stop_polling()
            await step_down(app)

    cluster = Cluster(app, on_lead, on_step_down)
    if shared:
        poller.cluster = cluster
        services.cluster = cluster
    return cluster


async def serve(app: BotApplication) -> int:
    """Run until SIGINT or SIGTERM (exit code 0), or until the database file is lost
    (:data:`bot.ops.datafile.EXIT_DATABASE_LOST`)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    halted = app.bot_data.halted
    refused = app.bot_data.token_refused
    async with running(app, poll_timeout=30):
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(halted.wait()),
                 asyncio.create_task(refused.wait())]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
    if halted.is_set():
        log.critical("stopped: the database file was lost")
        return datafile.EXIT_DATABASE_LOST
    if refused.is_set():
        log.critical("stopped: Telegram refused the bot token (revoked? see @BotFather)")
        return EXIT_TOKEN_REFUSED
    log.info("stopped")
    return 0
