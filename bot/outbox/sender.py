"""The sender: drains the outbox under the pacer, one chat's trouble never stopping the rest.

Per row: take a pacing slot, mark it 'sending' (only then), send, mark the outcome.
- 429: back to pending after ``retry_after`` (every paced send waits too);
- 403: 'unreachable', and the person is marked unreachable;
- timeouts and other network errors / 5xx: back to pending with growing backoff, 'failed'
  after ``max_attempts``;
- 400 and anything else: 'failed', logged.
Two messages to the same chat are at least ``chat_interval`` seconds apart.

A sent row is marked 'sent' in the same trip to the database as the next row's claim (or as
soon as no row is waiting): one write per message instead of two. Until then it stays
'sending', so a crash in that instant sends it again, like a row caught mid-send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.ptb.keyboards import inline
from bot.ptb.ratelimit import PREPACED, Pacer, retry_seconds
from bot.storage import Storage
from bot.storage.outbox import FAILED, PENDING, UNREACHABLE, OutboxRow

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 5.0
MAX_FLOOD_ATTEMPTS = 20


class Sender:
    def __init__(self, bot: Bot, storage: Storage, pacer: Pacer, *,
                 chat_interval: float = 1.0, concurrency: int = 8, max_attempts: int = 5,
                 backoff: tuple[float, ...] = (1, 2, 4, 8, 16, 30),
                 on_idle: Callable[[], Awaitable[None]] | None = None) -> None:
        self.bot = bot
        self.storage = storage
        self.pacer = pacer
        self.chat_interval = chat_interval
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.on_idle = on_idle
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._stopping = False
        self._in_flight: dict[int, asyncio.Task] = {}
        self._retry_at: dict[int, float] = {}
        self._chat_ready: dict[int, float] = {}
        self._settled_since_idle = 0
        self._sent: list[int] = []     # sent, not yet marked so

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        interrupted = await self.storage.outbox.recover_interrupted()
        if interrupted:
            log.warning("%d message(s) were being sent when the bot stopped; sending them "
                        "again (Telegram may have delivered them already)", interrupted)
        self._stopping = False
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(self.concurrency)
        self._task = asyncio.create_task(self._run(), name="outbox sender")

    def wake(self) -> None:
        """New rows were written: look now rather than at the next poll."""
        if self._wake is not None:
            self._wake.set()

    async def stop(self, timeout: float = 5.0) -> None:
        """Finish the sends under way (up to ``timeout``), then stop."""
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
            await self._write_sent_marks()
        self._task = None

    async def settled(self, timeout: float = 30.0) -> None:
        """Wait until nothing is pending or being sent (tests and the demo)."""
        deadline = time.monotonic() + timeout
        while self._in_flight or await self.storage.outbox.open_count():
            if time.monotonic() > deadline:
                raise TimeoutError("the outbox did not drain in time")
            self.wake()
            await asyncio.sleep(0.05)

    async def _run(self) -> None:
        while not self._stopping:
            assert self._wake is not None
            self._wake.clear()
            try:
                wait = await self._round()
            except Exception:
                log.exception("outbox sender round failed")
                wait = 1.0
            if wait > 0 and not self._stopping:
                await self._write_sent_marks()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        await self._write_sent_marks()

    async def _round(self) -> float:
        """Dispatch every row that may go now; returns how long to wait before looking again."""
        now = time.monotonic()
        self._retry_at = {row_id: at for row_id, at in self._retry_at.items() if at > now}
        rows = await self.storage.outbox.pending(
            skip=set(self._in_flight) | set(self._retry_at))
        wait = IDLE_POLL_SECONDS
        if self._retry_at:
            wait = min(wait, min(self._retry_at.values()) - now)
        dispatched = 0
        for row in rows:
            ready = self._chat_ready.get(row.chat_id, 0.0)
            if ready > time.monotonic():
                wait = min(wait, ready - time.monotonic())
                continue
            assert self._slots is not None
            await self._slots.acquire()
            if self._stopping:
                self._slots.release()
                break
            self._chat_ready[row.chat_id] = float("inf")   # busy until this send is done
            self._in_flight[row.id] = asyncio.create_task(self._deliver(row))
            dispatched += 1
        if not rows and not self._in_flight and self._settled_since_idle and self.on_idle:
            self._settled_since_idle = 0
            await self._write_sent_marks()
            await self.on_idle()
        return 0.0 if dispatched else max(wait, 0.01)

    async def _deliver(self, row: OutboxRow) -> None:
        try:
            await self.pacer.acquire()
            if self._stopping:
                return
            sent, self._sent = self._sent, []
            if not await self.storage.outbox.claim(row.id, sent_before=sent):
                return
            await self._send(row, row.attempts + 1)
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
            self.wake()

    async def _send(self, row: OutboxRow, attempt: int) -> None:
        outbox = self.storage.outbox
        try:
            await self.bot.send_message(
                row.chat_id, row.text, reply_markup=inline(row.buttons) if row.buttons else None,
                rate_limit_args={PREPACED: True})
        except RetryAfter as error:
            seconds = retry_seconds(error)
            self.pacer.pause(seconds)
            if attempt >= MAX_FLOOD_ATTEMPTS:
                await outbox.finish(row.id, FAILED, f"flood control: {error}")
                return
            log.info("outbox row %s: flood control, again in %.0f s", row.id, seconds)
            self._retry_at[row.id] = time.monotonic() + seconds
            await outbox.finish(row.id, PENDING, f"flood control: {error}")
        except Forbidden as error:
            log.info("person %s blocked the bot (%s)", row.person_id, error)
            await outbox.finish(row.id, UNREACHABLE, str(error))
            await self.storage.people.set_reachable(row.person_id, False)
        except BadRequest as error:
            log.warning("outbox row %s to chat %s refused: %s", row.id, row.chat_id, error)
            await outbox.finish(row.id, FAILED, str(error))
        except NetworkError as error:   # timeouts, 5xx, connection errors
            if attempt >= self.max_attempts:
                log.warning("outbox row %s: giving up after %d attempts: %s", row.id, attempt,
                            error)
                await outbox.finish(row.id, FAILED, str(error))
                return
            delay = self.backoff[min(attempt, len(self.backoff)) - 1]
            log.info("outbox row %s: %s; retrying in %.0f s", row.id, error, delay)
            self._retry_at[row.id] = time.monotonic() + delay
            await outbox.finish(row.id, PENDING, str(error))
        except TelegramError as error:
            log.warning("outbox row %s to chat %s failed: %s", row.id, row.chat_id, error)
            await outbox.finish(row.id, FAILED, str(error))
        else:
            self._sent.append(row.id)

    async def _write_sent_marks(self) -> None:
        sent, self._sent = self._sent, []
        if not sent:
            return
        try:
            await self.storage.outbox.mark_sent(sent)
        except Exception:
            log.exception("could not mark %d sent message(s); they stay 'sending' and are sent "
                          "again after a restart", len(sent))
