"""Keyboards and callback queries: reply markup checked as Telegram checks it, the reply
keyboard a chat shows, callback query ids for simulated presses, answerCallbackQuery.
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.sandbox.records import JSONDict, bad_request

MAX_CALLBACK_DATA_BYTES = 64


class KeyboardsMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): reply
    keyboards shown (``_reply_keyboard``), callback queries (``_callback_ids``,
    ``callback_answers``)."""

    def reply_keyboard(self, chat_id: int) -> JSONDict | None:
        """The reply keyboard currently shown in this chat (None if none / removed)."""
        return self._reply_keyboard.get(chat_id)

    def _check_markup(self, markup: Any) -> JSONDict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or any(not isinstance(r, list) for r in rows):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    'field "inline_keyboard" must be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise bad_request(
                            "can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not (
                        1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise bad_request("BUTTON_DATA_INVALID")
        return markup

    def new_callback_id(self, chat_id: int | None = None) -> str:
        """A fresh callback query id that answerCallbackQuery will accept."""
        cid = f"{self.bot_id % 100000}{next(self._callback_seq):08d}{secrets.randbelow(10**6):06d}"
        self._callback_ids[cid] = False
        self._callback_chat[cid] = chat_id
        return cid

    # ------------------------------------------------------------------ Bot API methods

    def _m_answercallbackquery(self, p: JSONDict) -> bool:
        qid = str(p.get("callback_query_id") or "")
        if qid not in self._callback_ids:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        duplicate = self._callback_ids[qid]
        self._callback_ids[qid] = True
        answer = {
            "callback_query_id": qid,
            "text": p.get("text"),
            "show_alert": bool(p.get("show_alert")),
            "url": p.get("url"),
            "cache_time": p.get("cache_time"),
            "duplicate": duplicate,
        }
        self.callback_answers.append(answer)
        if answer["text"]:
            chat_id = self._callback_chat.get(qid)
            mark = "⚠" if answer["show_alert"] else "ⓘ"
            self.emit(chat_id, f"🤖 {mark} {answer['text']}")
        self._notify()
        return True
