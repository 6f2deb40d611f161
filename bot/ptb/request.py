"""python-telegram-bot's Bot API requests over aiohttp instead of httpx.

PTB's own ``HTTPXRequest`` spends about 0.7 ms of CPU per call in httpx, httpcore and anyio,
and more the more connections its pool holds (every request scans the pool); aiohttp does the
same request in about 0.15 ms. At a few calls per photo (the receipt, the share of getUpdates)
that was a large part of the bot's CPU per photo. Behaviour follows ``HTTPXRequest``: the
same parameters (each a string, sent as a JSON body rather than form-encoded), multipart when
files are uploaded, the same default timeouts, timeouts as :class:`~telegram.error.TimedOut`
and every other transport failure as :class:`~telegram.error.NetworkError`. aiohttp has no
write timeout: an upload is bounded by the read timeout of its answer instead.

`OutboxApi` sends the outbox's messages without python-telegram-bot's objects (see there).

Proxies named by the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``), which httpx
honours, are honoured too, looked up once per host: aiohttp's own ``trust_env`` looks them up
(and ``~/.netrc``) in a worker thread at every request, two thread hand-offs per call.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput


JSON_BODY = {"Content-Type": "application/json"}
NO_PREVIEW = {"is_disabled": True}


class EnvironmentProxies:
    """The proxy the environment names for a URL's scheme and host, remembered per host."""

    def __init__(self) -> None:
        self.named = urllib.request.getproxies()
        self.by_origin: dict[tuple[str, str], str | None] = {}

    def for_url(self, url: str) -> str | None:
        if not self.named:
            return None
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname or "")
        if origin not in self.by_origin:
            named = self.named.get(parts.scheme)
            bypass = named is None or urllib.request.proxy_bypass(origin[1])
            self.by_origin[origin] = None if bypass else named
        return self.by_origin[origin]


