"""Faults switched on at runtime: 403 for blocked chats, failing calls (an HTTP error, or a
hang until the client's timeout fires) and flood control (429 with ``retry_after`` beyond
``rate_limit_per_second`` sends and edits in a sliding second, or beyond 1,000 of every kind
together for paid broadcasts). Broken downloads are in
``files.py``.

Per-chat pacing is always on, as on Telegram ("avoid sending more than one message per second
in a particular chat ... short bursts" and "no more than 20 messages per minute" to a group:
Bot API FAQ, "My bot is hitting limits"). The server's real counters are not published, so it
is modelled, on ``clock``, as:

- every chat: a token bucket of ``CHAT_BURST`` (10) messages, refilled at ``CHAT_RATE`` (1)
  per second — a reply of a few messages passes, a long back-to-back run is refused;
- groups and channels (chat id < 0) also: at most ``GROUP_PER_MINUTE`` (20) in any 60 s;
- a person's action in a chat (a message, a press: any update from that chat) credits its
  bucket with ``PERSON_SECONDS`` (3) seconds' refill: a person takes that long to read and
  answer, but a test's SimUser answers at once, and a reply to each of a person's steps is not
  a burst. What the bot sends on its own (lists, parts, reports) gets no credit.

Counted are the calls that create messages (send*, copyMessage, forwardMessage; an album
counts as one); edits, sendChatAction and answers are not. A refusal is 429 "Too Many
Requests: retry after N" with ``parameters.retry_after`` = N, the seconds until the call
would pass (telegram-bot-api Client.cpp get_retry_after_time reads N from that text).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Iterable

from bot.sandbox.records import ApiError, FaultRule

#: Methods subject to flood control (sendX, editX, copy/forward) - see `_is_rate_limited`.
RATE_LIMIT_EXEMPT = frozenset({"sendchataction"})
CHAT_BURST = 10
CHAT_RATE = 1.0
GROUP_PER_MINUTE = 20
PERSON_SECONDS = 3.0


def too_many_requests(retry_after: float) -> ApiError:
    """Telegram's 429: the text and ``parameters.retry_after`` (whole seconds, at least 1)."""
    seconds = max(1, math.ceil(retry_after))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
#: Telegram's ceiling for paid broadcasts (``allow_paid_broadcast``), messages a second.
PAID_BROADCAST_LIMIT = 1000


class FaultsMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): blocked
    chats, fault rules and the flood-control window."""

    def block_chat(self, chat_id: int | str) -> None:
        """Sends to this chat answer 403 "Forbidden: bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int | str) -> None:
        self._blocked.discard(chat_id)

    def fail_requests(
        self, count: int, status: int | str = 500, methods: Iterable[str] | None = None,
        retry_after: int = 1,
    ) -> None:
        """The next `count` calls (of `methods`, if given) fail.

        ``status`` is an HTTP error code (answered as a Bot API error) or ``"timeout"``
        (the request hangs ``timeout_hang`` seconds so the client's timeout fires). A 429
        carries ``retry_after`` seconds, as Telegram's always does.
        """
        names = frozenset(m.lower() for m in methods) if methods else None
        self._faults.append(FaultRule(count, status, names, retry_after))

    def clear_faults(self) -> None:
        self._faults.clear()

    def sent_per_second(self) -> dict[int, int]:
        """Successful send/edit calls per integer second of ``time.monotonic()``."""
        return dict(sorted(self._sends_per_second.items()))

    def _take_fault(self, method_l: str) -> FaultRule | None:
        for rule in self._faults:
            if rule.remaining > 0 and (rule.methods is None or method_l in rule.methods):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._faults.remove(rule)
                return rule
        return None

    async def _hang(self) -> None:
        """Sleep `timeout_hang` seconds, or until the server stops."""
        if self._stop_event is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), self.timeout_hang)

    @staticmethod
    def _is_rate_limited(method_l: str) -> bool:
        if method_l in RATE_LIMIT_EXEMPT:
            return False
        return method_l.startswith(("send", "edit")) or method_l in (
            "copymessage",
            "forwardmessage",
        )

    def _check_rate_limit(self, paid: bool = False) -> float:
        """Admit a send now or raise 429; returns the admission instant (monotonic).

        Two sliding one-second windows: every send counts in the overall one, capped at
        ``paid_rate_limit_per_second`` (Telegram's 1,000 for paid broadcasts); a send without
        ``allow_paid_broadcast`` must also find fewer than ``rate_limit_per_second`` such
        sends in its own window (Telegram's 30), which paid sends do not count in."""
        now = time.monotonic()
        free_limit = self.rate_limit_per_second
        overall = self.paid_rate_limit_per_second
        if overall is None and free_limit:
            overall = PAID_BROADCAST_LIMIT
        if not overall and not free_limit:
            return now
        for window in (self._send_window, self._free_window):
            while window and window[0] <= now - 1.0:
                window.popleft()
        if overall and len(self._send_window) >= overall:
            raise too_many_requests(self._send_window[0] + 1.0 - now)
        if not paid and free_limit and len(self._free_window) >= free_limit:
            raise too_many_requests(self._free_window[0] + 1.0 - now)
        self._send_window.append(now)
        if not paid:
            self._free_window.append(now)
        return now

    def busiest_second(self) -> int:
        """The most successful sends and edits in any sliding one-second window (by the
        instant each was admitted), for tests and benchmarks of pacing."""
        times, most, start = sorted(self._send_times), 0, 0
        for end, at in enumerate(times):
            while times[start] <= at - 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    def send_times(self) -> list[float]:
        """When each successful send or edit was admitted (``time.monotonic()``)."""
        return list(self._send_times)

    @staticmethod
    def _creates_message(method_l: str) -> bool:
        return (method_l.startswith("send") and method_l not in RATE_LIMIT_EXEMPT) or method_l in (
            "copymessage",
            "forwardmessage",
        )

    def _paced(self, chat_id: int, error: ApiError) -> ApiError:
        self._violation("pacing", f"chat {chat_id}: refused: {error.description}")
        return error

    def _credit_chat(self, chat_id: int) -> None:
        """A person acted in this chat: credit `PERSON_SECONDS` of refill (module docstring)."""
        now = self.clock()
        tokens, stamp = self._chat_tokens.get(chat_id, (float(CHAT_BURST), now))
        tokens += (now - stamp + PERSON_SECONDS) * CHAT_RATE
        self._chat_tokens[chat_id] = (min(float(CHAT_BURST), tokens), now)

    def _check_chat_pace(self, chat_id: int) -> None:
        """Take a message from this chat's allowance, or raise 429 (see module docstring)."""
        if not self.chat_pacing:
            return
        now = self.clock()
        tokens, stamp = self._chat_tokens.get(chat_id, (float(CHAT_BURST), now))
        tokens = min(float(CHAT_BURST), tokens + (now - stamp) * CHAT_RATE)
        if tokens < 1.0:
            self._chat_tokens[chat_id] = (tokens, now)
            self.stats["429 chat"] += 1
            raise self._paced(chat_id, too_many_requests((1.0 - tokens) / CHAT_RATE))
        if chat_id < 0:
            minute = self._group_minute.setdefault(chat_id, deque())
            while minute and minute[0] <= now - 60.0:
                minute.popleft()
            if len(minute) >= GROUP_PER_MINUTE:
                self._chat_tokens[chat_id] = (tokens, now)
                self.stats["429 group"] += 1
                raise self._paced(chat_id, too_many_requests(minute[0] + 60.0 - now))
            minute.append(now)
        self._chat_tokens[chat_id] = (tokens - 1.0, now)
