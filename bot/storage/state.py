"""Conversation states and per-user drafts for python-telegram-bot's persistence."""

from __future__ import annotations

import json
from typing import Any

from bot.storage.db import Database


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        # user_data as stored (JSON), once all of it was read: python-telegram-bot asks to
        # save a user's data after every update of theirs, nearly always unchanged
        self.stored_user_data: dict[int, str] | None = None

    async def conversations(self, name: str) -> dict[tuple, Any]:
        rows = await self.db.fetchall(
            "SELECT key, state FROM conversation_state WHERE name = ?", (name,)
        )
        return {tuple(json.loads(row["key"])): json.loads(row["state"]) for row in rows}

    async def set_conversation(self, name: str, key: tuple, state: Any) -> None:
        key_json = json.dumps(list(key))
        if state is None:
            await self.db.execute(
                "DELETE FROM conversation_state WHERE name = ? AND key = ?", (name, key_json)
            )
        else:
            await self.db.execute(
                "INSERT INTO conversation_state (name, key, state) VALUES (?, ?, ?) "
                "ON CONFLICT(name, key) DO UPDATE SET state = excluded.state",
                (name, key_json, json.dumps(state)),
            )

    async def user_data(self) -> dict[int, dict]:
        rows = await self.db.fetchall("SELECT user_id, data FROM user_data")
        self.stored_user_data = {row["user_id"]: row["data"] for row in rows}
        return {row["user_id"]: json.loads(row["data"]) for row in rows}

    async def set_user_data(self, user_id: int, data: dict) -> None:
        """Store a user's data (none: the row goes); nothing is written when it is stored
        already."""
        text = json.dumps(data, ensure_ascii=False) if data else None
        stored = self.stored_user_data
        if stored is not None and stored.get(user_id) == text:
            return
        if text is None:
            await self.db.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))
        else:
            await self.db.execute(
                "INSERT INTO user_data (user_id, data) VALUES (?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data", (user_id, text))
        if stored is not None:
            if text is None:
                stored.pop(user_id, None)
            else:
                stored[user_id] = text
