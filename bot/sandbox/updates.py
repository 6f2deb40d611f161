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

#: Without ``allowed_updates`` the server sends every type but these (telegram-bot-api
#: Client.h DEFAULT_ALLOWED_UPDATE_TYPES).
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
#: The update types of Bot API 10.0 (Client.cpp get_update_type_name).
UPDATE_TYPES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "inline_query",
    "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query", "poll",
    "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost", "message_reaction", "message_reaction_count", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages",
    "purchased_paid_media", "managed_bot", "guest_message",
})


def allowed_update_types(value: object) -> frozenset[str] | None:
    """The setting a getUpdates ``allowed_updates`` makes, as telegram-bot-api Client.cpp
    get_allowed_update_types reads it: absent or not a list of strings -> None (keep the
    previous setting); a list naming no known type (e.g. ``[]``) -> the default."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return frozenset(v.lower() for v in value)


def _chat_of(body: object) -> int | None:
    """The chat an update comes from (a message's, a press's message's, a member change's)."""
    if not isinstance(body, dict):
        return None
    chat = body.get("chat") or (body.get("message") or {}).get("chat")
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    return chat_id if isinstance(chat_id, int) else None


class UpdatesMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): the queue
    (``_updates``, update ids, the poll generation)."""

    def update_type_allowed(self, kind: str) -> bool:
        """Whether the bot's ``allowed_updates`` (last set by a getUpdates) lets this type in."""
        if self._allowed_updates is None:
            return kind not in NOT_SENT_BY_DEFAULT
        return kind in self._allowed_updates

    def enqueue_update(self, payload: JSONDict) -> JSONDict:
        """Queue an update (payload without update_id, e.g. {"message": {...}}).

        An update of a type the bot did not ask for is dropped as it is made, as the server
        drops it (telegram-bot-api Client.cpp add_update_impl: "Skip unallowed update");
        ``dropped_updates`` keeps it for tests."""
        kind = next(iter(payload))
        if not self.update_type_allowed(kind):
            self.dropped_updates.append(payload)
            self._notify()
            return payload
        chat_id = _chat_of(payload[kind])
        if chat_id is not None:
            self._credit_chat(chat_id)
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
        allowed = allowed_update_types(p.get("allowed_updates"))
        if allowed is not None:
            known = allowed & UPDATE_TYPES
            self._allowed_updates = known or None
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
