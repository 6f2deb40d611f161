"""Pacing outgoing messages under Telegram's limits (30 messages/s overall).

:class:`Pacer` spaces outbox sends evenly — it never bursts, unlike a token bucket that starts
full (which lets 60 through in the first second and earns a flood wait) — and lets replies
through at once while the last second holds fewer than ``WINDOW_CAP`` sends.
:class:`PacedRateLimiter` plugs it into python-telegram-bot for every send/edit call and
honours a 429's ``retry_after`` by pausing every paced request. Outbox sends take their slot
themselves (the sender paces before it marks a row as being sent) and handle a 429 themselves.

Two limits hold in every sliding second, not per second boundary (issue 14, point 4):

- overall: a reply holds its slot from the moment it is taken until one second after its
  answer came back, so however the requests bunch on the way (200 photos' receipts on a
  busy loop), no more than ``window_cap`` of them reach Telegram within any one second;
- per chat: messages to one chat (``send*``, copies, forwards; edits are not messages) draw
  on a bucket of ``CHAT_BURST`` refilled at ``CHAT_RATE`` a second, so a reply of a few
  messages goes at once and a long run (``/photos``' sheets, export parts, a long list in
  parts) goes at about one a second — waiting only in its own chat, never holding a slot
  other chats need. A person's action in the chat credits ``PERSON_SECONDS`` (a reply to
  each of a person's steps is not a burst).
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
HELD_CATCH_UP_SECONDS = 0.25   # ... for held slots, which the window bounds however they bunch
CHAT_BURST = 8.0               # messages to one chat at once (Telegram refuses long runs)
CHAT_RATE = 1.0                # ... then this many a second ("about one a second per chat")
PERSON_SECONDS = 2.0           # what a person's action in the chat credits the chat's bucket
CHAT_MESSAGE_PREFIXES = ("send", "copy", "forward")
KEPT_CHATS = 10_000            # chat buckets kept; full ones are dropped beyond this
HELD_POLL_SECONDS = 0.005      # how often a full window of held slots is looked at again
ALL_SENDS, FREE_REPLIES = "all", "free"   # the pacer's windows: every send; free replies
#: the methods that take ``allow_paid_broadcast`` (Bot API 7.11)
PAID_BROADCAST_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendVideo", "sendAnimation", "sendAudio", "sendDocument",
    "sendSticker", "sendVideoNote", "sendVoice", "sendLocation", "sendVenue", "sendContact",
    "sendPoll", "sendDice", "sendInvoice", "sendGame", "sendMediaGroup", "copyMessage",
    "copyMessages", "sendPaidMedia"})


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
    A 429's ``retry_after`` pauses both. A slot taken with ``hold`` counts from the moment
    it is taken until one second after :meth:`release` (its answer came back): Telegram
    counts a send at an instant between the two, so in any second it counts no more than
    ``window_cap`` held sends, however the requests bunch on the way.
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
        #: replies counted apart (paid broadcasts: the free sends are a budget of their own)
        self.free_pool = self.reply_cap < self.window_cap
        #: this process's budget, as configured: several processes share it (bot.scale.budget
        #: lowers and raises ``window_cap`` and ``reply_cap`` within these), one has it all
        self.capacity = self.window_cap
        self.free_capacity = self.reply_cap
        #: the shared budget's lease runs out at this instant (monotonic): from then on no slot
        #: is taken until it is renewed (one process alone: never)
        self.valid_until = float("inf")
        #: the windows a send waited for since last asked (ALL_SENDS, FREE_REPLIES): this
        #: process would use more of a shared budget (:meth:`take_hunger`)
        self._waited_for: set[str] = set()
        #: called when a slot first waits for the window since :meth:`take_hunger`
        self.on_hunger: Callable[[], None] | None = None
        #: how late on its schedule a smooth slot may be taken and still count as on time (a
        #: late wake-up or a slow await costs no slot; at 30 a second one costs 1/30 s, at
        #: every send on a busy machine)
        self.catch_up = CATCH_UP_SECONDS
        self._monotonic = monotonic
        self._last_smooth = float("-inf")
        self._paused_until = float("-inf")
        self._stamps: deque[float] = deque()
        self._reply_stamps: deque[float] = deque()
        self._lock: asyncio.Lock | None = None
        self._replies_lock: asyncio.Lock | None = None
        self._held = 0                                  # taken, answer not back yet
        self._chat_tokens: dict[int | str, tuple[float, float]] = {}   # tokens, when
        self._chat_locks: dict[int | str, asyncio.Lock] = {}

    async def acquire(self, smooth: bool = True, hold: bool = False,
                      may_pay: bool = False) -> bool:
        """Each way queues first come first served, so only the head of each queue waits
        for the clock: replies waiting for a full second used to wake all together at every
        freed slot (200 waiting receipts: about 24 wake-ups each). With ``hold`` the slot
        stays taken until :meth:`release` and one second after it.

        Returns True when a reply must go as a paid broadcast: ``may_pay`` and the second's
        free replies (``reply_cap``) were all taken, so it goes at once, flagged, instead of
        waiting for the free window."""
        if not smooth:
            if self._replies_lock is None:
                self._replies_lock = asyncio.Lock()
            paid = False

            def reply_wait(now: float) -> float:
                nonlocal paid
                wait = self._reply_wait(now)
                if wait > 0:
                    self._waited(FREE_REPLIES)
                paid = wait > 0 and may_pay
                return 0.0 if paid else wait

            async with self._replies_lock:
                now = await self._take(reply_wait, hold)
                if self.free_pool and not paid:
                    self._reply_stamps.append(now)
            return paid
        if self._lock is None:
            self._lock = asyncio.Lock()
        # a held slot counts in the window from now until a second after its answer, so
        # sends the way held up cannot bunch past the cap where Telegram counts them: the
        # schedule may catch up further after a stall (the loop or the machine busy)
        catch_up = max(self.catch_up, HELD_CATCH_UP_SECONDS) if hold else self.catch_up
        async with self._lock:
            taken = await self._take(lambda now: self._last_smooth + self.interval - now,
                                     hold)
            # the slot on the schedule, not the instant taken: a late wake-up does not
            # push every later slot back (within ``catch_up``)
            self._last_smooth = max(self._last_smooth + self.interval, taken - catch_up)
        return False

    def _reply_wait(self, now: float) -> float:
        if not self.free_pool:
            return 0.0
        stamps = self._reply_stamps
        while stamps and stamps[0] <= now - 1.0:
            stamps.popleft()
        cap = self.reply_cap if now < self.valid_until else 0
        if len(stamps) < cap:
            return 0.0
        return stamps[0] + 1.0 - now if stamps else HELD_POLL_SECONDS

    async def _take(self, own_wait: Callable[[float], float], hold: bool = False) -> float:
        while True:
            now = self._monotonic()
            while self._stamps and self._stamps[0] <= now - 1.0:
                self._stamps.popleft()
            full = 0.0
            cap = self.window_cap if now < self.valid_until else 0
            if len(self._stamps) + self._held >= cap:
                # the oldest stamp leaving the window, or (all held) a held answer coming back
                full = self._stamps[0] + 1.0 - now if self._stamps else HELD_POLL_SECONDS
                self._waited(ALL_SENDS)
            wait = max(self._paused_until - now, own_wait(now), full)
            if wait <= 0:
                if hold:
                    self._held += 1
                else:
                    self._stamps.append(now)
                return now
            await asyncio.sleep(wait)

    def occupancy(self) -> tuple[int, int]:
        """Slots counted now: (every send: held, or answered within the last second; free
        replies taken within the last second). It never rises above the caps, and without
        new slots it only falls."""
        now = self._monotonic()
        while self._stamps and self._stamps[0] <= now - 1.0:
            self._stamps.popleft()
        while self._reply_stamps and self._reply_stamps[0] <= now - 1.0:
            self._reply_stamps.popleft()
        return len(self._stamps) + self._held, len(self._reply_stamps)

    def _waited(self, window: str) -> None:
        """A send waited for ``window``: the shared budget hears of it once until the next
        :meth:`take_hunger`."""
        if window not in self._waited_for:
            self._waited_for.add(window)
            if self.on_hunger is not None:
                self.on_hunger()

    def take_hunger(self) -> tuple[bool, bool]:
        """Whether a slot waited for the window, and a reply for the free window, since the
        last call."""
        hunger = ALL_SENDS in self._waited_for, FREE_REPLIES in self._waited_for
        self._waited_for.clear()
        return hunger

    def release(self) -> None:
        """A held slot's answer came back: it stays in the window for one more second."""
        self._held -= 1
        self._stamps.append(self._monotonic())

    async def chat_turn(self, chat_id: int | str) -> None:
        """Wait for this chat's turn (see the module docstring); other chats go on."""
        lock = self._chat_locks.get(chat_id)
        if lock is None:
            lock = self._chat_locks[chat_id] = asyncio.Lock()
        if len(self._chat_tokens) > KEPT_CHATS:
            self._forget_full_chats()
        async with lock:
            while True:
                now = self._monotonic()
                tokens = self._chat_refilled(chat_id, now)
                if tokens >= 1.0:
                    self._chat_tokens[chat_id] = (tokens - 1.0, now)
                    return
                self._chat_tokens[chat_id] = (tokens, now)
                await asyncio.sleep((1.0 - tokens) / CHAT_RATE)

    def chat_wait(self, chat_id: int | str) -> float:
        """Seconds until this chat's budget holds a message (0: now)."""
        tokens = self._chat_refilled(chat_id, self._monotonic())
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / CHAT_RATE

    def take_chat(self, chat_id: int | str) -> None:
        """A message to this chat goes now (the outbox checked :meth:`chat_wait` first)."""
        now = self._monotonic()
        self._chat_tokens[chat_id] = (self._chat_refilled(chat_id, now) - 1.0, now)

    def person_acted(self, chat_id: int | str) -> None:
        """A message or press from this chat: a person took time to write it."""
        now = self._monotonic()
        tokens = min(CHAT_BURST, self._chat_refilled(chat_id, now) + PERSON_SECONDS * CHAT_RATE)
        self._chat_tokens[chat_id] = (tokens, now)

    def _chat_refilled(self, chat_id: int | str, now: float) -> float:
        tokens, stamp = self._chat_tokens.get(chat_id, (CHAT_BURST, now))
        return min(CHAT_BURST, tokens + (now - stamp) * CHAT_RATE)

    def _forget_full_chats(self) -> None:
        now = self._monotonic()
        for chat_id in [chat for chat in self._chat_tokens
                        if self._chat_refilled(chat, now) >= CHAT_BURST]:
            del self._chat_tokens[chat_id]
            lock = self._chat_locks.get(chat_id)
            if lock is not None and not lock.locked():
                del self._chat_locks[chat_id]

    def pause(self, seconds: float) -> None:
        """Telegram asked to wait: no paced send before ``seconds`` from now."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)


class PacedRateLimiter(BaseRateLimiter[dict]):
    """``paid_broadcast``: a reply beyond the second's free ones goes at once with
    ``allow_paid_broadcast`` (set in the call's parameters, which PTB sends as they are
    after this hook) where the method takes it; an edit waits for the free window."""

    def __init__(self, pacer: Pacer, max_retries: int = 3, paid_broadcast: bool = False
                 ) -> None:
        self.pacer = pacer
        self.max_retries = max_retries
        self.paid_broadcast = paid_broadcast

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
        chat_id = data.get("chat_id") if endpoint.startswith(CHAT_MESSAGE_PREFIXES) else None
        attempt = 0
        while True:
            held = paced and not (prepaced and attempt == 0)
            if held:
                if chat_id is not None:
                    await self.pacer.chat_turn(chat_id)
                may_pay = self.paid_broadcast and endpoint in PAID_BROADCAST_METHODS
                if await self.pacer.acquire(smooth=False, hold=True, may_pay=may_pay):
                    data["allow_paid_broadcast"] = True
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
            finally:
                if held:
                    self.pacer.release()
