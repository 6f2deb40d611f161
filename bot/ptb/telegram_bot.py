"""The bot's ExtBot: Telegram's harmless refusals taken in one place, for every handler.

- An edit that changes nothing (a double tap, the same page pressed twice) is refused with
  ``Bad Request: message is not modified``: logged, and the edit counts as done.
- An ``answerCallbackQuery`` Telegram no longer takes (``query is too old and response
  timeout expired or query ID is invalid``: pressed more than 15 s ago, answered already, or
  replayed from the inbox after a restart) does not stop the handler: the work it goes on to
  do is done once, and what the answer would have said is sent to the chat instead.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from telegram import CallbackQuery, Update
from telegram.error import BadRequest
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

NOT_MODIFIED = "message is not modified"
QUERY_REFUSED = ("query is too old", "query id is invalid")
REMEMBERED_QUERIES = 10_000


def is_not_modified(error: BadRequest) -> bool:
    return NOT_MODIFIED in error.message.lower()


class TelegramBot(ExtBot):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._query_chats: OrderedDict[str, int] = OrderedDict()
        self._updates_request = kwargs.get("get_updates_request")

    def received_json(self, updates: Sequence[Update]) -> list[str] | None:
        """The JSON of the updates ``get_updates`` just returned, as Telegram sent them
        (bot.ptb.request.UpdatesRequest); None when that answer is not at hand."""
        received = getattr(self._updates_request, "received", None)
        if not received or len(received) != len(updates) or any(
                not isinstance(item, dict) or item.get("update_id") != update.update_id
                for item, update in zip(received, updates, strict=True)):
            return None
        return [json.dumps(item, ensure_ascii=False) for item in received]

    def remember_query(self, query: CallbackQuery) -> None:
        """Where a press came from, so that a refused answer can go to the chat instead."""
        message = query.message
        if message is None:
            return
        self._query_chats[query.id] = message.chat.id
        while len(self._query_chats) > REMEMBERED_QUERIES:
            self._query_chats.popitem(last=False)

    async def answer_callback_query(self, callback_query_id: str, text: str | None = None,
                                    show_alert: bool | None = None, *args: Any,
                                    **kwargs: Any) -> bool:
        try:
            return await super().answer_callback_query(callback_query_id, text, show_alert,
                                                        *args, **kwargs)
        except BadRequest as error:
            if not any(part in error.message.lower() for part in QUERY_REFUSED):
                raise
            chat_id = self._query_chats.get(callback_query_id)
            log.info("callback query %s not answered (%s); %s", callback_query_id,
                     error.message, "said in the chat" if text and chat_id else "nothing to say")
            if text and chat_id is not None:
                await self.send_message(chat_id, text)
            return False

    async def _edit(self, edit, *args: Any, **kwargs: Any) -> Any:
        try:
            return await edit(*args, **kwargs)
        except BadRequest as error:
            if not is_not_modified(error):
                raise
            log.info("edit not needed: %s", error.message)
            return True

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Any:
        return await self._edit(super().edit_message_text, *args, **kwargs)

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Any:
        return await self._edit(super().edit_message_reply_markup, *args, **kwargs)

    async def edit_message_caption(self, *args: Any, **kwargs: Any) -> Any:
        return await self._edit(super().edit_message_caption, *args, **kwargs)

    async def edit_message_media(self, *args: Any, **kwargs: Any) -> Any:
        return await self._edit(super().edit_message_media, *args, **kwargs)
