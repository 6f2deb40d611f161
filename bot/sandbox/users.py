"""Simulated Telegram users that talk to the bot through a `FakeTelegram` server.

Every action builds a fresh update (incrementing update_id, a message_id shared with the
bot's messages in the private chat, ``date`` from ``srv.now()``), queues it for getUpdates
and returns the message dict (or callback query dict).  The "since" point used by
`SimUser.wait_reply` moves to the present on every action and after every wait.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import mimetypes
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from bot.sandbox.entities import command_entities
from bot.sandbox.files import PHOTO_SIZE_BOXES, generate_bytes, human_size
from bot.sandbox.records import FileRecord, JSONDict, Sent, button_text

DEFAULT_PHONE = "+8613800138000"


class Server(Protocol):
    """What a `SimUser` needs of the server it talks through; `FakeTelegram` provides it.

    A protocol, so that this module does not import ``server.py`` (which imports this one).
    """

    bot_id: int
    bot_user: JSONDict
    now: Callable[[], float]
    _messages: dict[tuple[int, int], JSONDict]
    _media_group_seq: Iterator[int]

    def user_message(
        self, chat: JSONDict, sender: JSONDict | None, fields: JSONDict, kind: str = "message"
    ) -> JSONDict: ...

    def enqueue_update(self, payload: JSONDict) -> JSONDict: ...

    def block_chat(self, chat_id: int | str) -> None: ...

    def unblock_chat(self, chat_id: int | str) -> None: ...

    def next_message_id(self, chat_id: int) -> int: ...

    def new_callback_id(self, chat_id: int | None = None) -> str: ...

    def emit(self, chat_id: int | None, text: str) -> None: ...

    async def wait_change(self, timeout: float) -> None: ...

    def store_file(
        self,
        data: bytes,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        *,
        unique_tag: str | None = None,
        **meta: Any,
    ) -> FileRecord: ...

    def photo_sizes(self, data: bytes, boxes: Iterable[int] = ...) -> list[JSONDict]: ...

    def thumbnail_size(self, data: bytes) -> JSONDict: ...

    def file_object(self, rec: FileRecord, **extra: Any) -> JSONDict: ...

    def messages_to(self, chat_id: int) -> list[Sent]: ...

    def chat_events(self, chat_id: int) -> list[Sent]: ...

    def reply_keyboard(self, chat_id: int) -> JSONDict | None: ...

    def commands_for(
        self, chat_id: int | None = None, language_code: str = ""
    ) -> list[JSONDict]: ...

    def transcript(self, chat_id: int | None = None) -> str: ...


def _data_or_size(data: bytes | int | None, size: int | None, seed: int | str) -> bytes:
    """Either the given bytes or `size` deterministic pseudo-random bytes."""
    if isinstance(data, int) and not isinstance(data, bool):
        size, data = data, None
    if data is not None:
        return bytes(data)
    if size is None:
        raise ValueError("give either data or size")
    return generate_bytes(size, seed)


class SimUser:
    """A person in a private chat with the bot (chat id == user id).

    Create through ``srv.user(user_id, ...)``.  All actions are coroutines.
    """

    def __init__(
        self,
        server: Server,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        #: Phone number shared by a ``request_contact`` keyboard button.
        self.phone = DEFAULT_PHONE
        self._mark = 0
        digest = hashlib.sha256(f"{server.bot_id}:{user_id}".encode()).digest()
        self._chat_instance = str(-int.from_bytes(digest[:8], "big") // 2)

    # ------------------------------------------------------------------ identity

    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def display_name(self) -> str:
        return self.first_name + (f" {self.last_name}" if self.last_name else "")

    def user_json(self) -> JSONDict:
        """This user as a Telegram User object."""
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_json(self) -> JSONDict:
        """The private chat with this user as a Telegram Chat object."""
        chat: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def __repr__(self) -> str:
        return f"<SimUser {self.id} {self.display_name!r}>"

    # ------------------------------------------------------------------ plumbing

    def mark(self) -> None:
        """Reset the "since" point of `wait_reply` / `wait_quiet` to now."""
        self._mark = len(self.server.chat_events(self.id))

    async def _post(self, fields: JSONDict, line: str, kind: str = "message") -> JSONDict:
        self.mark()
        msg = self.server.user_message(self.chat_json(), self.user_json(), fields, kind)
        self.server.emit(self.id, f"{self.display_name} › {line}")
        await asyncio.sleep(0)
        return msg

    # ------------------------------------------------------------------ text

    async def send(self, text: str) -> JSONDict:
        """A text message; a leading /command gets a ``bot_command`` entity."""
        fields: JSONDict = {"text": text}
        fields.update(command_entities(text))
        return await self._post(fields, text)

    async def command(self, name: str, args: str = "") -> JSONDict:
        return await self.send(f"/{name.lstrip('/')} {args}".strip())

    async def send_contact(
        self, phone_number: str | None = None, first_name: str | None = None, own: bool = True
    ) -> JSONDict:
        """A shared contact; ``own`` makes it this user's own (contact.user_id == self.id)."""
        contact: JSONDict = {
            "phone_number": phone_number or self.phone,
            "first_name": first_name or (self.first_name if own else "联系人"),
        }
        if own:
            contact["user_id"] = self.id
            if self.last_name:
                contact["last_name"] = self.last_name
        return await self._post({"contact": contact}, f"[联系人: {contact['phone_number']}]")

    async def forward_text(
        self, text: str, from_name: str, from_user_id: int | None = None
    ) -> JSONDict:
        """A forwarded text; ``from_user_id`` gives a "user" origin, else "hidden_user"."""
        date = int(self.server.now()) - 60
        if from_user_id is not None:
            origin: JSONDict = {
                "type": "user",
                "date": date,
                "sender_user": {"id": from_user_id, "is_bot": False, "first_name": from_name},
            }
        else:
            origin = {"type": "hidden_user", "date": date, "sender_user_name": from_name}
        return await self._post({"forward_origin": origin, "text": text}, f"↪ ({from_name}) {text}")

    async def edit(self, message: JSONDict, new_text: str) -> JSONDict:
        """Edit one of this user's earlier messages (``edited_message`` update)."""
        key = (self.id, message["message_id"])
        current = self.server._messages.get(key, message)
        edited = copy.deepcopy(current)
        edited["text"] = new_text
        edited.pop("entities", None)
        edited.update(command_entities(new_text))
        edited["edit_date"] = int(self.server.now())
        self.server._messages[key] = edited
        self.mark()
        self.server.enqueue_update({"edited_message": edited})
        self.server.emit(self.id, f"{self.display_name} ✎ {new_text}")
        await asyncio.sleep(0)
        return edited

    async def edit_without_change(self, message: JSONDict) -> JSONDict:
        """An ``edited_message`` whose text is what it was (Telegram sends one when, e.g., only
        a link preview or an invisible detail changed): nothing visible to act on."""
        key = (self.id, message["message_id"])
        edited = copy.deepcopy(self.server._messages.get(key, message))
        edited["edit_date"] = int(self.server.now())
        self.server._messages[key] = edited
        self.mark()
        self.server.enqueue_update({"edited_message": edited})
        self.server.emit(self.id, f"{self.display_name} ✎ (无可见变化)")
        await asyncio.sleep(0)
        return edited

    async def send_business(self, text: str, connection_id: str = "sandbox-business-1"
                            ) -> JSONDict:
        """A ``business_message``: this user writes to a business account that has connected
        the bot (``business_connection_id`` set; the chat is this user's chat with it)."""
        msg: JSONDict = {
            "message_id": self.server.next_message_id(self.id),
            "from": self.user_json(),
            "chat": self.chat_json(),
            "date": int(self.server.now()),
            "business_connection_id": connection_id,
            "text": text,
        }
        msg.update(command_entities(text))
        self.mark()
        self.server.enqueue_update({"business_message": msg})
        self.server.emit(self.id, f"{self.display_name} › [商业账号] {text}")
        await asyncio.sleep(0)
        return msg

    # ------------------------------------------------------------------ blocking the bot

    def _member_update(self, old: str, new: str) -> JSONDict:
        def member(status: str) -> JSONDict:
            out: JSONDict = {"status": status, "user": self.server.bot_user}
            if status == "kicked":
                out["until_date"] = 0
            return out

        return {"my_chat_member": {
            "chat": self.chat_json(),
            "from": self.user_json(),
            "date": int(self.server.now()),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }}

    async def block_bot(self) -> JSONDict:
        """Block the bot: sends to this chat answer 403 from now on, and the bot gets a
        ``my_chat_member`` update (member -> kicked), as Telegram sends it."""
        self.server.block_chat(self.id)
        update = self._member_update("member", "kicked")
        self.mark()
        self.server.enqueue_update(update)
        self.server.emit(self.id, f"{self.display_name} ⛔ 屏蔽了机器人")
        await asyncio.sleep(0)
        return update["my_chat_member"]

    async def unblock_bot(self) -> JSONDict:
        """Unblock the bot (``my_chat_member`` kicked -> member); sends pass again."""
        self.server.unblock_chat(self.id)
        update = self._member_update("kicked", "member")
        self.mark()
        self.server.enqueue_update(update)
        self.server.emit(self.id, f"{self.display_name} ✓ 解除屏蔽")
        await asyncio.sleep(0)
        return update["my_chat_member"]

    # ------------------------------------------------------------------ media

    async def send_photo(
        self,
        data: bytes | int | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        *,
        size: int | None = None,
        seed: int | str = 0,
        boxes: tuple[int, ...] = PHOTO_SIZE_BOXES,
    ) -> JSONDict:
        """A photo: Telegram's scaled copies (one per box smaller than the photo: 90, 320,
        800, 1280 px unless ``boxes`` says otherwise), then the full size (last)."""
        raw = _data_or_size(data, size, seed)
        fields: JSONDict = {"photo": self.server.photo_sizes(raw, boxes)}
        return await self._post_media(
            fields, caption, media_group_id, f"[图片 {human_size(len(raw))}]"
        )

    async def send_video(
        self,
        data: bytes | int | None = None,
        caption: str | None = None,
        duration: int = 5,
        width: int = 640,
        height: int = 360,
        thumbnail: bytes | None = None,
        mime_type: str = "video/mp4",
        file_name: str | None = None,
        media_group_id: str | None = None,
        *,
        size: int | None = None,
        seed: int | str = 0,
    ) -> JSONDict:
        raw = _data_or_size(data, size, seed)
        rec = self.server.store_file(
            raw, "video", file_name, mime_type, duration=duration, width=width, height=height
        )
        extra: JSONDict = {"duration": duration, "width": width, "height": height}
        if thumbnail is not None:
            extra["thumbnail"] = self.server.thumbnail_size(thumbnail)
        fields: JSONDict = {"video": self.server.file_object(rec, **extra)}
        label = f"[视频 {file_name + ' ' if file_name else ''}{human_size(len(raw))}]"
        return await self._post_media(fields, caption, media_group_id, label)

    async def send_document(
        self,
        data: bytes | int | None = None,
        file_name: str = "document.bin",
        mime_type: str | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        thumbnail: bytes | None = None,
        *,
        size: int | None = None,
        seed: int | str = 0,
    ) -> JSONDict:
        raw = _data_or_size(data, size, seed)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        rec = self.server.store_file(raw, "document", file_name, mime)
        extra: JSONDict = {}
        if thumbnail is not None:
            extra["thumbnail"] = self.server.thumbnail_size(thumbnail)
        fields: JSONDict = {"document": self.server.file_object(rec, **extra)}
        label = f"[文件: {file_name}, {human_size(len(raw))}]"
        return await self._post_media(fields, caption, media_group_id, label)

    async def _post_media(
        self, fields: JSONDict, caption: str | None, media_group_id: str | None, label: str
    ) -> JSONDict:
        if media_group_id is not None:
            fields["media_group_id"] = str(media_group_id)
        if caption:
            fields["caption"] = caption
        return await self._post(fields, f"{label} {caption}" if caption else label)

    async def send_album(self, items: list[tuple[str, bytes | int, str | None]]) -> list[JSONDict]:
        """Several photos/videos/documents as one media group (separate updates).

        Each item is ``(kind, bytes_or_size, caption_or_None)``.
        """
        group_id = str(next(self.server._media_group_seq))
        out = []
        for index, (kind, data, caption) in enumerate(items):
            if kind == "photo":
                out.append(await self.send_photo(data, caption, group_id, seed=index))
            elif kind == "video":
                out.append(
                    await self.send_video(data, caption, media_group_id=group_id, seed=index)
                )
            elif kind == "document":
                out.append(
                    await self.send_document(
                        data,
                        f"file{index + 1}.bin",
                        caption=caption,
                        media_group_id=group_id,
                        seed=index,
                    )
                )
            else:
                raise ValueError(f"unsupported album item kind {kind!r}")
        return out

    async def send_sticker(self, emoji: str = "👍") -> JSONDict:
        raw = b"RIFF\x00\x00\x00\x00WEBPVP8 " + generate_bytes(2048, f"sticker{emoji}")
        rec = self.server.store_file(raw, "sticker", None, "image/webp", width=512, height=512)
        sticker = {
            **self.server.file_object(rec),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "SandboxStickers",
        }
        sticker.pop("mime_type", None)
        return await self._post({"sticker": sticker}, f"[贴纸 {emoji}]")

    async def send_location(
        self, latitude: float = 31.2304, longitude: float = 121.4737
    ) -> JSONDict:
        location = {"latitude": float(latitude), "longitude": float(longitude)}
        return await self._post({"location": location}, f"[位置: {latitude}, {longitude}]")

    async def send_voice(self, duration: int = 2) -> JSONDict:
        raw = b"OggS" + generate_bytes(1000 * duration, "voice")
        rec = self.server.store_file(raw, "voice", None, "audio/ogg")
        voice = self.server.file_object(rec, duration=duration)
        return await self._post({"voice": voice}, f"[语音 {duration}s]")

    async def send_video_note(self, duration: int = 3, length: int = 240) -> JSONDict:
        raw = generate_bytes(20_000 * duration, "video_note")
        rec = self.server.store_file(raw, "video_note", None, None)
        note = self.server.file_object(rec, duration=duration, length=length)
        return await self._post({"video_note": note}, f"[视频消息 {duration}s]")

    async def send_poll(self, question: str, options: list[str]) -> JSONDict:
        poll = {
            "id": str(int(time.time() * 1000) % 10**12 + self.id),
            "question": question,
            "options": [
                {"text": o, "voter_count": 0, "persistent_id": str(i)}
                for i, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,  # required by Bot API 9.6+ (PTB 22.8)
            "members_only": False,  # required by Bot API 10.0
        }
        return await self._post({"poll": poll}, f"[投票: {question} ({' / '.join(options)})]")

    # ------------------------------------------------------------------ buttons and keyboards

    def _visible_buttons(self) -> str:
        lines = []
        for sent in self.messages[-8:]:
            if sent.deleted or not sent.button_texts():
                continue
            lines.append(f"  message #{sent.message_id}: {sent.button_texts()}")
        return "\n".join(lines) or "  (no inline buttons in this chat)"

    async def press(self, button_text: str, message: Sent | None = None, *,
                    inaccessible: bool = False) -> JSONDict:
        """Press the inline button with exactly this text (``callback_query`` update).

        Looks in `message`, else in the most recent bot message of this chat that has it.
        ``inaccessible``: the query carries an InaccessibleMessage (chat, message_id and
        ``date: 0`` only), as Telegram sends for a message the bot can no longer see (e.g. too
        old).
        """
        target = message
        if target is None:
            target = next(
                (
                    s
                    for s in reversed(self.messages)
                    if not s.deleted and s.find_button(button_text)
                ),
                None,
            )
        button = target.find_button(button_text) if target is not None else None
        if target is None or button is None:
            where = f"message #{target.message_id}" if target is not None else "this chat"
            raise AssertionError(
                f"{self.display_name}: no inline button {button_text!r} in {where}; "
                f"visible buttons:\n{self._visible_buttons()}\n--- transcript ---\n"
                f"{self.server.transcript(self.id)}"
            )
        if "callback_data" not in button:
            raise AssertionError(f"button {button_text!r} is not a callback button: {button}")
        return await self._callback(target, str(button["callback_data"]), button_text,
                                    inaccessible)

    async def press_data(self, data: str, message: Sent | None = None, *,
                         inaccessible: bool = False) -> JSONDict:
        """Send arbitrary callback data as if pressed on `message` (for forged presses)."""
        target = message
        if target is None:
            target = (
                next(
                    (s for s in reversed(self.messages) if not s.deleted and s.button_texts()), None
                )
                or self.last
            )
        if target is None:
            raise AssertionError(f"{self.display_name}: no bot message to press on")
        return await self._callback(target, data, f"data={data!r}", inaccessible)

    async def _callback(self, target: Sent, data: str, label: str,
                        inaccessible: bool = False) -> JSONDict:
        if target.deleted:
            raise AssertionError(f"message #{target.message_id} was deleted; it cannot be pressed")
        message = copy.deepcopy(target.message)
        if inaccessible:
            message = {"chat": message["chat"], "message_id": message["message_id"], "date": 0}
            label += " (消息已不可访问)"
        query = {
            "id": self.server.new_callback_id(self.id),
            "from": self.user_json(),
            "message": message,
            "chat_instance": self._chat_instance,
            "data": data,
        }
        self.mark()
        self.server.enqueue_update({"callback_query": query})
        self.server.emit(self.id, f"{self.display_name} ⇢ pressed {label}")
        await asyncio.sleep(0)
        return query

    def reply_keyboard(self) -> JSONDict | None:
        """The reply keyboard currently shown (None if never shown or removed since)."""
        return self.server.reply_keyboard(self.id)

    async def tap(self, text: str) -> JSONDict:
        """Tap a reply-keyboard button: sends its text, or the contact for request_contact."""
        keyboard = self.reply_keyboard()
        if keyboard is None:
            raise AssertionError(
                f"{self.display_name}: no reply keyboard is shown; cannot tap {text!r}\n"
                f"--- transcript ---\n{self.server.transcript(self.id)}"
            )
        for row in keyboard.get("keyboard") or []:
            for button in row:
                if button_text(button) != text:
                    continue
                if isinstance(button, dict) and button.get("request_contact"):
                    return await self.send_contact(self.phone, self.first_name, own=True)
                if isinstance(button, dict) and button.get("request_location"):
                    return await self.send_location()
                return await self.send(text)
        texts = [button_text(b) for row in keyboard.get("keyboard") or [] for b in row]
        raise AssertionError(f"{self.display_name}: no keyboard button {text!r}; keyboard: {texts}")

    # ------------------------------------------------------------------ reading

    @property
    def messages(self) -> list[Sent]:
        """Everything the bot sent to this chat, in order (deleted ones have ``deleted``)."""
        return self.server.messages_to(self.id)

    def texts(self) -> list[str]:
        """Texts/captions of the non-deleted bot messages, as the user sees them."""
        return [
            (s.plain_text if s.plain_text is not None else s.text) or ""
            for s in self.messages
            if not s.deleted
        ]

    @property
    def last(self) -> Sent | None:
        """The most recent bot message in this chat."""
        msgs = self.messages
        return msgs[-1] if msgs else None

    def commands(self) -> list[JSONDict]:
        """The command menu this user would see (scope + language resolution)."""
        return self.server.commands_for(self.id, self.language_code or "")

    def transcript(self) -> str:
        return self.server.transcript(self.id)

    # ------------------------------------------------------------------ waiting

    def _new_since_mark(self) -> list[Sent]:
        seen: set[int] = set()
        out: list[Sent] = []
        for sent in self.server.chat_events(self.id)[self._mark :]:
            if id(sent) not in seen:
                seen.add(id(sent))
                out.append(sent)
        return out

    async def _settle(self, quiet: float, deadline: float) -> None:
        events = self.server.chat_events(self.id)
        while True:
            before = len(events)
            await asyncio.sleep(quiet)
            if len(events) == before or time.monotonic() >= deadline:
                return

    async def wait_reply(
        self, count: int = 1, timeout: float = 10, quiet: float = 0.15
    ) -> list[Sent]:
        """Wait for >= `count` new (or newly edited) bot messages since the last action.

        Then waits until `quiet` seconds pass without anything new, and returns the new
        messages (an edited message appears once, in its current state).  Raises
        AssertionError with the chat transcript on timeout.
        """
        return await self._wait(lambda new: len(new) >= count,
                                f"expected {count} new bot message(s)", timeout, quiet)

    async def wait_for(self, text: str, timeout: float = 10, quiet: float = 0.15) -> list[Sent]:
        """Wait for a new (or newly edited) bot message whose visible text contains ``text``,
        then for a quiet moment; the new messages, that one among them. For an answer that
        follows others at a moment of the bot's choosing (a notice after the notices before
        it), where a count would race with them. Raises AssertionError with the transcript
        on timeout."""
        return await self._wait(
            lambda new: any(text in (sent.plain_text or "") for sent in new),
            f"expected a new bot message with {text!r}", timeout, quiet)

    async def _wait(self, done: Callable[[list[Sent]], bool], expected: str, timeout: float,
                    quiet: float) -> list[Sent]:
        """Until ``done`` holds for the messages new since the mark, then a quiet moment:
        those messages (the mark moved past them)."""
        deadline = time.monotonic() + timeout
        while not done(self._new_since_mark()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = self._new_since_mark()
                raise AssertionError(
                    f"{self.display_name}: {expected} within {timeout}s, "
                    f"got {len(got)}\n--- transcript ---\n{self.server.transcript(self.id)}"
                )
            await self.server.wait_change(min(remaining, 0.5))
        await self._settle(quiet, deadline + quiet)
        new = self._new_since_mark()
        self.mark()
        return new

    async def wait_quiet(self, quiet: float = 0.3, timeout: float = 10) -> list[Sent]:
        """Wait until nothing new arrives for `quiet` seconds; return what is new since the mark."""
        await self._settle(quiet, time.monotonic() + timeout)
        new = self._new_since_mark()
        self.mark()
        return new