class AiohttpRequest(BaseRequest):
    def __init__(self, connection_pool_size: int = 256, read_timeout: float | None = 5.0,
                 connect_timeout: float | None = 5.0, pool_timeout: float | None = 1.0
                 ) -> None:
        self.connection_pool_size = connection_pool_size
        self.default_read_timeout = read_timeout
        self.default_connect_timeout = connect_timeout
        self.default_pool_timeout = pool_timeout
        self.session: aiohttp.ClientSession | None = None
        self.proxies = EnvironmentProxies()

    @property
    def read_timeout(self) -> float | None:
        return self.default_read_timeout

    async def initialize(self) -> None:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connection_pool_size),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self.session is not None and not self.session.closed:
            await self.session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self.session is None or self.session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = _given(read_timeout, self.default_read_timeout)
        connect = _given(connect_timeout, self.default_connect_timeout)
        pool = _given(pool_timeout, self.default_pool_timeout)
        # aiohttp's "connect" is the wait for a pooled connection and the connecting together
        waiting = None if connect is None or pool is None else connect + pool
        timeout = aiohttp.ClientTimeout(total=None, connect=waiting, sock_connect=connect,
                                        sock_read=read)
        try:
            body, headers = _body(request_data)
            async with self.session.request(method, url, data=body, headers=headers,
                                            timeout=timeout, proxy=self.proxies.for_url(url)
                                            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:   # aiohttp's ServerTimeoutError is one too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


class UpdatesRequest(AiohttpRequest):
    """getUpdates' own request (python-telegram-bot keeps one apart for it): it keeps the
    last answer's updates as Telegram sent them, so that the durable poller stores their
    JSON instead of turning each parsed Update back into a dict (``to_dict``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list = []

    async def post(self, *args: Any, **kwargs: Any) -> Any:
        self.received = []
        result = await super().post(*args, **kwargs)
        if isinstance(result, list):
            self.received = result
        return result


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """The timeout a call asked for, or this request's default when it left it unset."""
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


def _body(request_data: RequestData | None
          ) -> tuple[bytes | aiohttp.FormData | None, dict[str, str] | None]:
    """The parameters as a JSON body (PTB's ``json_payload``: each value as the string a form
    would carry, which the Bot API reads the same way; encoded in C, where form-encoding
    percent-quotes Chinese text byte by byte in Python), or multipart with the files (names
    sent as UTF-8, as httpx and Telegram's clients do, not percent-encoded)."""
    if request_data is None:
        return None, None
    if not request_data.contains_files:
        return request_data.json_payload, JSON_BODY
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (file_name, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=file_name, content_type=mime_type)
    return form, None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the outbox needs of a ``sendMessage`` answer. ``error_code`` is None for a
    transport failure (no answer, a timeout, a body that is not the Bot API's JSON)."""
    ok: bool
    message_id: int | None = None
    error_code: int | None = None
    retry_after: float | None = None
    description: str = ""


class OutboxApi:
    """``sendMessage`` for outbox rows without python-telegram-bot's objects: the JSON body
    is built directly (the bot's defaults: HTML, no link previews; ``allow_paid_broadcast``
    with paid broadcasts) and only the answer's few fields are read. PTB builds a request
    object, a ``Message`` with its ``User`` and ``Chat`` and runs its defaults machinery per
    call: about half of the CPU of a send, which at 1,000 messages a second the bot cannot
    spend. The timeouts of `AiohttpRequest` but a longer wait for the answer: a send that
    timed out is sent again, and Telegram may have delivered it (there is no idempotency
    key), so the outbox waits 20 s before it takes the message for lost; proxies from the
    environment."""

    def __init__(self, base_url: str, token: str, *, paid_broadcast: bool = False,
                 connections: int = 64, read_timeout: float = 20.0,
                 connect_timeout: float = 5.0, pool_timeout: float = 1.0) -> None:
        self.url = f"{base_url}{token}/sendMessage"
        self.paid_broadcast = paid_broadcast
        self.connections = connections
        self.timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout + pool_timeout,
                                             sock_connect=connect_timeout,
                                             sock_read=read_timeout)
        self.proxy = EnvironmentProxies().for_url(self.url)
        self.session: aiohttp.ClientSession | None = None

    async def initialize(self) -> None:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections),
                headers={"User-Agent": BaseRequest.USER_AGENT}, timeout=self.timeout)

    async def shutdown(self) -> None:
        if self.session is not None and not self.session.closed:
            await self.session.close()

    def body(self, chat_id: int, text: str,
             buttons: Sequence[Sequence[tuple[str, str]]] | None = None) -> bytes:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": "HTML",
                                  "link_preview_options": NO_PREVIEW}
        if buttons:
            params["reply_markup"] = {"inline_keyboard": [
                [{"text": label, "callback_data": data} for label, data in row]
                for row in buttons]}
        if self.paid_broadcast:
            params["allow_paid_broadcast"] = True
        return json.dumps(params, ensure_ascii=False).encode()

    async def send_message(self, chat_id: int, text: str,
                           buttons: Sequence[Sequence[tuple[str, str]]] | None = None
                           ) -> SendResult:
        if self.session is None or self.session.closed:
            raise RuntimeError("This OutboxApi is not initialized!")
        try:
            async with self.session.post(self.url, data=self.body(chat_id, text, buttons),
                                         headers=JSON_BODY, proxy=self.proxy) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            return SendResult(False, description="timed out")
        except aiohttp.ClientError as error:
            return SendResult(False, description=f"aiohttp.{type(error).__name__}: {error}")
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            return SendResult(False, description=f"HTTP {status}: not a Bot API answer")
        if answer.get("ok"):
            result = answer.get("result") or {}
            return SendResult(True, message_id=result.get("message_id"))
        retry_after = (answer.get("parameters") or {}).get("retry_after")
        return SendResult(False, error_code=int(answer.get("error_code") or status),
                          retry_after=float(retry_after) if retry_after is not None else None,
                          description=str(answer.get("description") or ""))
