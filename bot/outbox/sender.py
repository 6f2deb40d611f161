"""The sender: drains the outbox under the pacer, one chat's trouble never stopping the rest.

Rows are claimed in batches ahead of their pacing slots (pending -> sending, one statement
for about half a second's worth: 15 rows at 30 a second, 500 at 1,000), then each is sent in
its slot; what was claimed and not sent when the sender stops goes back to pending. Sends go
through `OutboxApi` (a JSON body straight to ``sendMessage``, only the answer's few fields
read: no python-telegram-bot objects), up to ``concurrency`` in flight. Per row, the outcome:
- sent: marked 'sent' together with others, in the next claim's transaction or at most
  ``MARK_INTERVAL`` later (until then it stays 'sending', so a crash in that instant sends
  it again, like a row caught mid-send);
- 429: back to pending after ``retry_after`` (every paced send waits too);
- 403: 'unreachable', and the person is marked unreachable;
- timeouts and other network errors / 5xx: back to pending with growing backoff, 'failed'
  after ``max_attempts``;
- 400 and anything else: 'failed', logged.
Two messages to the same chat are at least ``chat_interval`` seconds apart: a claimed row
whose chat is not ready waits aside (still 'sending') until it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

from bot.ptb.ratelimit import Pacer
from bot.ptb.request import OutboxApi, SendResult
from bot.storage import Storage
from bot.storage.outbox import FAILED, PENDING, UNREACHABLE, OutboxRow

log = logging.getLogger(__name__)


def concurrency_for(per_second: float) -> int:
    """Sends in flight: enough for the pace at up to 100 ms a round trip (a busy machine's).
    Each holds its pacing slot until a second after its answer, so however many are in
    flight, Telegram counts no more than the pacer's cap in any second."""
    return max(8, math.ceil(per_second / 10))

IDLE_POLL_SECONDS = 5.0
MAX_FLOOD_ATTEMPTS = 20
CLAIM_AHEAD_SECONDS = 0.5     # a batch claims this long's worth of slots
MARK_INTERVAL = 0.1           # sent rows wait at most this long for their 'sent' mark


class Sender:
    def __init__(self, api: OutboxApi, storage: Storage, pacer: Pacer, *,
                 chat_interval: float = 1.0, concurrency: int | None = None,
                 max_attempts: int = 5, backoff: tuple[float, ...] = (1, 2, 4, 8, 16, 30),
                 on_idle: Callable[[], Awaitable[None]] | None = None) -> None:
        self.api = api
        self.storage = storage
        self.pacer = pacer
        self.chat_interval = chat_interval
        self.concurrency = concurrency or concurrency_for(pacer.per_second)
        self.batch = max(self.concurrency, math.ceil(pacer.per_second * CLAIM_AHEAD_SECONDS))
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.on_idle = on_idle
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._stopping = False
        self._queue: deque[OutboxRow] = deque()       # claimed, in order, waiting a slot
        self._held: list[OutboxRow] = []              # claimed, their chat not ready yet
        self._refill: asyncio.Task | None = None
        self._exhausted = False                       # the last claim found every row
        self._in_flight: dict[int, asyncio.Task] = {}
        self._retry_at: dict[int, float] = {}
        self._chat_ready: dict[int, float] = {}
        self._settled_since_idle = 0
        self._sent: list[int] = []     # sent, not yet marked so
        self._marking: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        interrupted = await self.storage.outbox.recover_interrupted()
        if interrupted:
            log.warning("%d message(s) were being sent when the bot stopped; sending them "
                        "again (Telegram may have delivered them already)", interrupted)
        await self.api.initialize()
        self._stopping = False
        self._exhausted = False
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(self.concurrency)
        self._task = asyncio.create_task(self._run(), name="outbox sender")

    def wake(self) -> None:
        """New rows were written: look now rather than at the next poll."""
        self._exhausted = False
        if self._wake is not None:
            self._wake.set()

    async def stop(self, timeout: float = 5.0) -> None:
        """Finish the sends under way (up to ``timeout``), give back the rows claimed and
        not sent, then stop."""
        if self._task is None:
            return
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._task.cancel()
            for task in list(self._in_flight.values()):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            await self._give_back()
            await self._write_sent_marks()
        self._task = None
        await self.api.shutdown()

    async def settled(self, timeout: float = 30.0) -> None:
        """Wait until nothing is pending or being sent (tests and the demo)."""
        deadline = time.monotonic() + timeout
        while self._in_flight or await self.storage.outbox.open_count():
            if time.monotonic() > deadline:
                raise TimeoutError("the outbox did not drain in time")
            self.wake()
            await asyncio.sleep(0.05)

    async def _run(self) -> None:
        assert self._wake is not None and self._slots is not None
        try:
            while not self._stopping:
                self._wake.clear()      # before looking: a wake-up from now on is not lost
                try:
                    row, wait = await self._next_row()
                except Exception:
                    log.exception("outbox sender round failed")
                    row, wait = None, 1.0
                if row is None:
                    await self._idle(wait)
                    continue
                # the slot first: a send waiting for a free slot after its pacing slot would
                # leave late, in a bunch with the next ones
                await self._slots.acquire()
                await self.pacer.acquire(hold=True)
                if self._stopping:
                    self.pacer.release()
                    self._slots.release()
                    self._queue.appendleft(row)
                    break
                self._chat_ready[row.chat_id] = float("inf")   # busy until this send is done
                self.pacer.take_chat(row.chat_id)     # the chat's budget, shared with replies
                task = asyncio.create_task(self._deliver(row))
                # the held slot is given back however the send ends (cancelled unstarted too)
                task.add_done_callback(self._release_slot)
                self._in_flight[row.id] = task
                if self._sent and self._marking is None:
                    self._marking = asyncio.create_task(self._mark_soon())
        finally:
            if self._refill is not None:
                await asyncio.gather(self._refill, return_exceptions=True)
            if self._in_flight:
                await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
            if self._marking is not None:
                self._marking.cancel()
            await self._give_back()
            await self._write_sent_marks()

    async def _next_row(self) -> tuple[OutboxRow | None, float]:
        """The next claimed row whose chat is ready (claiming more when the queue runs low),
        or None and how long to wait before looking again."""
        now = time.monotonic()
        if self._held:
            ready = [row for row in self._held if self._ready_at(row.chat_id, now) <= now]
            if ready:
                self._held = [row for row in self._held
                              if self._ready_at(row.chat_id, now) > now]
                self._queue.extendleft(reversed(ready))
        if len(self._queue) <= self.batch // 2:
            self._start_refill()
        if not self._queue and self._refill is not None:
            await asyncio.gather(self._refill, return_exceptions=True)
        while self._queue:
            row = self._queue.popleft()
            at = time.monotonic()
            if self._ready_at(row.chat_id, at) <= at:
                return row, 0.0
            self._held.append(row)
        wait = IDLE_POLL_SECONDS
        if self._retry_at:
            wait = min(wait, min(self._retry_at.values()) - now)
        for row in self._held:
            ready = self._ready_at(row.chat_id, now)
            wait = min(wait, ready - now if ready != float("inf") else IDLE_POLL_SECONDS)
        return None, max(wait, 0.01)

    def _ready_at(self, chat_id: int, now: float) -> float:
        """When a message to this chat may go (``now``: the instant it is compared with):
        its last one done ``chat_interval`` ago and the chat's budget (bot.ptb.ratelimit:
        replies to the chat draw on it too)."""
        return max(self._chat_ready.get(chat_id, 0.0), now + self.pacer.chat_wait(chat_id))

    def _start_refill(self) -> None:
        now = time.monotonic()
        if any(at <= now for at in self._retry_at.values()):
            self._exhausted = False        # a retry's time came: claim it
        if self._refill is None and not self._exhausted and not self._stopping:
            self._refill = asyncio.create_task(self._claim())

    async def _claim(self) -> None:
        try:
            now = time.monotonic()
            self._retry_at = {row_id: at for row_id, at in self._retry_at.items() if at > now}
            sent, self._sent = self._sent, []
            try:
                rows = await self.storage.outbox.claim_batch(
                    self.batch, skip=set(self._retry_at), sent_before=sent)
            except Exception:
                self._sent.extend(sent)
                raise
            self._exhausted = len(rows) < self.batch
            self._queue.extend(rows)
        except Exception:
            log.exception("outbox rows could not be claimed")
        finally:
            self._refill = None

    async def _idle(self, wait: float) -> None:
        assert self._wake is not None
        await self._write_sent_marks()
        if (not self._queue and not self._held and not self._in_flight
                and self._settled_since_idle and self.on_idle):
            self._settled_since_idle = 0
            try:
                await self.on_idle()
            except Exception:
                log.exception("outbox idle hook failed")
        if self._stopping:
            return
        try:
            async with asyncio.timeout(wait):      # not wait_for: see bot.scale.budget
                await self._wake.wait()
        except TimeoutError:
            self._exhausted = False        # rows another writer did not wake us for

    def _release_slot(self, _task: asyncio.Task) -> None:
        self.pacer.release()

    async def _deliver(self, row: OutboxRow) -> None:
        try:
            result = await self.api.send_message(row.chat_id, row.text, row.buttons)
            await self._settle(row, result)
        except Exception:
            log.exception("outbox row %s: unexpected error", row.id)
            with contextlib.suppress(Exception):
                await self.storage.outbox.finish(row.id, FAILED, "unexpected error")
        finally:
            self._in_flight.pop(row.id, None)
            self._chat_ready[row.chat_id] = time.monotonic() + self.chat_interval
            assert self._slots is not None
            self._slots.release()
            self._settled_since_idle += 1
            if self._wake is not None:
                self._wake.set()           # a held row's chat, or the idle report

    async def _settle(self, row: OutboxRow, result: SendResult) -> None:
        if result.ok:
            self._sent.append(row.id)
            return
        outbox, attempt, code = self.storage.outbox, row.attempts + 1, result.error_code
        error = f"{code} {result.description}" if code else result.description
        if code == 429:
            seconds = result.retry_after if result.retry_after is not None else 1.0
            self.pacer.pause(seconds)
            if attempt >= MAX_FLOOD_ATTEMPTS:
                await outbox.finish(row.id, FAILED, f"flood control: {error}")
                return
            log.info("outbox row %s: flood control, again in %.0f s", row.id, seconds)
            self._retry_at[row.id] = time.monotonic() + seconds
            await outbox.finish(row.id, PENDING, f"flood control: {error}")
        elif code == 403:
            log.info("person %s blocked the bot (%s)", row.person_id, error)
            await outbox.finish(row.id, UNREACHABLE, error)
            await self.storage.people.set_reachable(row.person_id, False)
        elif code is None or code >= 500:       # timeouts, connection errors, 5xx
            if attempt >= self.max_attempts:
                log.warning("outbox row %s: giving up after %d attempts: %s", row.id, attempt,
                            error)
                await outbox.finish(row.id, FAILED, error)
                return
            delay = self.backoff[min(attempt, len(self.backoff)) - 1]
            log.info("outbox row %s: %s; retrying in %.0f s", row.id, error, delay)
            self._retry_at[row.id] = time.monotonic() + delay
            await outbox.finish(row.id, PENDING, error)
        else:                                   # 400 and anything else
            log.warning("outbox row %s to chat %s refused: %s", row.id, row.chat_id, error)
            await outbox.finish(row.id, FAILED, error)

    async def _mark_soon(self) -> None:
        try:
            await asyncio.sleep(MARK_INTERVAL)
            await self._write_sent_marks()
        finally:
            self._marking = None

    async def _give_back(self) -> None:
        unsent = [row.id for row in (*self._queue, *self._held)]
        self._queue.clear()
        self._held.clear()
        if not unsent:
            return
        try:
            await self.storage.outbox.release(unsent)
        except Exception:
            log.exception("could not give back %d claimed message(s); they are sent after "
                          "the next start", len(unsent))

    async def _write_sent_marks(self) -> None:
        sent, self._sent = self._sent, []
        if not sent:
            return
        try:
            await self.storage.outbox.mark_sent(sent)
        except Exception:
            log.exception("could not mark %d sent message(s); they stay 'sending' and are sent "
                          "again after a restart", len(sent))
