"""Pacing outgoing messages under Telegram's limits (30 messages/s overall).

:class:`Pacer` spaces outbox sends evenly — it never bursts, unlike a token bucket that starts
full (which lets 60 through in the first second and earns a flood wait) — and lets replies
through at once while the last second holds fewer than ``WINDOW_CAP`` sends.
:class:`PacedRateLimiter` plugs it into python-telegram-bot for every send/edit call and
honours a 429's ``retry_after`` by pausing every paced request. Outbox sends take their slot
themselves (the sender paces before it marks a row as being sent) and handle a 429 themselves.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

DEFAULT_PER_SECOND = 25.0      # outbox pace: below Telegram's 30/s, with room for jitter
WINDOW_CAP = 28                # at most this many sends of any kind in one second
PREPACED = "prepaced"          # rate_limit_args key: the caller already took its slot
PACED_PREFIXES = ("send", "edit", "copy", "forward")
NOT_PACED = frozenset({"sendChatAction"})
CATCH_UP_SECONDS = 0.02        # the smooth way's slack behind its schedule


def retry_seconds(error: RetryAfter) -> float:
    """``retry_after`` as seconds, whether PTB gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Pacer:
    """Two ways to take a send slot, sharing one count of the last second's sends:

    - ``acquire()`` (broadcasts, the outbox): evenly spaced, one per ``1/per_second`` s, first
      come first served — never a burst;
    - ``acquire(smooth=False)`` (replies to someone who just wrote): at once, unless
      ``window_cap`` sends already went out in the last second.
    A 429's ``retry_after`` pauses both.
    """

    def __init__(self, per_second: float = DEFAULT_PER_SECOND, window_cap: int = WINDOW_CAP,
                 monotonic: Callable[[], float] = time.monotonic,
                 reply_cap: int | None = None) -> None:
        self.interval = 1.0 / per_second
        self.per_second = per_second
        self.window_cap = window_cap
        #: replies' own cap in a second (paid broadcasts: the outbox may go up to 1,000 a
        #: second, a reply, sent without allow_paid_broadcast, stays under Telegram's 30)
        self.reply_cap = window_cap if reply_cap is None else min(reply_cap, window_cap)
        #: how far behind its schedule the smooth way may catch up (a late wake-up or a
        #: slow await costs no slot), in a burst of at most this many seconds' worth
        self.catch_up = max(0.0, CATCH_UP_SECONDS - self.interval)
        self._monotonic = monotonic
        self._last_smooth = float("-inf")
        self._paused_until = float("-inf")
        self._stamps: deque[float] = deque()
        self._reply_stamps: deque[float] = deque()
        self._lock: asyncio.Lock | None = None
        self._replies_lock: asyncio.Lock | None = None

    async def acquire(self, smooth: bool = True) -> None:
        """Each way queues first come first served, so only the head of each queue waits
        for the clock: replies waiting for a full second used to wake all together at every
        freed slot (200 waiting receipts: about 24 wake-ups each)."""
        if not smooth:
            if self._replies_lock is None:
                self._replies_lock = asyncio.Lock()
            async with self._replies_lock:
                now = await self._take(self._reply_wait)
                if self.reply_cap < self.window_cap:
                    self._reply_stamps.append(now)
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            taken = await self._take(lambda now: self._last_smooth + self.interval - now)
            # the slot on the schedule, not the instant taken: a late wake-up does not
            # push every later slot back (within ``catch_up``)
            self._last_smooth = max(self._last_smooth + self.interval, taken - self.catch_up)

    def _reply_wait(self, now: float) -> float:
        stamps = self._reply_stamps
        while stamps and stamps[0] <= now - 1.0:
            stamps.popleft()
        return stamps[0] + 1.0 - now if len(stamps) >= self.reply_cap else 0.0

    async def _take(self, own_wait: Callable[[float], float]) -> float:
        while True:
            now = self._monotonic()
            while self._stamps and self._stamps[0] <= now - 1.0:
                self._stamps.popleft()
            full = self._stamps[0] + 1.0 - now if len(self._stamps) >= self.window_cap else 0.0
            wait = max(self._paused_until - now, own_wait(now), full)
            if wait <= 0:
                self._stamps.append(now)
                return now
            await asyncio.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Telegram asked to wait: no paced send before ``seconds`` from now."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)


class PacedRateLimiter(BaseRateLimiter[dict]):
    def __init__(self, pacer: Pacer, max_retries: int = 3) -> None:
        self.pacer = pacer
        self.max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict | list[dict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> bool | dict | list[dict]:
        paced = endpoint.startswith(PACED_PREFIXES) and endpoint not in NOT_PACED
        prepaced = bool(rate_limit_args and rate_limit_args.get(PREPACED))
        attempt = 0
        while True:
            if paced and not (prepaced and attempt == 0):
                await self.pacer.acquire(smooth=False)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                seconds = retry_seconds(error)
                self.pacer.pause(seconds)
                if prepaced or attempt >= self.max_retries:
                    raise
                attempt += 1
                log.warning("%s: flood control, retrying in %.0f s", endpoint, seconds)
                if not paced:
                    await asyncio.sleep(seconds)
