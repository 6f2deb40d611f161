"""What a person's earlier updates said about one message, read back from the inbox: for an
edited message, the version before it (an edit that changes nothing visible is ignored) and
whether an earlier edit of it was already answered (one line per message, however often it
is edited). The inbox keeps two days of updates; an older message counts as never edited."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.storage.db import Database


@dataclass(frozen=True)
class Versions:
    previous: dict | None      # the message as last seen before this update (None: not kept)
    edited_before: bool        # an earlier edited_message update of it, with a visible change


def visible(message: dict) -> tuple:
    """What a person sees of a message: its text or caption with their formatting, and
    its media."""
    media = tuple(sorted(key for key in ("photo", "document", "video", "audio", "voice",
                                         "animation", "sticker", "location", "contact")
                         if key in message))
    return (message.get("text"), message.get("caption"),
            json.dumps(message.get("entities") or message.get("caption_entities") or [],
                       sort_keys=True), media)


class MessageHistory:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def versions(self, chat_id: int, message_id: int, before_update_id: int) -> Versions:
        rows = await self.db.fetchall(
            "SELECT raw FROM inbox WHERE chat_id = ? AND update_id < ? AND raw LIKE ? "
            "ORDER BY update_id", (chat_id, before_update_id, f'%"message_id": {message_id}%'))
        previous = None
        edited_before = False
        for row in rows:
            update = json.loads(row[0])
            for kind in ("message", "edited_message"):
                message = update.get(kind)
                if not isinstance(message, dict) or message.get("message_id") != message_id:
                    continue
                if kind == "edited_message" and (previous is None or
                                                 visible(message) != visible(previous)):
                    edited_before = True
                previous = message
        return Versions(previous, edited_before)
