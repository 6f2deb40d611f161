"""Chats and the simulated users in them: `FakeTelegram.user` makes a `SimUser` and its
private chat; a chat id or ``@username`` in a request resolves to a known chat; message ids
are per chat; getChat and sendChatAction.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.records import JSONDict, bad_request
from bot.sandbox.users import SimUser


class ChatsMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): users and
    chats (``_users``, ``_chats``, ``_next_msg_id``)."""

    def user(
        self,
        user_id: int,
        first_name: str = "张三",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> SimUser:
        """The simulated user with this id (created on first use; same id -> same object)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        sim = SimUser(self, user_id, first_name, last_name, username, language_code)
        self._users[user_id] = sim
        self._chats[user_id] = sim.chat_json()
        return sim

    @property
    def users(self) -> dict[int, SimUser]:
        return dict(self._users)

    def next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared between user and bot messages."""
        mid = self._next_msg_id.get(chat_id, 1)
        self._next_msg_id[chat_id] = mid + 1
        return mid

    def _resolve_chat(self, value: Any, field_name: str = "chat_id") -> int:
        if value is None or value == "":
            raise bad_request(f"{field_name} is empty")
        if isinstance(value, str):
            if value.startswith("@"):
                name = value[1:].lower()
                for cid, chat in self._chats.items():
                    if str(chat.get("username", "")).lower() == name:
                        return cid
                raise bad_request("chat not found")
            try:
                value = int(value)
            except ValueError:
                raise bad_request("chat not found") from None
        if value not in self._chats:
            raise bad_request("chat not found")
        return int(value)

    def _m_getchat(self, p: JSONDict) -> JSONDict:
        chat_id = self._resolve_chat(p.get("chat_id"))
        chat = dict(self._chats[chat_id])
        chat.setdefault("accent_color_id", 0)
        chat.setdefault("max_reaction_count", 11)
        return chat

    def _m_sendchataction(self, p: JSONDict) -> bool:
        chat_id = self._resolve_chat(p.get("chat_id"))
        self.chat_actions.append((chat_id, str(p.get("action") or "")))
        return True
