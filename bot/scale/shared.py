"""Several processes on one PostgreSQL database (issue 18 point 2): what each process runs.

- **Leadership**: a session advisory lock, held on a connection of its own. The process
  holding it leads: it polls ``getUpdates`` (not with a webhook: every process serves that),
  runs the scheduler's jobs and drains the outbox. The others try for the lock every
  :data:`LEADER_RETRY` seconds: a leader killed (its connection closes with it, and the
  server frees the lock at once) is replaced within that time. The outbox's pending →
  sending → sent states and the scheduler's mark are in the database, so the new leader
  loses nothing and sends again only the rows the dead one had in flight.
- **Handling**: every process, the leader too, handles updates from the ``inbox`` table.
  A process claims one chat at a time with a session advisory lock keyed by the chat on its
  own lock connection (``pg_try_advisory_lock``: a chat another process holds is skipped,
  the way ``FOR UPDATE SKIP LOCKED`` skips a row, without a transaction held open for the
  minutes an album's downloads may take); under the lock it reads that chat's unhandled
  updates in order, handles each, marks it handled, and reads again until none is left. One
  chat stays in order; different chats go in parallel, up to :data:`MAX_CHATS` at once in a
  process. A process that dies frees its chats with its connection; their unhandled
  updates are handled by another (intake recognises a message it already recorded).
- **Shared state**: before an update is handled, the conversation states and the user data
  it touches are read from the database into python-telegram-bot's memory (:func:`refresh`),
  so a liaison's next message may land on any process.
- **Wake-ups**: storing an update ``NOTIFY``s the other processes; each also looks every
  :data:`IDLE_POLL` seconds.
- **Albums of a gone process**: an album's claim names the claiming process
  (bot.storage.albums). At each heartbeat a process asks the kernel about the peers of its
  process space (bot.scale.identity) and marks those whose pid runs no more as stopped
  (:func:`find_gone_peers`), then arms its own window job for every album whose claim's
  owner is gone (stopped, or its heartbeat stale on another machine) or whose lease lapsed
  (bot.intake.albums.adopt): such an album is finished by a live process within seconds of
  the death, not after the 120 s lease.

On SQLite the one process leads from its start and handles as it always has
(bot.runtime.DurablePoller); only its heartbeat row is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import zlib
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.ext import ConversationHandler

from bot.kernel.batching import DelayedBatch
from bot.ptb.context import BotApplication
from bot.runtime import MAX_REPLAYS, set_aside
from bot.scale import identity
from bot.scale.budget import SendBudget
from bot.scale.identity import Identity
from bot.storage import Storage

log = logging.getLogger(__name__)

LEADER_RETRY = 1.0        # seconds between a follower's tries for the leader's lock
HEARTBEAT_SECONDS = 2.0
IDLE_POLL = 1.0           # a process looks at the inbox at least this often
MAX_CHATS = 64            # chats handled at once in one process
REFILL = 8                # a busy process takes waiting chats this many at a time
CLAIM_INTERVAL = 0.1      # a busy process reads the inbox at most this often
FINISH_DELAY = 0.1        # finished chats are marked and unlocked together, this late
LEADER_CLASS = 3          # advisory lock (class, schema key); bot.storage.pg uses 1 and 2


def chat_key(chat_id: int | None) -> int:
    """A 31-bit lock key for a chat (two chats sharing one only wait for each other)."""
    return zlib.crc32(str(chat_id).encode()) >> 1


class Cluster:
    """This process's part: heartbeat always; on PostgreSQL the leader's lock and the shared
    inbox. ``on_lead`` / ``on_step_down``: coroutines starting and stopping the leader's
    work (bot.runtime.running gives them)."""

    def __init__(self, app: BotApplication, on_lead, on_step_down) -> None:
        self.app = app
        self.on_lead = on_lead
        self.on_step_down = on_step_down
        self.storage = app.bot_data.storage
        self.db = self.storage.db
        self.shared = getattr(self.db, "dialect", "sqlite") == "postgresql"
        self.leading = False
        self.handled = 0
        self.started_at = datetime.now(UTC)
        self.me = app.bot_data.process or identity.this_process()
        self.parsed: dict[int, Update] = {}      # updates this process received, by id
        self._leader_conn = None
        self._lock_conn = None
        self._lock_mutex = asyncio.Lock()
        self._lock_statements: dict[str, Any] = {}   # prepared on the lock connection
        self._tasks: list[asyncio.Task] = []
        self._chats: dict[int | None, asyncio.Task] = {}   # claimed, until unlocked
        self._held: dict[int | None, int] = {}             # chat -> its lock's key
        self._finished: DelayedBatch[tuple[int | None, list[int]]] = \
            DelayedBatch(FINISH_DELAY, self._finish)
        self._wake = asyncio.Event()
        self._stopping = False

    @property
    def channel(self) -> str:
        return f"bot_inbox_{self.db.lock_key}"

    @property
    def schedule_channel(self) -> str:
        return f"bot_schedule_{self.db.lock_key}"

    async def ask_leader_to_rebuild(self) -> None:
        """A calendar changed in a process that does not lead: the leader rebuilds its jobs
        (and its safety tick catches up meanwhile)."""
        try:
            await self.db.execute(f"NOTIFY {self.schedule_channel}")
        except Exception:
            log.warning("could not ask the leader to rebuild the schedule; its tick "
                        "catches up")

    def _schedule_changed(self, *_: Any) -> None:
        if self.leading and not self._stopping:
            from bot.outbox import jobs

            task = asyncio.create_task(jobs.rebuild(self.app))
            self._tasks.append(task)

    # -- start and stop ------------------------------------------------------------------

    async def start(self) -> None:
        if not self.shared:
            self.leading = True
            await self.on_lead()
        else:
            self._lock_conn = await self.db.connect()
            await self._lock_conn.add_listener(self.channel, self._notified)
            await self._lock_conn.add_listener(self.schedule_channel, self._schedule_changed)
            await self._share_the_budget()
            await self._try_lead()           # a lone process leads before start() returns
            self._tasks.append(asyncio.create_task(self._lead_loop(), name="leader"))
            self._tasks.append(asyncio.create_task(self._inbox_loop(), name="shared inbox"))
        await self._beat()
        self._tasks.append(asyncio.create_task(self._beat_loop(), name="heartbeat"))

    async def _share_the_budget(self) -> None:
        """This process's pacer takes its share of the token's send budget (bot.scale.budget)
        before anything is sent; the share is given back at shutdown (bot.app), after the
        last send."""
        pacer = getattr(self.app.bot.rate_limiter, "pacer", None)
        if pacer is None or self.app.bot_data.budget is not None:
            return
        budget = SendBudget(pacer, self.storage.send_budget, self.me.id)
        await budget.start()
        self.app.bot_data.budget = budget

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._chats:
            await asyncio.gather(*self._chats.values(), return_exceptions=True)
        await self._finished.drain()
        if self.leading:
            self.leading = False
            await self.on_step_down()
        for conn in (self._leader_conn, self._lock_conn):
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(Exception):
                    await conn.close()
        self._leader_conn = self._lock_conn = None
        self._lock_statements = {}
        with contextlib.suppress(Exception):
            await self.storage.processes.stopped(self.me.id, self.handled)

    # -- heartbeat -----------------------------------------------------------------------

    async def _beat(self) -> None:
        try:
            me = self.me
            await self.storage.processes.beat(me.id, me.host, me.pid, self.started_at,
                                              self.leading, self.handled, me.pid_space)
        except Exception:
            log.exception("heartbeat could not be written")

    async def _beat_loop(self) -> None:
        from bot.intake import albums

        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await self._beat()
            if self.shared and not self._stopping:
                try:
                    await find_gone_peers(self.storage, self.me)
                    await albums.adopt(self.app)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("the albums of gone processes could not be looked for")

    # -- leadership (PostgreSQL) ---------------------------------------------------------

    async def _try_lead(self) -> None:
        if self._leader_conn is None or self._leader_conn.is_closed():
            self._leader_conn = await self.db.connect()
        got = await self._leader_conn.fetchval("SELECT pg_try_advisory_lock($1, $2)",
                                               LEADER_CLASS, self.db.lock_key)
        if got:
            log.info("this process (%s) leads: it polls, schedules and sends", self.me.id)
            self.leading = True
            await self._beat()
            await self.storage.processes.lead(self.me.id)
            await self.on_lead()

    async def _lead_loop(self) -> None:
        while True:
            await asyncio.sleep(LEADER_RETRY)
            try:
                if self.leading:
                    await self._leader_conn.fetchval("SELECT 1")     # still holding it?
                else:
                    await self._try_lead()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self.leading:
                    # the lock went with the connection: another process may lead now.
                    # Stop (the service manager starts us again) rather than lead twice.
                    log.critical("the leader's database connection was lost (%s): stopping",
                                 error)
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
                log.warning("could not try for the leader's lock: %s", error)

    # -- the shared inbox (PostgreSQL) ---------------------------------------------------

    def _notified(self, *_: Any) -> None:
        self._wake.set()

    async def received(self, stored: list, parsed: dict[int, Update]) -> None:
        """Updates this process stored (poller or webhook): kept parsed for its own
        handling, announced to the others."""
        for item in stored:
            if item.update_id in parsed:
                self.parsed[item.update_id] = parsed[item.update_id]
        if len(self.parsed) > 10_000:        # those another process handled
            for update_id in sorted(self.parsed)[:5_000]:
                self.parsed.pop(update_id, None)
        if stored:
            self._wake.set()
            try:
                await self.db.execute(f"NOTIFY {self.channel}")
            except Exception:
                log.warning("NOTIFY failed; the other processes look within %.0f s", IDLE_POLL)

    async def _inbox_loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._claim()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the inbox could not be read")
            if self._chats:
                # busy: what arrives or finishes meanwhile is taken at the next claim
                # (one read of the inbox for many wake-ups, not one for each)
                await asyncio.sleep(CLAIM_INTERVAL)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(IDLE_POLL):    # not wait_for: see bot.scale.budget
                    await self._wake.wait()

    async def _claim(self) -> None:
        """Take the waiting chats this process has room for: their locks in one statement,
        then their updates in one read (after the locks: a chat another process finished
        meanwhile has none left). Room is taken :data:`REFILL` chats at a time while others
        run, so a busy process does not read the inbox again for every chat it finishes."""
        free = MAX_CHATS - len(self._chats)
        if free <= 0 or (self._chats and free < REFILL):
            return
        wanted, keys = [], set(self._held.values())
        for chat_id in await self.storage.inbox.waiting_chats():
            key = chat_key(chat_id)
            if chat_id in self._chats or key in keys:
                continue        # running here, or sharing a held key (its turn comes next)
            wanted.append(chat_id)
            keys.add(key)
            if len(wanted) >= free:
                break
        claimed = await self._lock_chats(wanted)
        if not claimed:
            return
        waiting: dict[int | None, list] = {chat_id: [] for chat_id in claimed}
        for stored in await self.storage.inbox.unhandled_of_chats(claimed):
            waiting[stored.chat_id].append(stored)
        await self._count_starts(waiting)
        for chat_id, updates in waiting.items():
            self._chats[chat_id] = asyncio.create_task(self._run_chat(chat_id, updates))

    async def _count_starts(self, waiting: dict[int | None, list]) -> None:
        """The poison guard (as the single process's replay, bot.runtime): each claimed
        chat's first update counts an attempt before it starts (one statement for all), so
        a crash during it counts. One that was started before and never finished runs alone,
        marked before the chat's next update, so a crash again names it; one cut short
        more than ``MAX_REPLAYS`` times after its first try is set aside and its sender told."""
        starting = []
        for updates in waiting.values():
            while updates and updates[0].attempts > MAX_REPLAYS:
                poisoned = updates.pop(0)             # every try counted, the first included
                await set_aside(self.app, poisoned, crashes=poisoned.attempts)
            if updates and updates[0].attempts:
                log.info("replaying update %s cut short before", updates[0].update_id)
                del updates[1:]
            if updates:
                starting.append(updates[0].update_id)
        await self.storage.inbox.count_attempts(starting)

    async def _lock_chats(self, chat_ids: list[int | None]) -> list[int | None]:
        """The chats among these whose locks this process took (one statement)."""
        if not chat_ids:
            return []
        by_key = {chat_key(chat_id): chat_id for chat_id in chat_ids}
        async with self._lock_mutex:
            rows = await self._on_lock_conn(
                "SELECT k FROM unnest($2::int[]) AS k WHERE pg_try_advisory_lock($1, k)",
                self.db.lock_key, list(by_key))
        claimed = [by_key[row[0]] for row in rows]
        for chat_id in claimed:
            self._held[chat_id] = chat_key(chat_id)
        return claimed

    async def _unlock_chats(self, chat_ids: list[int | None]) -> None:
        keys = [self._held.pop(chat_id) for chat_id in chat_ids if chat_id in self._held]
        if not keys:
            return
        async with self._lock_mutex:
            await self._on_lock_conn(
                "SELECT pg_advisory_unlock($1, k) FROM unnest($2::int[]) AS k",
                self.db.lock_key, keys)

    async def _on_lock_conn(self, text: str, *args: Any) -> list:
        """``text`` run on the lock connection, prepared there once (the connection's
        asyncpg cache is off: each ``fetch`` would prepare again, a trip more)."""
        statement = self._lock_statements.get(text)
        if statement is None:
            statement = await self._lock_conn.prepare(text)
            self._lock_statements[text] = statement
        return await statement.fetch(*args)

    async def _run_chat(self, chat_id: int | None, waiting: list) -> None:
        handled: list[int] = []
        try:
            for stored in waiting:
                if self._stopping:
                    break
                update = self.parsed.pop(stored.update_id, None) or \
                    Update.de_json(json.loads(stored.raw), self.app.bot)
                try:
                    await refresh(self.app, update)
                    await self.app.process_update(update)
                    # python-telegram-bot marks the user's data for writing only after
                    # the last handler (guard.persist ran before): write it now, before
                    # another process may take the chat's next update
                    await self.app.update_persistence()
                except Exception:
                    log.exception("update %s could not be handled", stored.update_id)
                handled.append(stored.update_id)
                self.handled += 1
        finally:
            self._finished.add((chat_id, handled))

    async def _finish(self, finished: list[tuple[int | None, list[int]]]) -> None:
        """The finished chats' updates marked handled (one write), then their locks given
        back (one statement): marked first, so that no other process takes a chat whose
        handled updates still look waiting."""
        chats = [chat_id for chat_id, _ in finished]
        try:
            handled = [update_id for _, ids in finished for update_id in ids]
            if handled:
                await self.storage.inbox.mark_handled(handled)
        except Exception:
            log.exception("%d handled update(s) could not be marked; they will be handled "
                          "again", sum(len(ids) for _, ids in finished))
        try:
            await self._unlock_chats(chats)
        except Exception:
            log.exception("chat locks could not be given back")
        finally:
            for chat_id in chats:
                self._chats.pop(chat_id, None)
            self._wake.set()


async def find_gone_peers(storage: Storage, me: Identity | None) -> list[str]:
    """Mark as stopped the processes of this process space whose pid runs no more (killed,
    crashed: a predecessor of this one, or a peer); their ids."""
    if me is None or me.pid_space is None:
        return []
    gone = [process_id for process_id, pid in
            await storage.processes.running_in(me.pid_space, besides=me.id)
            if pid == me.pid or not identity.alive(pid)]
    if gone:
        log.warning("process(es) %s found gone: the albums they claimed are taken over",
                    ", ".join(gone))
        await storage.processes.gone(gone)
    return gone


def _conversation_handlers(app: BotApplication) -> list[ConversationHandler]:
    found = getattr(app, "_scale_conversations", None)
    if found is None:
        found = [handler for group in app.handlers.values() for handler in group
                 if isinstance(handler, ConversationHandler) and handler.persistent]
        app._scale_conversations = found      # type: ignore[attr-defined]
    return found


async def refresh(app: BotApplication, update: Update) -> None:
    """Read what another process may have changed into this one's memory: the persistent
    conversations' states for this update's keys and the user's data (one read)."""
    # first write what this process changed and python-telegram-bot marked only after the
    # fact (a job's user data: an album's question waiting for the answer)
    await app.update_persistence()
    wanted: dict[tuple[str, str], tuple[ConversationHandler, tuple]] = {}
    for handler in _conversation_handlers(app):
        try:
            key = handler._get_key(update)
        except RuntimeError:
            continue
        wanted[(handler.name, json.dumps(list(key)))] = (handler, key)
    user = update.effective_user
    states, data = await app.bot_data.storage.conversations.shared_state(
        list(wanted), user.id if user else None)
    for (name, key_json), (handler, key) in wanted.items():
        conversations = handler._conversations
        plain = getattr(conversations, "data", conversations)
        if (name, key_json) in states:
            conversations.update_no_track({key: states[(name, key_json)]})
        else:
            plain.pop(key, None)
    if user is not None:
        current = app._user_data[user.id]
        current.clear()
        if data:
            current.update(data)
        persistence = app.persistence
        if persistence is not None and hasattr(persistence, "_stored_user_data"):
            persistence.remember_stored(user.id, current)
