"""``build_app(settings)``: the only wiring point."""

from __future__ import annotations

import asyncio
import gc
import logging

import aiohttp
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, Defaults

from bot import __version__
from bot.campaign import deadlines, my_status, setup
from bot.config import FREE_SEND_RATE, Settings
from bot.desk import file_commands as desk_files
from bot.desk import remind as desk_remind
from bot.desk import views as desk_views
from bot.intake import albums, documents, events, mine, pending, receive, sending
from bot.kernel.clock import Clock, system_clock
from bot.kernel.schedule import warm_holidays
from bot.media.store import MediaStore
from bot.ops import datafile
from bot.outbox import broadcast, jobs
from bot.outbox.sender import Sender, concurrency_for
from bot.people import coordinators, registration, replacement, units
from bot.ptb import commands, common, guard
from bot.ptb.context import CONTEXT_TYPES, BotApplication
from bot.ptb.persistence import SQLitePersistence
from bot.ptb.ratelimit import PacedRateLimiter, Pacer
from bot.ptb.request import AiohttpRequest, OutboxApi, UpdatesRequest
from bot.ptb.telegram_bot import TelegramBot
from bot.review import desk as review_desk
from bot.review import remarks as review_remarks
from bot.scale import identity
from bot.scale.shared import find_gone_peers
from bot.scoring import adoption, bulletin, ranking, rules_flow
from bot.stats import chat_form, definitions, totals, workbook_flow
from bot.storage import Storage, maintenance
from bot.texts import Texts

log = logging.getLogger(__name__)

BOT_API_CONNECTIONS = 64
TELEGRAM_API = "https://api.telegram.org/bot"     # python-telegram-bot's default base URL


def build_app(settings: Settings, clock: Clock = system_clock) -> BotApplication:
    storage = Storage(settings.database, clock)
    pacer = pacer_for(settings)
    # the bot is built here, not by the builder: a TelegramBot takes Telegram's harmless
    # refusals (an edit that changes nothing, a callback answer too late) in one place
    telegram_bot = TelegramBot(
        settings.token,
        base_url=settings.api_base_url or TELEGRAM_API,
        base_file_url=settings.download_base_url or "https://api.telegram.org/file/bot",
        request=AiohttpRequest(connection_pool_size=BOT_API_CONNECTIONS),
        get_updates_request=UpdatesRequest(connection_pool_size=1),
        defaults=Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone,
                          link_preview_options=LinkPreviewOptions(is_disabled=True)),
        rate_limiter=PacedRateLimiter(pacer, paid_broadcast=settings.paid_broadcast))
    builder = (
        ApplicationBuilder()
        .bot(telegram_bot)
        .context_types(CONTEXT_TYPES)
        .persistence(SQLitePersistence(storage))
        .post_init(on_startup)
        .post_stop(on_stop)
        .post_shutdown(on_shutdown)
        .updater(None)  # bot.runtime.DurablePoller fetches updates
    )
    app = builder.build()
    services = app.bot_data
    services.settings = settings
    services.texts = Texts.load(default=settings.language)
    services.storage = storage
    services.clock = clock
    services.process = identity.this_process()
    outbox_api = OutboxApi(settings.api_base_url or TELEGRAM_API, settings.token,
                           paid_broadcast=settings.paid_broadcast,
                           connections=concurrency_for(pacer.per_second))
    services.sender = Sender(outbox_api, storage, pacer,
                             on_idle=lambda: jobs.finish_broadcasts(services))
    register_handlers(app)
    return app


def pacer_for(settings: Settings) -> Pacer:
    """The outbox evenly at ``BOT_SEND_RATE``, and no more than that many sends of any kind
    in a second, each counted from its slot until a second after its answer (`Pacer`,
    ``hold``): Telegram counts a send in between, so it never sees more than the rate in a
    second however a busy machine bunches the requests on the way. (Counting at the slot
    alone needed a margin: 29 at 30/s, 97 % at 1,000/s, and still drew 429s on a loaded
    machine.) The price is the round trip: about ``rate / (1 s + round trip)``. With paid
    broadcasts (up to 1,000/s), replies beyond 30 in a second go as paid broadcasts
    (`PacedRateLimiter`)."""
    rate = settings.send_rate
    if rate <= FREE_SEND_RATE:
        return Pacer(per_second=rate, window_cap=max(int(rate), 1))
    return Pacer(per_second=rate, window_cap=int(rate), reply_cap=FREE_SEND_RATE)


