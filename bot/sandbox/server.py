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

This module holds the server's construction (all of its state), start / stop and the routing
of a call to its ``_m_<method>``; the methods and helpers come from one mixin per area (see
the package docstring), each a plain part of `FakeTelegram`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aiohttp import web

from bot.sandbox import conformance
from bot.sandbox.bot_settings import BotSettingsMixin
from bot.sandbox.chats import ChatsMixin
from bot.sandbox.edits import EditsMixin
from bot.sandbox.faults import FaultsMixin, too_many_requests
from bot.sandbox.files import FilesMixin
from bot.sandbox.keyboards import KeyboardsMixin
from bot.sandbox.media import MediaMixin
from bot.sandbox.messages import MessagesMixin
from bot.sandbox.records import ApiError, FaultRule, FileRecord, JSONDict, Sent, Upload
from bot.sandbox.transcript import TranscriptMixin
from bot.sandbox.updates import UpdatesMixin
from bot.sandbox.users import SimUser
from bot.sandbox.webhooks import WebhooksMixin
from bot.sandbox.wire import coerce_all, error_response, json_response, read_params

#: Canonical spelling of every implemented method (dispatch is on the lower-case name).
IMPLEMENTED_METHODS = (
    "getMe",
    "logOut",
    "close",
    "setWebhook",
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


class FakeTelegram(
    ChatsMixin,
    UpdatesMixin,
    WebhooksMixin,
    BotSettingsMixin,
    MessagesMixin,
    MediaMixin,
    EditsMixin,
    KeyboardsMixin,
    FilesMixin,
    FaultsMixin,
    TranscriptMixin,
):
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
        paid_rate_limit_per_second: float | None = None,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = bot_first_name
        #: Max sends/edits per sliding second across all chats (None = unlimited).
        self.rate_limit_per_second = rate_limit_per_second
        #: Max sends/edits per sliding second of every kind together, paid broadcasts
        #: (``allow_paid_broadcast``) included, which ignore ``rate_limit_per_second``:
        #: Telegram's 1,000 when that limit is set and this is not given (see faults.py).
        self.paid_rate_limit_per_second = paid_rate_limit_per_second
        #: Like a local Bot API server: getFile has no 20 MB limit.
        self.local_mode = local_mode
        #: Seconds added to every API call and download.
        self.latency = latency
        #: How long a "timeout" fault hangs before (uselessly) answering 500.
        self.timeout_hang: float = 30.0
        #: Clock for message dates; tests may replace it.
        self.now: Callable[[], float] = time.time
        #: Clock for ages and rates (callback answer timeout, per-chat pacing), in seconds;
        #: tests may replace it to age a press or a burst without sleeping.
        self.clock: Callable[[], float] = time.monotonic
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
        #: Callback query ids whose answer was refused (twice, too late, unknown).
        self.refused_callback_answers: list[str] = []
        self.requests: list[tuple[str, JSONDict]] = []
        self.stats: Counter[str] = Counter()
        self.unknown_methods: list[str] = []
        #: Calls that break the conformance table (conformance.py), in order.
        self.violations: list[str] = []
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
        #: The bot's allowed_updates (None: the default, all but chat_member and reactions).
        self._allowed_updates: frozenset[str] | None = None
        #: Updates made while the bot had not asked for their type (never queued).
        self.dropped_updates: list[JSONDict] = []
        self._next_update_id = 1
        self._last_enqueued_id = 0
        self._max_fetched_id = 0
        self._poll_generation = 0

        self._callback_ids: dict[str, float] = {}  # pending id -> pressed at (clock)
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
        #: Per-chat pacing (see faults.py); off only for benchmarks that measure other things.
        self.chat_pacing = True
        self._chat_tokens: dict[int, tuple[float, float]] = {}   # chat -> (tokens, at clock)
        self._group_minute: dict[int, deque[float]] = {}
        self._free_window: deque[float] = deque()
        self._sends_per_second: Counter[int] = Counter()
        self._send_times: list[float] = []

        self._webhook: JSONDict | None = None
        self._webhook_task: asyncio.Task | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._webhook_log: list[tuple[int, int | str]] = []
        #: Seconds before a failed push is tried again (doubling up to the max), and how
        #: long a push may take.
        self.webhook_retry_first = 0.2
        self.webhook_retry_max = 5.0
        self.webhook_timeout = 10.0
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
        self.expire_callback_queries()   # a restarted server knows no pending query
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
        await self._stop_pushing()
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

    # ------------------------------------------------------------------ HTTP layer

    def _violation(self, method: str, problem: str) -> None:
        """A call the conformance table says Telegram would not take as it came."""
        self.violations.append(problem)
        conformance.record(method, problem)

    def _record_request(self, method: str, params: JSONDict) -> None:
        if not self.record_requests:
            return
        light = {k: (repr(v) if isinstance(v, Upload) else v) for k, v in params.items()}
        self.requests.append((method, light))
        if len(self.requests) > self.max_recorded_requests:
            del self.requests[: len(self.requests) // 2]

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            self.stats["401"] += 1
            return error_response(ApiError(401, "Unauthorized"))
        method = request.match_info["method"]
        method_l = method.lower()
        canonical = _CANONICAL.get(method_l, method)
        try:
            raw = await read_params(request)
        except ApiError as exc:
            self.stats[str(exc.code)] += 1
            return error_response(exc)
        for problem in conformance.check_call(canonical, raw):
            self._violation(canonical, problem)
        try:
            params = coerce_all(raw)
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
            if status == 429:   # Telegram's flood control always says how long to wait
                return error_response(too_many_requests(fault.retry_after))
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
            admitted = self._check_rate_limit(bool(params.get("allow_paid_broadcast"))) \
                if limited else 0.0
            if (limited or method_l == "sendchataction") and params.get("chat_id") in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if self._creates_message(method_l) and isinstance(params.get("chat_id"), int):
                self._check_chat_pace(params["chat_id"])
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            # flood control is a limit only where the pacing model refused (faults.py);
            # ``rate_limit_per_second`` is a fault a test switches on
            if exc.code != 429 and conformance.limit_of(exc.description) is not None:
                self._violation(canonical, f"{canonical}: refused: {exc.description}")
            transport = request.transport
            if exc.code != 409 or (transport is not None and not transport.is_closing()):
                self.stats[str(exc.code)] += 1  # (a 409 to an abandoned long poll is noise)
            return error_response(exc)
        if limited:
            self._sends_per_second[int(admitted)] += 1
            self._send_times.append(admitted)
        return json_response({"ok": True, "result": result})
