"""Keyboards and callback queries: reply markup checked as Telegram checks it, the reply
keyboard a chat shows, callback query ids for simulated presses, answerCallbackQuery (once,
within 15 s of the press on the server's ``clock``).
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.sandbox.records import JSONDict, bad_request

#: 1-64 bytes (Bot API docs, InlineKeyboardButton.callback_data; the server answers
#: BUTTON_DATA_INVALID, passed through by telegram-bot-api Client.cpp fail_query_with_error).
MAX_CALLBACK_DATA_BYTES = 64
#: An inline keyboard of more than 100 buttons, or a row of more than 8, is refused by the
#: server with REPLY_MARKUP_TOO_LONG, which Client.cpp fail_query_with_error words
#: "reply markup is too long" (the numbers are Telegram's server limits, not in the docs).
MAX_INLINE_BUTTONS = 100
MAX_ROW_BUTTONS = 8
#: answerCallbackQuery's text: 0-200 characters (Bot API docs, answerCallbackQuery); longer is
#: refused by the server with MESSAGE_TOO_LONG, which Client.cpp passes through as is.
MAX_CALLBACK_ANSWER_TEXT = 200
#: A query is answered once, within 15 s of the press (Telegram's client waits that long);
#: later, twice, or after a restart the server says QUERY_ID_INVALID, which Client.cpp
#: fail_query_with_error words "query is too old and response timeout expired or query ID
#: is invalid".
CALLBACK_ANSWER_TIMEOUT = 15.0


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
            if (sum(len(row) for row in rows) > MAX_INLINE_BUTTONS
                    or any(len(row) > MAX_ROW_BUTTONS for row in rows)):
                raise bad_request("reply markup is too long")
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
        """A fresh callback query id, pressed now: answerCallbackQuery accepts it once, within
        ``CALLBACK_ANSWER_TIMEOUT`` seconds of ``clock()``, and not after a restart."""
        cid = f"{self.bot_id % 100000}{next(self._callback_seq):08d}{secrets.randbelow(10**6):06d}"
        self._callback_ids[cid] = self.clock()
        self._callback_chat[cid] = chat_id
        return cid

    def expire_callback_queries(self) -> None:
        """Forget every pending callback query, as a restarted server does."""
        self._callback_ids.clear()

    # ------------------------------------------------------------------ Bot API methods

    def _m_answercallbackquery(self, p: JSONDict) -> bool:
        qid = str(p.get("callback_query_id") or "")
        text = p.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        pressed = self._callback_ids.pop(qid, None)
        if pressed is None or self.clock() - pressed > CALLBACK_ANSWER_TIMEOUT:
            self.refused_callback_answers.append(qid)
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        answer = {
            "callback_query_id": qid,
            "text": text,
            "show_alert": bool(p.get("show_alert")),
            "url": p.get("url"),
            "cache_time": p.get("cache_time"),
        }
        self.callback_answers.append(answer)
        if answer["text"]:
            chat_id = self._callback_chat.get(qid)
            mark = "⚠" if answer["show_alert"] else "ⓘ"
            self.emit(chat_id, f"🤖 {mark} {answer['text']}")
        self._notify()
        return True