def register_handlers(app: BotApplication) -> None:
    """Handler order and groups, in one place.

    Group -100 identifies the person, group 100 persists state; in group 0 the first matching
    handler wins, so conversations come first, then commands and buttons, then the documents
    router and the liaisons' intake, and the catch-alls last.
    """
    guard.register(app)
    # the review desk's question (a return's reason, a comment) before every other
    # conversation: while it is open, the next text answers it, even from a coordinator who
    # is also a liaison in the middle of sending; another command gets "reply or /cancel"
    review_remarks.register_conversation(app)
    registration.register(app)
    replacement.register(app)
    setup.register(app)
    deadlines.register(app)
    chat_form.register(app)
    workbook_flow.register(app)
    totals.register(app)
    definitions.register(app)
    events.register_conversation(app)
    sending.register_conversation(app)
    # the review desk (bot/review/): the card's commands and buttons
    review_desk.register(app)
    common.register_commands(app)
    coordinators.register(app)
    units.register(app)
    desk_views.register(app)
    desk_remind.register(app)
    desk_files.register(app)
    my_status.register(app)
    # scoring (issue 17): 采用 buttons, /scoring, /ranking, /bulletin
    adoption.register(app)
    rules_flow.register(app)
    ranking.register(app)
    bulletin.register(app)
    broadcast.register(app)
    mine.register(app)
    documents.register(app)
    receive.register(app)
    common.register_fallbacks(app)


async def on_startup(app: BotApplication) -> None:
    services = app.bot_data
    settings = services.settings
    await services.storage.open()
    try:        # issue 13 point 3 (the database missing: bot.runtime.running, before this)
        await datafile.refuse_empty_database(settings, services.storage)
    except datafile.StartRefused:
        await services.storage.close()
        raise
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    # file downloads stream through their own client: PTB's download_to_drive reads a
    # whole file into memory; aiohttp spends a fifth of httpx's CPU on a download; the bytes
    # are stored as sent (no decompression)
    http = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=10.0, sock_read=60.0),
        auto_decompress=False)
    services.media = MediaStore(settings.media_dir, http, settings.local_api)
    services.media.prepare()
    # the holiday calendars take ~0.3 s to build: not on the event loop at the first deadline
    await asyncio.to_thread(warm_holidays, services.clock().year)
    await commands.publish_defaults(app.bot, services.texts, services.settings.language)
    if not shared_database(services):      # on PostgreSQL the leader does (bot.scale)
        await lead(app)
    # issue 13: albums a stop left waiting armed again; the claims of gone processes are
    # released (this machine's predecessors whose pid runs no more are found gone first), a
    # live peer's never (bot.storage.albums). SQLite: one process, every claim a
    # predecessor's.
    if shared_database(services):
        await find_gone_peers(services.storage, services.process)
    await albums.arm_waiting(app, at_start=True, every_claim=not shared_database(services))
    datafile.start_watch(app)
    # What start-up made (modules, classes, handlers: ~100,000 objects) lives as long as the
    # bot: frozen out of the collector's full passes, which otherwise walk it all each time
    # and stop every thread meanwhile (25 ms, and over 100 ms on a busy 2-core machine).
    gc.freeze()
    held = await services.storage.db.run(maintenance.counts)
    log.info("bot @%s started: version %s, schema %d, data folder %s, time zone %s; %d units, "
             "%d liaisons, %d messages pending in the outbox", app.bot.username, __version__,
             await services.storage.db.schema_version(), settings.data_dir.resolve(),
             settings.timezone.key, held.units, held.liaisons, held.pending_outbox)


def shared_database(services) -> bool:
    """Several processes may share this database (PostgreSQL): only the leader polls,
    schedules and sends."""
    return getattr(services.storage.db, "dialect", "sqlite") == "postgresql"


async def lead(app: BotApplication) -> None:
    """The leader's work: drain the outbox, the schedule's jobs, the start-up catch-up, the
    sweep of files left pending (SQLite: at start-up; PostgreSQL: on taking the lead)."""
    services = app.bot_data
    await services.sender.start()
    await jobs.rebuild(app)
    await jobs.tick(app)   # catch up on what came due while no leader ran
    pending.start(app)     # issue 13: the sweep of files left pending


async def step_down(app: BotApplication) -> None:
    """Stop the leader's work (a stop; on PostgreSQL another process takes it over)."""
    services = app.bot_data
    await services.sender.stop()
    if app.job_queue is not None:
        for job in app.job_queue.jobs():
            if job.name and job.name.startswith((jobs.JOB_PREFIX, pending.SWEEP_JOB)):
                job.schedule_removal()


async def on_stop(app: BotApplication) -> None:
    """Before the bot's connection closes: let the sends under way finish."""
    await app.bot_data.sender.stop()


async def on_shutdown(app: BotApplication) -> None:
    gc.unfreeze()    # what start-up made may be collected again (tests start many bots)
    if app.bot_data.budget is not None:          # after the last send (bot.scale.budget)
        await app.bot_data.budget.stop()
        app.bot_data.budget = None
    if app.bot_data.media is not None:
        await app.bot_data.media.http.close()
    await app.bot_data.storage.close()
