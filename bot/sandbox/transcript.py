"""The conversation as a person reads it: each send, edit, deletion, callback answer and user
action rendered as lines, kept for `FakeTelegram.transcript` and handed to ``on_event``.
"""

from __future__ import annotations

import logging

from bot.sandbox.files import human_size
from bot.sandbox.records import Sent, button_text

log = logging.getLogger(__name__)


class TranscriptMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): the
    transcript (``_transcript``, ``record_transcript``, ``on_event``)."""

    def transcript(self, chat_id: int | None = None) -> str:
        """The conversation as a person reads it (one chat, or everything)."""
        return "\n".join(
            text for cid, text in self._transcript if chat_id is None or cid == chat_id
        )

    @property
    def _transcribing(self) -> bool:
        return self.record_transcript or self.on_event is not None

    def emit(self, chat_id: int | None, text: str) -> None:
        """Append an event to the transcript and call ``on_event``."""
        if self.record_transcript:
            self._transcript.append((chat_id, text))
        if self.on_event is not None:
            try:
                self.on_event(text)
            except Exception:
                log.exception("on_event hook failed")

    def _bot_prefix(self, chat_id: int | str, arrow: str) -> str:
        if len(self._users) > 1 or (isinstance(chat_id, int) and chat_id < 0):
            return f"🤖 → {self._display_name(chat_id)} {arrow} "
        return f"🤖 {arrow} "

    def _render_sent(self, sent: Sent, arrow: str = "›") -> str:
        body = sent.plain_text if sent.plain_text is not None else (sent.text or "")
        if sent.method == "forwardMessage":
            body = "↪ " + body
        first, *rest = body.split("\n") if body else [""]
        lines = [(self._bot_prefix(sent.chat_id, arrow) + first).rstrip()]
        lines += ["    " + line for line in rest]
        if sent.document is not None:
            lines.append(
                f"   [文件: {sent.document.file_name or '?'}, {human_size(sent.document.size)}]"
            )
        if sent.photo is not None:
            lines.append(f"   [图片: {human_size(len(sent.photo))}]")
        if sent.video is not None:
            lines.append(
                f"   [视频: {sent.video.file_name or 'video'}, {human_size(sent.video.size)}]"
            )
        if sent.media:
            items = ", ".join(
                f"{m.kind} {m.file_name or ''} {human_size(m.size)}".replace("  ", " ")
                for m in sent.media
            )
            lines.append(f"   [相册: {len(sent.media)} 项: {items}]")
        markup = sent.reply_markup or {}
        for row in markup.get("inline_keyboard") or []:
            lines.append("   [按钮: " + " | ".join(button_text(b) for b in row) + "]")
        for row in markup.get("keyboard") or []:
            lines.append("   [键盘: " + " | ".join(button_text(b) for b in row) + "]")
        if markup.get("remove_keyboard"):
            lines.append("   [键盘已收起]")
        return "\n".join(lines)

    def _display_name(self, chat_id: int | str | None) -> str:
        if isinstance(chat_id, int) and chat_id in self._users:
            return self._users[chat_id].display_name
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat:
            return str(chat.get("title") or chat.get("first_name") or chat_id)
        return str(chat_id)
