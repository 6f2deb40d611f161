"""editMessageText, editMessageCaption, editMessageReplyMarkup and deleteMessage: an edit
changes its `Sent` entry in place (the previous version goes to ``edits``), a deletion flags it.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from bot.sandbox.records import JSONDict, Sent, bad_request


class EditsMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): edits and
    deletions of recorded messages."""

    def _edit_target(self, p: JSONDict) -> tuple[int, int, Sent]:
        if p.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the sandbox")
        chat_id = self._resolve_chat(p.get("chat_id"))
        mid = p.get("message_id")
        if not isinstance(mid, int):
            raise bad_request("message identifier is not specified")
        sent = self._sent_by_id.get((chat_id, mid))
        if sent is None or sent.deleted or (chat_id, mid) in self._deleted:
            if (chat_id, mid) in self._messages and (chat_id, mid) not in self._deleted:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return chat_id, mid, sent

    def _apply_edit(
        self,
        chat_id: int,
        mid: int,
        sent: Sent,
        changes: dict[str, Any],
        msg_changes: JSONDict,
        p: JSONDict,
    ) -> JSONDict:
        msg = self._messages[(chat_id, mid)]
        new_msg = dict(msg)
        for key, value in msg_changes.items():
            if value is None or value == []:
                new_msg.pop(key, None)
            else:
                new_msg[key] = value
        comparable = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(new_msg.get(k) == msg.get(k) for k in comparable):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        new_msg["edit_date"] = int(self.now())
        old = dataclasses.replace(sent, edits=[], message=copy.deepcopy(sent.message))
        sent.edits.append(old)
        for key, value in changes.items():
            setattr(sent, key, value)
        self._messages[(chat_id, mid)] = new_msg
        if mid == sent.message_id:
            sent.message = new_msg
        self._chat_events.setdefault(chat_id, []).append(sent)
        if self._transcribing:
            self.emit(chat_id, self._render_sent(sent, "✎"))
        self._notify()
        return new_msg

    def _m_editmessagetext(self, p: JSONDict) -> JSONDict:
        chat_id, mid, sent = self._edit_target(p)
        msg = self._messages[(chat_id, mid)]
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        text = p.get("text")
        if text is None or text == "":
            raise bad_request("message text is empty")
        plain, ents = self._text_and_entities(
            text, p.get("parse_mode"), p.get("entities"), caption=False
        )
        markup = self._check_markup(p.get("reply_markup"))
        inline = markup if markup and "inline_keyboard" in markup else None
        return self._apply_edit(
            chat_id,
            mid,
            sent,
            {
                "text": str(text),
                "plain_text": plain,
                "entities": ents or None,
                "parse_mode": p.get("parse_mode"),
                "reply_markup": inline,
            },
            {"text": plain, "entities": ents, "reply_markup": inline},
            p,
        )

    def _m_editmessagecaption(self, p: JSONDict) -> JSONDict:
        chat_id, mid, sent = self._edit_target(p)
        msg = self._messages[(chat_id, mid)]
        if "text" in msg:
            raise bad_request("there is no caption in the message to edit")
        caption = p.get("caption")
        plain, ents = ("", [])
        if caption:
            plain, ents = self._text_and_entities(
                caption, p.get("parse_mode"), p.get("caption_entities"), caption=True
            )
        markup = self._check_markup(p.get("reply_markup"))
        inline = markup if markup and "inline_keyboard" in markup else None
        changes: dict[str, Any] = {"reply_markup": inline}
        if sent.media and mid in sent.message_ids:
            index = sent.message_ids.index(mid)
            sent.media[index].caption = str(caption) if caption else None
            if index == 0:
                changes.update(text=str(caption) if caption else None, plain_text=plain or None)
        else:
            changes.update(
                text=str(caption) if caption else None,
                plain_text=plain or None,
                entities=ents or None,
                parse_mode=p.get("parse_mode"),
            )
        return self._apply_edit(
            chat_id,
            mid,
            sent,
            changes,
            {"caption": plain or None, "caption_entities": ents, "reply_markup": inline},
            p,
        )

    def _m_editmessagereplymarkup(self, p: JSONDict) -> JSONDict:
        chat_id, mid, sent = self._edit_target(p)
        markup = self._check_markup(p.get("reply_markup"))
        inline = markup if markup and "inline_keyboard" in markup else None
        return self._apply_edit(
            chat_id, mid, sent, {"reply_markup": inline}, {"reply_markup": inline}, p
        )

    def _m_deletemessage(self, p: JSONDict) -> bool:
        chat_id = self._resolve_chat(p.get("chat_id"))
        mid = p.get("message_id")
        key = (chat_id, mid if isinstance(mid, int) else -1)
        if key not in self._messages or key in self._deleted:
            raise bad_request("message to delete not found")
        self._deleted.add(key)
        sent = self._sent_by_id.get(key)
        if sent is not None and all((chat_id, m) in self._deleted for m in sent.message_ids):
            sent.deleted = True
            self.emit(
                chat_id, self._bot_prefix(chat_id, "✗") + f"(已删除) {(sent.plain_text or '')[:40]}"
            )
        elif sent is None:
            self.emit(chat_id, self._bot_prefix(chat_id, "✗") + f"(删除了用户消息 #{key[1]})")
        self._notify()
        return True
