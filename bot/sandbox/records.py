"""What the sandbox records and answers with: the bot's messages and files as tests read
them (`Sent`, `SentFile`), the files the server knows (`FileRecord`), the file parts of a
multipart request (`Upload`), Bot API errors (`ApiError`) and fault rules.

Every other sandbox module may import this one; it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]


class ApiError(Exception):
    """An error answered to the client as ``{"ok": false, ...}`` with HTTP status = code."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Upload:
    """A file part of a multipart request."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"<Upload {self.name} {self.filename!r} {len(self.data)} bytes>"


# ---------------------------------------------------------------------------------------------
# Observation models
# ---------------------------------------------------------------------------------------------


@dataclass
class SentFile:
    """A file the bot sent (document, video, media-group item...)."""

    file_name: str | None
    mime_type: str | None
    data: bytes
    file_id: str = ""
    file_unique_id: str = ""
    kind: str = "document"  #: "document" | "photo" | "video" | ...
    caption: str | None = None  #: only used for media-group items

    @property
    def size(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return (
            f"SentFile(kind={self.kind!r}, file_name={self.file_name!r}, "
            f"mime_type={self.mime_type!r}, size={self.size})"
        )


@dataclass
class Sent:
    """One bot -> chat message as recorded by the server.

    ``text`` is the text (or caption) exactly as the bot sent it (markup included when a
    ``parse_mode`` was used); ``plain_text`` is what the user sees after Telegram parsed it.
    ``message`` is the current Message JSON as Telegram would hand it out (e.g. in a
    callback query).  Edits update the entry in place and push the previous version to
    ``edits``.  A media group is a single entry with ``media`` set and one id per item in
    ``message_ids``.
    """

    method: str
    chat_id: int | str
    message_id: int
    text: str | None = None
    reply_markup: JSONDict | None = None
    parse_mode: str | None = None
    entities: list[JSONDict] | None = None
    document: SentFile | None = None
    photo: bytes | None = None
    video: SentFile | None = None
    media: list[SentFile] | None = None
    date: int = 0
    edits: list[Sent] = field(default_factory=list)
    deleted: bool = False
    plain_text: str | None = None
    message_ids: list[int] = field(default_factory=list)
    reply_to_message_id: int | None = None
    message: JSONDict = field(default_factory=dict, repr=False)

    @property
    def caption(self) -> str | None:
        """The caption for media messages (same as ``text``), else None."""
        if self.document or self.photo is not None or self.video or self.media:
            return self.text
        return None

    def inline_keyboard(self) -> list[list[JSONDict]]:
        """Rows of inline buttons (dicts), empty when there is no inline keyboard."""
        if not self.reply_markup:
            return []
        return [list(row) for row in self.reply_markup.get("inline_keyboard") or []]

    def button_texts(self) -> list[str]:
        """Texts of all inline buttons, row by row."""
        return [b.get("text", "") for row in self.inline_keyboard() for b in row]

    def find_button(self, text: str) -> JSONDict | None:
        """The inline button with exactly this text, or None."""
        for row in self.inline_keyboard():
            for button in row:
                if button.get("text") == text:
                    return button
        return None

    def keyboard_texts(self) -> list[str]:
        """Texts of the reply-keyboard buttons sent with this message (if any)."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [button_text(b) for row in rows for b in row]


@dataclass
class FileRecord:
    """A file the server knows (uploaded by the bot or a simulated user)."""

    file_id: str
    file_unique_id: str
    kind: str
    size: int
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    meta: JSONDict = field(default_factory=dict)


@dataclass
class FaultRule:
    """A `FakeTelegram.fail_requests` rule: the next `remaining` calls (of `methods`, all when
    None) fail with `status`."""

    remaining: int
    status: int | str
    methods: frozenset[str] | None
    retry_after: int = 1      # a 429's retry_after, as Telegram always gives one


def button_text(button: Any) -> str:
    return button if isinstance(button, str) else str(button.get("text", ""))
