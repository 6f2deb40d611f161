"""What the bot sends, recorded: the Message built and stored for each send, the `Sent`
entry tests read (and the transcript renders), sendMessage, forwardMessage, copyMessage.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.entities import format_text
from bot.sandbox.records import JSONDict, Sent, SentFile, bad_request

#: Limits in Unicode characters (code points) of the text after entity parsing and
#: trimming: tdlib MessageContent.cpp, get_input_message_content / process_input_message_text
#: compare ``utf8_length(text)`` with the options message_text_length_max (4096) and
#: message_caption_length_max (1024, ConfigManager.cpp); "Message is too long" / "Message
#: caption is too long" reach the bot lower-cased by telegram-bot-api Client.cpp.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


class MessagesMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): ``sent`` and
    the per-chat views of it, the messages of every chat (``_messages``, ``_deleted``)."""

    def messages_to(self, chat_id: int) -> list[Sent]:
        """Everything the bot sent to this chat, in order (deleted ones flagged)."""
        return list(self._chat_sent.get(chat_id, []))

    def chat_events(self, chat_id: int) -> list[Sent]:
        """Sends and edits in this chat, in order (an edited message appears again)."""
        return self._chat_events.setdefault(chat_id, [])

    # ------------------------------------------------------------------ message building

    def _new_bot_message(self, chat_id: int, **fields: Any) -> JSONDict:
        msg: JSONDict = {
            "message_id": self.next_message_id(chat_id),
            "from": self.bot_user,
            "chat": self._chats[chat_id],
            "date": int(self.now()),
        }
        msg.update({k: v for k, v in fields.items() if v is not None})
        return msg

    def _reply_to(self, chat_id: int, params: JSONDict) -> tuple[int | None, JSONDict | None]:
        reply = params.get("reply_parameters")
        mid: Any = None
        allow = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            mid = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") is not None:
            mid = params["reply_to_message_id"]
        if mid is None:
            return None, None
        target = self._messages.get((chat_id, int(mid)))
        if target is None or (chat_id, int(mid)) in self._deleted:
            if allow:
                return None, None
            raise bad_request("message to be replied not found")
        return int(mid), {k: v for k, v in target.items() if k != "reply_to_message"}

    def _record_sent(self, sent: Sent, message: JSONDict, params: JSONDict) -> None:
        chat_id = int(sent.chat_id)
        sent.message = message
        if not sent.message_ids:
            sent.message_ids = [sent.message_id]
        self.sent.append(sent)
        for mid in sent.message_ids:
            self._sent_by_id[(chat_id, mid)] = sent
        self._messages[(chat_id, sent.message_id)] = message
        self._chat_sent.setdefault(chat_id, []).append(sent)
        self._chat_events.setdefault(chat_id, []).append(sent)
        markup = params.get("reply_markup")
        if isinstance(markup, dict):
            if "keyboard" in markup:
                self._reply_keyboard[chat_id] = markup
            elif markup.get("remove_keyboard"):
                self._reply_keyboard[chat_id] = None
        if self._transcribing:
            self.emit(chat_id, self._render_sent(sent))
        self._notify()

    def _text_and_entities(
        self, text: Any, parse_mode: Any, entities: Any, *, caption: bool
    ) -> tuple[str, list[JSONDict]]:
        plain, ents = format_text(
            str(text), parse_mode, entities if isinstance(entities, list) else None
        )
        if caption:
            if len(plain) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
        else:
            if not plain:
                raise bad_request("message text is empty")
            if len(plain) > MAX_TEXT_LENGTH:
                raise bad_request("message is too long")
        return plain, ents

    # ------------------------------------------------------------------ Bot API methods

    def _m_sendmessage(self, p: JSONDict) -> JSONDict:
        chat_id = self._resolve_chat(p.get("chat_id"))
        text = p.get("text")
        if text is None or text == "":
            raise bad_request("message text is empty")
        plain, ents = self._text_and_entities(
            text, p.get("parse_mode"), p.get("entities"), caption=False
        )
        markup = self._check_markup(p.get("reply_markup"))
        reply_id, reply_msg = self._reply_to(chat_id, p)
        msg = self._new_bot_message(
            chat_id,
            reply_to_message=reply_msg,
            text=plain,
            entities=ents or None,
            link_preview_options=p.get("link_preview_options")
            if isinstance(p.get("link_preview_options"), dict)
            else None,
            reply_markup=markup if markup and "inline_keyboard" in markup else None,
        )
        sent = Sent(
            method="sendMessage",
            chat_id=chat_id,
            message_id=msg["message_id"],
            text=str(text),
            reply_markup=markup,
            parse_mode=p.get("parse_mode"),
            entities=ents or None,
            date=msg["date"],
            plain_text=plain,
            reply_to_message_id=reply_id,
        )
        self._record_sent(sent, msg, p)
        return msg

    # --- forward / copy

    def _source_message(self, p: JSONDict, what: str) -> JSONDict:
        from_chat = self._resolve_chat(p.get("from_chat_id"), "from_chat_id")
        mid = p.get("message_id")
        src = self._messages.get((from_chat, int(mid))) if isinstance(mid, int) else None
        if src is None or (from_chat, mid) in self._deleted:
            raise bad_request(f"message to {what} not found")
        return src

    def _sent_from_message(
        self, method: str, chat_id: int, msg: JSONDict, **overrides: Any
    ) -> Sent:
        def sent_file(obj: JSONDict, kind: str) -> SentFile:
            rec = self._files.get(obj.get("file_id", ""))
            data = self._blobs.get(rec.file_unique_id, b"") if rec else b""
            return SentFile(
                obj.get("file_name"),
                obj.get("mime_type"),
                data,
                obj.get("file_id", ""),
                obj.get("file_unique_id", ""),
                kind,
            )

        text = msg.get("text", msg.get("caption"))
        sent = Sent(
            method=method,
            chat_id=chat_id,
            message_id=msg["message_id"],
            text=text,
            entities=msg.get("entities") or msg.get("caption_entities"),
            date=msg["date"],
            plain_text=text,
            reply_markup=msg.get("reply_markup"),
        )
        if "document" in msg:
            sent.document = sent_file(msg["document"], "document")
        if "video" in msg:
            sent.video = sent_file(msg["video"], "video")
        if "photo" in msg:
            sent.photo = sent_file(msg["photo"][-1], "photo").data
        for key, value in overrides.items():
            setattr(sent, key, value)
        return sent

    def _m_forwardmessage(self, p: JSONDict) -> JSONDict:
        chat_id = self._resolve_chat(p.get("chat_id"))
        src = self._source_message(p, "forward")
        origin_sender = src.get("from") or {}
        body = {
            k: v
            for k, v in src.items()
            if k
            not in (
                "message_id",
                "from",
                "chat",
                "date",
                "reply_to_message",
                "edit_date",
                "forward_origin",
                "reply_markup",
            )
        }
        msg = self._new_bot_message(
            chat_id,
            forward_origin={"type": "user", "sender_user": origin_sender, "date": src["date"]},
            **body,
        )
        sent = self._sent_from_message("forwardMessage", chat_id, msg)
        self._record_sent(sent, msg, p)
        return msg

    def _m_copymessage(self, p: JSONDict) -> JSONDict:
        chat_id = self._resolve_chat(p.get("chat_id"))
        src = self._source_message(p, "copy")
        body = {
            k: v
            for k, v in src.items()
            if k
            not in (
                "message_id",
                "from",
                "chat",
                "date",
                "reply_to_message",
                "edit_date",
                "forward_origin",
                "reply_markup",
                "media_group_id",
            )
        }
        if "caption" in p:
            plain, ents = self._text_and_entities(
                p["caption"], p.get("parse_mode"), p.get("caption_entities"), caption=True
            )
            body.pop("caption_entities", None)
            body["caption"] = plain
            if ents:
                body["caption_entities"] = ents
        markup = self._check_markup(p.get("reply_markup"))
        if markup and "inline_keyboard" in markup:
            body["reply_markup"] = markup
        msg = self._new_bot_message(chat_id, **body)
        sent = self._sent_from_message("copyMessage", chat_id, msg, reply_markup=markup)
        self._record_sent(sent, msg, p)
        return {"message_id": msg["message_id"]}
