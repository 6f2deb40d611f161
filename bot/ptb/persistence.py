"""python-telegram-bot persistence over our SQLite storage: conversation states and user drafts.

The application flushes after every update (see ``handlers.guard``), so a half-filled form
survives a crash, not only a clean restart. python-telegram-bot hands over the user data of
every user it saw an update from; only data that changed since it was last stored is written.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.ptb.user_state import undeclared
from bot.storage import Storage

log = logging.getLogger(__name__)

EMPTY = "{}"


def stored_form(data: dict) -> str:
    """How a user's data compares with what is stored (key order does not matter)."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


class SQLitePersistence(BasePersistence[dict, dict, dict]):
    def __init__(self, storage: Storage) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=5,
        )
        self.storage = storage
        self._stored_user_data: dict[int, str] = {}

    async def get_user_data(self) -> dict[int, dict]:
        await self.storage.open()
        user_data = await self.storage.conversations.user_data()
        self._stored_user_data = {user_id: stored_form(data) for user_id, data in user_data.items()}
        return user_data

    def remember_stored(self, user_id: int, data: dict) -> None:
        """What the database holds for the user now (read by another process's refresh:
        bot.scale.shared), so it is not written back unchanged."""
        self._stored_user_data[user_id] = stored_form(data)

    async def get_chat_data(self) -> dict[int, dict]:
        return {}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> dict:
        await self.storage.open()
        return await self.storage.conversations.conversations(name)

    async def update_conversation(self, name: str, key: tuple, new_state: Any) -> None:
        await self.storage.conversations.set_conversation(name, key, new_state)

    async def update_user_data(self, user_id: int, data: dict) -> None:
        if strays := undeclared(data):
            log.error("user data keys not declared in bot.ptb.user_state: %s", sorted(strays))
        form = stored_form(data)
        if self._stored_user_data.get(user_id, EMPTY) == form:
            return
        await self.storage.conversations.set_user_data(user_id, data)
        self._stored_user_data[user_id] = form

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        return None

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await self.storage.conversations.set_user_data(user_id, {})
        self._stored_user_data.pop(user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def flush(self) -> None:
        return None
