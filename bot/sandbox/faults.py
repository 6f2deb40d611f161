"""Faults switched on at runtime: 403 for blocked chats, failing calls (an HTTP error, or a
hang until the client's timeout fires) and flood control (429 with ``retry_after`` beyond
``rate_limit_per_second`` sends and edits in a sliding second). Broken downloads are in
``files.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Iterable

from bot.sandbox.records import ApiError, FaultRule

#: Methods subject to flood control (sendX, editX, copy/forward) - see `_is_rate_limited`.
RATE_LIMIT_EXEMPT = frozenset({"sendchataction"})


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

    def _check_rate_limit(self) -> None:
        limit = self.rate_limit_per_second
        if not limit:
            return
        now = time.monotonic()
        window = self._send_window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limit:
            retry = max(1, math.ceil(window[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        window.append(now)
