"""The update queue: what simulated users (and tests) send the bot waits in it until
getUpdates hands it out (a long poll; a newer call ends a pending one with 409, like Telegram)
and a later offset confirms it (or, while a webhook is set, ``webhooks.py`` pushes it).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import TYPE_CHECKING

from bot.sandbox.entities import command_entities
from bot.sandbox.records import ApiError, JSONDict

if TYPE_CHECKING:
    from bot.sandbox.users import SimUser


class UpdatesMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): the queue
    (``_updates``, update ids, the poll generation)."""

    def enqueue_update(self, payload: JSONDict) -> JSONDict:
        """Queue an update (payload without update_id, e.g. {"message": {...}})."""
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._last_enqueued_id = update["update_id"]
        self._updates.append(update)
        self._notify()
        return update

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            while len(self._updates) > keep:
                self._updates.popleft()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()

    def user_message(
        self, chat: JSONDict, sender: JSONDict | None, fields: JSONDict, kind: str = "message"
    ) -> JSONDict:
        """Build, store and enqueue an incoming message in `chat`; returns the message dict."""
        chat_id = chat["id"]
        self._chats.setdefault(chat_id, chat)
        msg: JSONDict = {"message_id": self.next_message_id(chat_id)}
        if sender is not None:
            msg["from"] = sender
        msg["chat"] = chat
        msg["date"] = int(self.now())
        msg.update(fields)
        self._messages[(chat_id, msg["message_id"])] = msg
        self.enqueue_update({kind: msg})
        return msg

    async def group_message(
        self, chat_id: int, from_user: SimUser | JSONDict, text: str
    ) -> JSONDict:
        """A text message in a group chat (chat_id < 0) from `from_user`."""
        chat = self._chats.get(chat_id) or {
            "id": chat_id,
            "type": "group",
            "title": f"Group {chat_id}",
        }
        sender = from_user.user_json() if hasattr(from_user, "user_json") else dict(from_user)
        fields: JSONDict = {"text": text}
        fields.update(command_entities(text))
        msg = self.user_message(chat, sender, fields)
        self.emit(chat_id, f"[{chat['title']}] {sender.get('first_name', '?')} › {text}")
        await asyncio.sleep(0)
        return msg

    async def channel_post(self, chat_id: int, text: str) -> JSONDict:
        """A post in a channel the bot is in (``channel_post`` update, no ``from``)."""
        chat = self._chats.get(chat_id) or {
            "id": chat_id,
            "type": "channel",
            "title": f"Channel {chat_id}",
        }
        msg = self.user_message(
            chat, None, {"sender_chat": chat, "text": text}, kind="channel_post"
        )
        self.emit(chat_id, f"[{chat['title']}] › {text}")
        await asyncio.sleep(0)
        return msg

    def updates_pending(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    async def wait_fetched(self, timeout: float = 5) -> None:
        """Wait until every queued update has been handed out by getUpdates at least once."""
        deadline = time.monotonic() + timeout
        while self._max_fetched_id < self._last_enqueued_id:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"updates not fetched within {timeout}s: last queued id "
                    f"{self._last_enqueued_id}, last fetched {self._max_fetched_id}"
                )
            await self.wait_change(remaining)

    # ------------------------------------------------------------------ Bot API methods

    async def _m_getupdates(self, p: JSONDict) -> list[JSONDict]:
        self._refuse_polling_with_webhook()
        # A newer getUpdates terminates a pending one with 409, like Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        offset = p.get("offset")
        if isinstance(offset, int) and offset != 0:
            self._confirm(offset)
            self._notify()
        limit = p.get("limit") or 100
        limit = min(max(int(limit), 1), 100)
        timeout = max(0, int(p.get("timeout") or 0))
        deadline = time.monotonic() + timeout
        while not self._updates and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self.wait_change(remaining)
            if generation != self._poll_generation:
                self._refuse_polling_with_webhook()
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        batch = list(itertools.islice(self._updates, limit))
        if batch:
            self._max_fetched_id = max(self._max_fetched_id, batch[-1]["update_id"])
            self._notify()
        return batch
