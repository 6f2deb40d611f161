"""Conversation states and per-user drafts for python-telegram-bot's persistence."""

from __future__ import annotations

import json
from typing import Any

from bot.storage.db import Database


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self.db = db

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
        return {row["user_id"]: json.loads(row["data"]) for row in rows}

    async def set_user_data(self, user_id: int, data: dict) -> None:
        if not data:
            await self.db.execute("DELETE FROM user_data WHERE user_id = ?", (user_id,))
            return
        await self.db.execute(
            "INSERT INTO user_data (user_id, data) VALUES (?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET data = excluded.data",
            (user_id, json.dumps(data, ensure_ascii=False)),
        )

    async def shared_state(self, keys: list[tuple[str, str]], user_id: int | None
                           ) -> tuple[dict[tuple[str, str], Any], dict | None]:
        """The stored states of these (conversation name, key JSON) pairs and the user's
        data, in one statement (several processes: bot.scale.shared.refresh)."""
        parts, params = [], []
        if keys:
            names = sorted({name for name, _ in keys})
            parts.append(f"SELECT name, key, state FROM conversation_state WHERE key IN "
                         f"({', '.join('?' for _ in keys)}) "
                         f"AND name IN ({', '.join('?' for _ in names)})")
            params += [key for _, key in keys] + names
        if user_id is not None:
            # a user's data as a row without a name (a conversation's name is NOT NULL)
            parts.append("SELECT NULL, NULL, data FROM user_data WHERE user_id = ?")
            params.append(user_id)
        states: dict[tuple[str, str], Any] = {}
        data = None
        if not parts:
            return states, data
        wanted = set(keys)
        for name, key, value in await self.db.fetch_values(" UNION ALL ".join(parts), params):
            if name is None:
                data = json.loads(value)
            elif (name, key) in wanted:
                states[(name, key)] = json.loads(value)
        return states, data
