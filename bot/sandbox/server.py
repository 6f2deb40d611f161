"""A fake Telegram Bot API server for end-to-end tests and demos.

`FakeTelegram` speaks the real Bot API JSON over HTTP on 127.0.0.1, so an unmodified
python-telegram-bot ``Application`` can be pointed at it with::

    ApplicationBuilder().token(srv.token)
        .base_url(srv.api_base_url).base_file_url(srv.file_base_url).build()

Simulated users (`SimUser`, see ``users.py``) push updates into the ``getUpdates`` queue;
everything the bot sends is recorded in ``srv.sent`` as `Sent` entries.  Faults (429 flood
control, 403 blocked users, 500s, hung requests, oversized files, broken downloads) can be
switched on at runtime.

The server is single-event-loop code: call its helpers (and the `SimUser` actions) from the
loop that runs it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import dataclasses
import hashlib
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any, ClassVar

from aiohttp import web

from bot.sandbox.entities import command_entities, format_text, u16
from bot.sandbox.files import (
    MAX_GETFILE_SIZE,
    PHOTO_SIZE_BOXES,
    _image_size,
    _scaled_copies,
    human_size,
)
from bot.sandbox.records import (
    ApiError,
    FaultRule,
    FileRecord,
    JSONDict,
    Sent,
    SentFile,
    Upload,
    bad_request,
    button_text,
)
from bot.sandbox.users import SimUser
from bot.sandbox.wire import error_response, json_response, parse_params

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

#: Methods subject to flood control (sendX, editX, copy/forward) - see `_is_rate_limited`.
RATE_LIMIT_EXEMPT = frozenset({"sendchataction"})

#: Canonical spelling of every implemented method (dispatch is on the lower-case name).
IMPLEMENTED_METHODS = (
    "getMe",
    "logOut",
    "close",
    "deleteWebhook",
    "getWebhookInfo",
    "getUpdates",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setMyDescription",
    "getMyDescription",
    "setMyShortDescription",
    "getMyShortDescription",
    "setChatMenuButton",
    "getChatMenuButton",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "deleteMessage",
    "answerCallbackQuery",
    "sendChatAction",
    "sendDocument",
    "sendPhoto",
    "sendVideo",
    "sendMediaGroup",
    "forwardMessage",
    "copyMessage",
    "getFile",
    "getChat",
)
_CANONICAL = {name.lower(): name for name in IMPLEMENTED_METHODS}


class FakeTelegram:
    """An in-process fake of the Telegram Bot API (see module docstring).

    Observation attributes: ``sent``, ``commands``, ``callback_answers``, ``requests``,
    ``stats``, ``unknown_methods``, ``chat_actions``, ``download_count``, ``descriptions``,
    ``short_descriptions``, ``menu_buttons``.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "safety_month_bot",
        bot_id: int = 123456,
        rate_limit_per_second: float | None = None,
        local_mode: bool = False,
        latency: float = 0.0,
        *,
        bot_first_name: str = "Safety Month Bot",
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = bot_first_name
        #: Max sends/edits per sliding second across all chats (None = unlimited).
        self.rate_limit_per_second = rate_limit_per_second
        #: Like a local Bot API server: getFile has no 20 MB limit.
        self.local_mode = local_mode
        #: Seconds added to every API call and download.
        self.latency = latency
        #: How long a "timeout" fault hangs before (uselessly) answering 500.
        self.timeout_hang: float = 30.0
        #: Clock for message dates; tests may replace it.
        self.now: Callable[[], float] = time.time
        #: Live transcript hook, called with each rendered event (possibly multi-line).
        self.on_event: Callable[[str], Any] | None = None
        #: Record every call in ``requests`` (switch off for large benchmarks).
        self.record_requests = True
        self.max_recorded_requests = 100_000
        #: Keep the rendered transcript (switch off for large benchmarks; on_event still works).
        self.record_transcript = True

        self.port: int = 0
        self.sent: list[Sent] = []
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.callback_answers: list[JSONDict] = []
        self.requests: list[tuple[str, JSONDict]] = []
        self.stats: Counter[str] = Counter()
        self.unknown_methods: list[str] = []
        self.chat_actions: list[tuple[int | str, str]] = []
        self.download_count: Counter[str] = Counter()
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.menu_buttons: dict[int | None, JSONDict] = {}

        self._runner: web.AppRunner | None = None
        self._closing = False
        self._stop_event: asyncio.Event | None = None
        self._waiters: set[asyncio.Future[None]] = set()

        self._users: dict[int, SimUser] = {}
        self._chats: dict[int, JSONDict] = {}
        self._next_msg_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._deleted: set[tuple[int, int]] = set()
        self._sent_by_id: dict[tuple[int, int], Sent] = {}
        self._chat_sent: dict[int, list[Sent]] = {}
        self._chat_events: dict[int, list[Sent]] = {}
        self._reply_keyboard: dict[int, JSONDict | None] = {}
        self._transcript: list[tuple[int | None, str]] = []

        self._updates: deque[JSONDict] = deque()
        self._next_update_id = 1
        self._last_enqueued_id = 0
        self._max_fetched_id = 0
        self._poll_generation = 0

        self._callback_ids: dict[str, bool] = {}  # id -> answered?
        self._callback_chat: dict[str, int | None] = {}
        self._callback_seq = itertools.count(1)

        self._files: dict[str, FileRecord] = {}  # file_id -> record
        self._files_by_path: dict[str, FileRecord] = {}
        self._blobs: dict[str, bytes] = {}  # file_unique_id -> bytes
        self._file_seq = itertools.count(1)
        self._broken_downloads: set[str] = set()

        self._blocked: set[int | str] = set()
        self._faults: list[FaultRule] = []
        self._send_window: deque[float] = deque()
        self._sends_per_second: Counter[int] = Counter()
        self._media_group_seq = itertools.count(13_000_000_000_000_000)

    # ------------------------------------------------------------------ lifecycle

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def bot_user(self) -> JSONDict:
        """The bot as a User object (the ``from`` of its messages)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    async def start(self, port: int = 0) -> None:
        """Bind 127.0.0.1 (a free port unless given) and start serving."""
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.*}", self._handle_file)
        self._closing = False
        self._stop_event = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving; pending long polls and hung requests are released first."""
        self._closing = True
        if self._stop_event is not None:
            self._stop_event.set()
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ change notification

    def _notify(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    async def wait_change(self, timeout: float) -> None:
        """Wait until anything happens (update queued/fetched, message sent...) or timeout."""
        if timeout <= 0:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(fut)

    # ------------------------------------------------------------------ fault controls

    def block_chat(self, chat_id: int | str) -> None:
        """Sends to this chat answer 403 "Forbidden: bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int | str) -> None:
        self._blocked.discard(chat_id)

    def fail_requests(
        self, count: int, status: int | str = 500, methods: Iterable[str] | None = None
    ) -> None:
        """The next `count` calls (of `methods`, if given) fail.

        ``status`` is an HTTP error code (answered as a Bot API error) or ``"timeout"``
        (the request hangs ``timeout_hang`` seconds so the client's timeout fires).
        """
        names = frozenset(m.lower() for m in methods) if methods else None
        self._faults.append(FaultRule(count, status, names))

    def clear_faults(self) -> None:
        self._faults.clear()

    def break_download(self, file_unique_id: str) -> None:
        """Downloads of this file send half the bytes, then drop the connection."""
        self._broken_downloads.add(file_unique_id)

    def fix_download(self, file_unique_id: str) -> None:
        self._broken_downloads.discard(file_unique_id)

    # ------------------------------------------------------------------ observation helpers

    @staticmethod
    def scope_key(scope: JSONDict | str | None = None, chat_id: int | None = None) -> str:
        """Canonical key of a BotCommandScope (dict, type name, or None = default)."""
        if scope is None:
            scope = {"type": "default"}
        elif isinstance(scope, str):
            scope = {"type": scope}
        scope = dict(scope)
        if chat_id is not None:
            scope["chat_id"] = chat_id
        if isinstance(scope.get("chat_id"), str) and scope["chat_id"].lstrip("-").isdigit():
            scope["chat_id"] = int(scope["chat_id"])
        if isinstance(scope.get("user_id"), str) and scope["user_id"].isdigit():
            scope["user_id"] = int(scope["user_id"])
        return json.dumps(scope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def commands_for(self, chat_id: int | None = None, language_code: str = "") -> list[JSONDict]:
        """The command list a client would show in the private chat `chat_id`.

        Resolution order (like Telegram): chat scope + language, chat scope, then
        all_private_chats + language, all_private_chats, default + language, default.
        A language like ``zh-hans`` also matches commands set for ``zh``.
        """
        langs: list[str] = []
        if language_code:
            langs.append(language_code)
            base = language_code.split("-")[0]
            if base != language_code:
                langs.append(base)
        langs.append("")
        scopes: list[str] = []
        if chat_id is not None:
            scopes.append(self.scope_key("chat", chat_id))
        scopes += [self.scope_key("all_private_chats"), self.scope_key("default")]
        for scope in scopes:
            for lang in langs:
                found = self.commands.get((scope, lang))
                if found:
                    return [dict(c) for c in found]
        return []

    def sent_per_second(self) -> dict[int, int]:
        """Successful send/edit calls per integer second of ``time.monotonic()``."""
        return dict(sorted(self._sends_per_second.items()))

    def updates_pending(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    async def wait_fetched(self, timeout: float = 5) -> None:
        """Wait until every queued update has been handed out by getUpdates at least once."""
        deadline = time.monotonic() + timeout
        while self._max_fetched_id < self._last_enqueued_id:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"updates not fetched within {timeout}s: last queued id "
                    f"{self._last_enqueued_id}, last fetched {self._max_fetched_id}"
                )
            await self.wait_change(remaining)

    def messages_to(self, chat_id: int) -> list[Sent]:
        """Everything the bot sent to this chat, in order (deleted ones flagged)."""
        return list(self._chat_sent.get(chat_id, []))

    def chat_events(self, chat_id: int) -> list[Sent]:
        """Sends and edits in this chat, in order (an edited message appears again)."""
        return self._chat_events.setdefault(chat_id, [])

    def reply_keyboard(self, chat_id: int) -> JSONDict | None:
        """The reply keyboard currently shown in this chat (None if none / removed)."""
        return self._reply_keyboard.get(chat_id)

    def file_bytes(self, file_id_or_unique_id: str) -> bytes:
        """Bytes of a known file (by file_id or file_unique_id)."""
        rec = self._files.get(file_id_or_unique_id)
        key = rec.file_unique_id if rec else file_id_or_unique_id
        return self._blobs[key]

    def transcript(self, chat_id: int | None = None) -> str:
        """The conversation as a person reads it (one chat, or everything)."""
        return "\n".join(
            text for cid, text in self._transcript if chat_id is None or cid == chat_id
        )

    # ------------------------------------------------------------------ users and chats

    def user(
        self,
        user_id: int,
        first_name: str = "张三",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> SimUser:
        """The simulated user with this id (created on first use; same id -> same object)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        sim = SimUser(self, user_id, first_name, last_name, username, language_code)
        self._users[user_id] = sim
        self._chats[user_id] = sim.chat_json()
        return sim

    @property
    def users(self) -> dict[int, SimUser]:
        return dict(self._users)

    def _display_name(self, chat_id: int | str | None) -> str:
        if isinstance(chat_id, int) and chat_id in self._users:
            return self._users[chat_id].display_name
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat:
            return str(chat.get("title") or chat.get("first_name") or chat_id)
        return str(chat_id)

    def next_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared between user and bot messages."""
        mid = self._next_msg_id.get(chat_id, 1)
        self._next_msg_id[chat_id] = mid + 1
        return mid

    def _resolve_chat(self, value: Any, field_name: str = "chat_id") -> int:
        if value is None or value == "":
            raise bad_request(f"{field_name} is empty")
        if isinstance(value, str):
            if value.startswith("@"):
                name = value[1:].lower()
                for cid, chat in self._chats.items():
                    if str(chat.get("username", "")).lower() == name:
                        return cid
                raise bad_request("chat not found")
            try:
                value = int(value)
            except ValueError:
                raise bad_request("chat not found") from None
        if value not in self._chats:
            raise bad_request("chat not found")
        return int(value)

    # ------------------------------------------------------------------ update queue

    def enqueue_update(self, payload: JSONDict) -> JSONDict:
        """Queue an update (payload without update_id, e.g. {"message": {...}})."""
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._last_enqueued_id = update["update_id"]
        self._updates.append(update)
        self._notify()
        return update

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            while len(self._updates) > keep:
                self._updates.popleft()
            return
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()

    def user_message(
        self, chat: JSONDict, sender: JSONDict | None, fields: JSONDict, kind: str = "message"
    ) -> JSONDict:
        """Build, store and enqueue an incoming message in `chat`; returns the message dict."""
        chat_id = chat["id"]
        self._chats.setdefault(chat_id, chat)
        msg: JSONDict = {"message_id": self.next_message_id(chat_id)}
        if sender is not None:
            msg["from"] = sender
        msg["chat"] = chat
        msg["date"] = int(self.now())
        msg.update(fields)
        self._messages[(chat_id, msg["message_id"])] = msg
        self.enqueue_update({kind: msg})
        return msg

    async def group_message(
        self, chat_id: int, from_user: SimUser | JSONDict, text: str
    ) -> JSONDict:
        """A text message in a group chat (chat_id < 0) from `from_user`."""
        chat = self._chats.get(chat_id) or {
            "id": chat_id,
            "type": "group",
            "title": f"Group {chat_id}",
        }
        sender = from_user.user_json() if hasattr(from_user, "user_json") else dict(from_user)
        fields: JSONDict = {"text": text}
        fields.update(command_entities(text))
        msg = self.user_message(chat, sender, fields)
        self.emit(chat_id, f"[{chat['title']}] {sender.get('first_name', '?')} › {text}")
        await asyncio.sleep(0)
        return msg

    async def channel_post(self, chat_id: int, text: str) -> JSONDict:
        """A post in a channel the bot is in (``channel_post`` update, no ``from``)."""
        chat = self._chats.get(chat_id) or {
            "id": chat_id,
            "type": "channel",
            "title": f"Channel {chat_id}",
        }
        msg = self.user_message(
            chat, None, {"sender_chat": chat, "text": text}, kind="channel_post"
        )
        self.emit(chat_id, f"[{chat['title']}] › {text}")
        await asyncio.sleep(0)
        return msg

    def new_callback_id(self, chat_id: int | None = None) -> str:
        """A fresh callback query id that answerCallbackQuery will accept."""
        cid = f"{self.bot_id % 100000}{next(self._callback_seq):08d}{secrets.randbelow(10**6):06d}"
        self._callback_ids[cid] = False
        self._callback_chat[cid] = chat_id
        return cid

    # ------------------------------------------------------------------ files

    _KIND_PREFIX: ClassVar[dict[str, str]] = {
        "photo": "AgACAgIAAxkBAA",
        "document": "BQACAgIAAxkBAA",
        "video": "BAACAgIAAxkBAA",
        "voice": "AwACAgIAAxkBAA",
        "video_note": "DQACAgIAAxkBAA",
        "sticker": "CAACAgIAAxkBAA",
        "thumbnail": "AAMCAgADGQEAA",
    }
    _KIND_FOLDER: ClassVar[dict[str, str]] = {
        "photo": "photos",
        "document": "documents",
        "video": "videos",
        "voice": "voice",
        "video_note": "video_notes",
        "sticker": "stickers",
        "thumbnail": "thumbnails",
    }

    def store_file(
        self,
        data: bytes,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        *,
        unique_tag: str | None = None,
        **meta: Any,
    ) -> FileRecord:
        """Store bytes as a new file (fresh file_id; file_unique_id derived from content)."""
        tag = (unique_tag or kind).encode()
        digest = hashlib.sha256(tag + b"\0" + data).digest()
        unique = "AgAD" + base64.urlsafe_b64encode(digest[:9]).decode()
        seq = next(self._file_seq)
        file_id = (
            f"{self._KIND_PREFIX.get(kind, 'BQACAgIAAxkBAA')}{seq:05d}" + secrets.token_urlsafe(18)
        )
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif mime_type:
            ext = mimetypes.guess_extension(mime_type) or ""
        elif kind in ("photo", "thumbnail"):
            ext = ".jpg"
        path = f"{self._KIND_FOLDER.get(kind, 'documents')}/file_{seq}{ext}"
        rec = FileRecord(file_id, unique, kind, len(data), path, file_name, mime_type, dict(meta))
        self._blobs.setdefault(unique, data)
        self._files[file_id] = rec
        self._files_by_path[path] = rec
        return rec

    def photo_sizes(self, data: bytes, boxes: Iterable[int] = PHOTO_SIZE_BOXES
                    ) -> list[JSONDict]:
        """Store a photo like Telegram: a PhotoSize per box (``PHOTO_SIZE_BOXES`` unless
        given) smaller than the photo (real downscaled JPEGs, upright), then the full size
        (the bytes as sent, with their upright width and height)."""
        scaled = _scaled_copies(data, boxes)
        if scaled is None:   # not an image: the bytes stand in for the 90 px size
            width, height = 1280, 720
            copies = [(data, 90, max(1, round(90 * height / width)))]
        else:
            (width, height), copies = scaled
        sizes = [self.store_file(copy_data, "photo", unique_tag=f"photo-{max(w, h)}",
                                 width=w, height=h) for copy_data, w, h in copies]
        sizes.append(self.store_file(data, "photo", unique_tag="photo", width=width,
                                     height=height))
        return [self._photo_size(size) for size in sizes]

    def thumbnail_size(self, data: bytes) -> JSONDict:
        """Store a thumbnail image and return its PhotoSize."""
        w, h = _image_size(data) or (320, 180)
        return self._photo_size(self.store_file(data, "thumbnail", width=w, height=h))

    @staticmethod
    def _photo_size(rec: FileRecord) -> JSONDict:
        return {
            "file_id": rec.file_id,
            "file_unique_id": rec.file_unique_id,
            "file_size": rec.size,
            "width": rec.meta.get("width", 0),
            "height": rec.meta.get("height", 0),
        }

    def file_object(self, rec: FileRecord, **extra: Any) -> JSONDict:
        """Document/Video/... JSON for a stored file."""
        obj: JSONDict = {
            "file_id": rec.file_id,
            "file_unique_id": rec.file_unique_id,
            "file_size": rec.size,
        }
        if rec.file_name:
            obj["file_name"] = rec.file_name
        if rec.mime_type:
            obj["mime_type"] = rec.mime_type
        obj.update(extra)
        return obj

    # ------------------------------------------------------------------ transcript

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

    # ------------------------------------------------------------------ HTTP layer

    def _record_request(self, method: str, params: JSONDict) -> None:
        if not self.record_requests:
            return
        light = {k: (repr(v) if isinstance(v, Upload) else v) for k, v in params.items()}
        self.requests.append((method, light))
        if len(self.requests) > self.max_recorded_requests:
            del self.requests[: len(self.requests) // 2]

    def _take_fault(self, method_l: str) -> FaultRule | None:
        for rule in self._faults:
            if rule.remaining > 0 and (rule.methods is None or method_l in rule.methods):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._faults.remove(rule)
                return rule
        return None

    async def _hang(self) -> None:
        """Sleep `timeout_hang` seconds, or until the server stops."""
        if self._stop_event is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event.wait(), self.timeout_hang)

    @staticmethod
    def _is_rate_limited(method_l: str) -> bool:
        if method_l in RATE_LIMIT_EXEMPT:
            return False
        return method_l.startswith(("send", "edit")) or method_l in (
            "copymessage",
            "forwardmessage",
        )

    def _check_rate_limit(self) -> None:
        limit = self.rate_limit_per_second
        if not limit:
            return
        now = time.monotonic()
        window = self._send_window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limit:
            retry = max(1, math.ceil(window[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        window.append(now)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            self.stats["401"] += 1
            return error_response(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        method_l = method.lower()
        canonical = _CANONICAL.get(method_l, method)
        try:
            params = await parse_params(request)
        except ApiError as exc:
            self.stats[str(exc.code)] += 1
            return error_response(exc)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        self._record_request(canonical, params)
        self.stats[canonical] += 1

        fault = self._take_fault(method_l)
        if fault is not None:
            if fault.status == "timeout":
                self.stats["timeout"] += 1
                await self._hang()
                status = 500
            else:
                status = int(fault.status)
                self.stats[str(status)] += 1
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = "Error"
            return error_response(ApiError(status, phrase))

        handler = getattr(self, f"_m_{method_l}", None) if method_l in _CANONICAL else None
        try:
            if handler is None:
                self.unknown_methods.append(method)
                raise ApiError(404, "Not Found: method not found")
            limited = self._is_rate_limited(method_l)
            if limited:
                self._check_rate_limit()
            if (limited or method_l == "sendchataction") and params.get("chat_id") in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            transport = request.transport
            if exc.code != 409 or (transport is not None and not transport.is_closing()):
                self.stats[str(exc.code)] += 1  # (a 409 to an abandoned long poll is noise)
            return error_response(exc)
        if self._is_rate_limited(method_l):
            self._sends_per_second[int(time.monotonic())] += 1
        return json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        rec = self._files_by_path.get(request.match_info["file_path"])
        if rec is None:
            return json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        self.download_count[rec.file_unique_id] += 1
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        data = self._blobs[rec.file_unique_id]
        ctype = rec.mime_type or "application/octet-stream"
        if rec.file_unique_id not in self._broken_downloads:
            return web.Response(body=data, content_type=ctype)
        resp = web.StreamResponse(status=200, headers={"Content-Type": ctype})
        resp.content_length = len(data)
        await resp.prepare(request)
        await resp.write(data[: len(data) // 2])
        await asyncio.sleep(0.05)  # let the partial body reach the client first
        if request.transport is not None:
            request.transport.abort()  # the client sees a truncated body
        return resp

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
            if u16(plain) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
        else:
            if not plain:
                raise bad_request("message text is empty")
            if u16(plain) > MAX_TEXT_LENGTH:
                raise bad_request("message is too long")
        return plain, ents

    # ------------------------------------------------------------------ Bot API methods

    def _m_getme(self, p: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _m_logout(self, p: JSONDict) -> bool:
        return True

    def _m_close(self, p: JSONDict) -> bool:
        return True

    def _m_deletewebhook(self, p: JSONDict) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
            self._max_fetched_id = self._last_enqueued_id
            self._notify()
        return True

    def _m_getwebhookinfo(self, p: JSONDict) -> JSONDict:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_getupdates(self, p: JSONDict) -> list[JSONDict]:
        # A newer getUpdates terminates a pending one with 409, like Telegram does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        offset = p.get("offset")
        if isinstance(offset, int) and offset != 0:
            self._confirm(offset)
            self._notify()
        limit = p.get("limit") or 100
        limit = min(max(int(limit), 1), 100)
        timeout = max(0, int(p.get("timeout") or 0))
        deadline = time.monotonic() + timeout
        while not self._updates and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self.wait_change(remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        batch = list(itertools.islice(self._updates, limit))
        if batch:
            self._max_fetched_id = max(self._max_fetched_id, batch[-1]["update_id"])
            self._notify()
        return batch

    def _m_setmycommands(self, p: JSONDict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request('field "commands" must be an Array')
        if len(commands) > 100:
            raise bad_request("too many commands")
        clean = []
        for cmd in commands:
            if not isinstance(cmd, dict):
                raise bad_request("can't parse BotCommand")
            name = str(cmd.get("command", ""))
            desc = str(cmd.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": desc})
        key = (self.scope_key(p.get("scope")), str(p.get("language_code") or ""))
        if clean:
            self.commands[key] = clean
        else:
            self.commands.pop(key, None)
        return True

    def _m_getmycommands(self, p: JSONDict) -> list[JSONDict]:
        key = (self.scope_key(p.get("scope")), str(p.get("language_code") or ""))
        return [dict(c) for c in self.commands.get(key, [])]

    def _m_deletemycommands(self, p: JSONDict) -> bool:
        self.commands.pop((self.scope_key(p.get("scope")), str(p.get("language_code") or "")), None)
        return True

    def _m_setmydescription(self, p: JSONDict) -> bool:
        self.descriptions[str(p.get("language_code") or "")] = str(p.get("description") or "")
        return True

    def _m_getmydescription(self, p: JSONDict) -> JSONDict:
        lang = str(p.get("language_code") or "")
        return {"description": self.descriptions.get(lang, self.descriptions.get("", ""))}

    def _m_setmyshortdescription(self, p: JSONDict) -> bool:
        self.short_descriptions[str(p.get("language_code") or "")] = str(
            p.get("short_description") or ""
        )
        return True

    def _m_getmyshortdescription(self, p: JSONDict) -> JSONDict:
        lang = str(p.get("language_code") or "")
        return {
            "short_description": self.short_descriptions.get(
                lang, self.short_descriptions.get("", "")
            )
        }

    def _m_setchatmenubutton(self, p: JSONDict) -> bool:
        chat_id = p.get("chat_id")
        button = p.get("menu_button") or {"type": "default"}
        self.menu_buttons[int(chat_id) if chat_id is not None else None] = button
        return True

    def _m_getchatmenubutton(self, p: JSONDict) -> JSONDict:
        chat_id = p.get("chat_id")
        key = int(chat_id) if chat_id is not None else None
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "commands"}

    def _m_getchat(self, p: JSONDict) -> JSONDict:
        chat_id = self._resolve_chat(p.get("chat_id"))
        chat = dict(self._chats[chat_id])
        chat.setdefault("accent_color_id", 0)
        chat.setdefault("max_reaction_count", 11)
        return chat

    def _m_sendchataction(self, p: JSONDict) -> bool:
        chat_id = self._resolve_chat(p.get("chat_id"))
        self.chat_actions.append((chat_id, str(p.get("action") or "")))
        return True

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

    # --- media

    def _input_file(self, p: JSONDict, value: Any, field_name: str) -> FileRecord | Upload:
        """Resolve an InputFile field: a known file's record, or the uploaded bytes.

        Accepts a multipart part, ``attach://name``, a known file_id, or an HTTP URL (stored
        as an empty file, since the sandbox has no internet).
        """
        if isinstance(value, str) and value.startswith("attach://"):
            part = p.get(value[len("attach://") :])
            if not isinstance(part, Upload):
                raise bad_request(f"file {value} not found in the request")
            return part
        if isinstance(value, Upload):
            return value
        if isinstance(value, str) and value:
            rec = self._files.get(value)
            if rec is not None:
                return rec
            if value.startswith(("http://", "https://")):
                name = value.rstrip("/").rsplit("/", 1)[-1] or field_name
                return Upload(field_name, name, mimetypes.guess_type(name)[0], b"")
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {field_name} in the request")

    def _stored(self, src: FileRecord | Upload, kind: str) -> FileRecord:
        if isinstance(src, FileRecord):
            return src
        mime = src.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(src.filename or "")[0] or mime
        return self.store_file(src.data, kind, src.filename, mime)

    def _media_payload(
        self, p: JSONDict, kind: str, value: Any, item: JSONDict | None = None
    ) -> tuple[JSONDict, SentFile]:
        """The Message field (``{"document": {...}}`` etc.) and the SentFile for one item."""
        src = item if item is not None else p
        resolved = self._input_file(p, value, kind)
        extra: JSONDict = {}
        thumb_value = src.get("thumbnail")
        if thumb_value is not None and kind != "photo":
            thumb = self._input_file(p, thumb_value, "thumbnail")
            if isinstance(thumb, FileRecord):
                extra["thumbnail"] = self._photo_size(thumb)
            else:
                extra["thumbnail"] = self.thumbnail_size(thumb.data)
        if kind == "photo":
            if isinstance(resolved, FileRecord):
                payload: JSONDict = {"photo": [self._photo_size(resolved)]}
            else:
                payload = {"photo": self.photo_sizes(resolved.data)}
            rec = self._files[payload["photo"][-1]["file_id"]]
        else:
            rec = self._stored(resolved, kind)
            if kind == "video":
                if not rec.mime_type:
                    rec.mime_type = "video/mp4"
                payload = {
                    "video": self.file_object(
                        rec,
                        duration=int(src.get("duration") or rec.meta.get("duration") or 0),
                        width=int(src.get("width") or rec.meta.get("width") or 0),
                        height=int(src.get("height") or rec.meta.get("height") or 0),
                        **extra,
                    )
                }
            else:
                payload = {kind: self.file_object(rec, **extra)}
        sent_file = SentFile(
            file_name=rec.file_name,
            mime_type=rec.mime_type or ("image/jpeg" if kind == "photo" else None),
            data=self._blobs[rec.file_unique_id],
            file_id=rec.file_id,
            file_unique_id=rec.file_unique_id,
            kind=kind,
        )
        return payload, sent_file

    def _send_media(self, p: JSONDict, kind: str, method: str) -> JSONDict:
        chat_id = self._resolve_chat(p.get("chat_id"))
        caption = p.get("caption")
        plain, ents = ("", [])
        if caption:
            plain, ents = self._text_and_entities(
                caption, p.get("parse_mode"), p.get("caption_entities"), caption=True
            )
        markup = self._check_markup(p.get("reply_markup"))
        reply_id, reply_msg = self._reply_to(chat_id, p)
        payload, sent_file = self._media_payload(p, kind, p.get(kind))
        msg = self._new_bot_message(chat_id, reply_to_message=reply_msg, **payload)
        if plain:
            msg["caption"] = plain
            if ents:
                msg["caption_entities"] = ents
        if markup and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        sent = Sent(
            method=method,
            chat_id=chat_id,
            message_id=msg["message_id"],
            text=str(caption) if caption else None,
            reply_markup=markup,
            parse_mode=p.get("parse_mode"),
            entities=ents or None,
            date=msg["date"],
            plain_text=plain or None,
            reply_to_message_id=reply_id,
            document=sent_file if kind == "document" else None,
            photo=sent_file.data if kind == "photo" else None,
            video=sent_file if kind == "video" else None,
        )
        self._record_sent(sent, msg, p)
        return msg

    def _m_senddocument(self, p: JSONDict) -> JSONDict:
        return self._send_media(p, "document", "sendDocument")

    def _m_sendphoto(self, p: JSONDict) -> JSONDict:
        return self._send_media(p, "photo", "sendPhoto")

    def _m_sendvideo(self, p: JSONDict) -> JSONDict:
        return self._send_media(p, "video", "sendVideo")

    def _m_sendmediagroup(self, p: JSONDict) -> list[JSONDict]:
        chat_id = self._resolve_chat(p.get("chat_id"))
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album, must be 2-10")
        reply_id, reply_msg = self._reply_to(chat_id, p)
        group_id = str(next(self._media_group_seq))
        messages: list[JSONDict] = []
        files: list[SentFile] = []
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise bad_request("can't parse InputMedia: unsupported media type")
            kind = str(item["type"])
            caption = item.get("caption")
            plain, ents = ("", [])
            if caption:
                plain, ents = self._text_and_entities(
                    caption, item.get("parse_mode"), item.get("caption_entities"), caption=True
                )
            payload, sent_file = self._media_payload(p, kind, item.get("media"), item)
            sent_file.caption = str(caption) if caption else None
            prepared.append((payload, sent_file, plain, ents))
        for payload, sent_file, plain, ents in prepared:
            msg = self._new_bot_message(
                chat_id, reply_to_message=reply_msg, media_group_id=group_id, **payload
            )
            if plain:
                msg["caption"] = plain
                if ents:
                    msg["caption_entities"] = ents
            messages.append(msg)
            files.append(sent_file)
        first_caption = next((f.caption for f in files if f.caption), None)
        sent = Sent(
            method="sendMediaGroup",
            chat_id=chat_id,
            message_id=messages[0]["message_id"],
            text=first_caption,
            date=messages[0]["date"],
            media=files,
            plain_text=next((m.get("caption") for m in messages if m.get("caption")), None),
            message_ids=[m["message_id"] for m in messages],
            reply_to_message_id=reply_id,
        )
        for msg in messages[1:]:
            self._messages[(chat_id, msg["message_id"])] = msg
        self._record_sent(sent, messages[0], p)
        return messages

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

    # --- edits / deletes

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

    def _m_getfile(self, p: JSONDict) -> JSONDict:
        rec = self._files.get(str(p.get("file_id") or ""))
        if rec is None:
            raise bad_request("invalid file_id")
        if rec.size > MAX_GETFILE_SIZE and not self.local_mode:
            raise bad_request("file is too big")
        return {
            "file_id": rec.file_id,
            "file_unique_id": rec.file_unique_id,
            "file_size": rec.size,
            "file_path": rec.file_path,
        }
