"""python-telegram-bot's networking over aiohttp instead of httpx.

PTB lets an application bring its own :class:`~telegram.request.BaseRequest`. With many
requests in flight, httpx's connection pool costs ~2 ms of CPU per Bot API call on loopback
against ~0.3 ms for aiohttp (bench/RESULTS.md, "Update throughput"): at Telegram's 30
messages/s the difference is small, but a broadcast or a burst of submissions spends most
of its CPU there. Behaviour follows PTB's own ``HTTPXRequest``: the same default timeouts,
form-encoded parameters or multipart when files are sent, timeouts raised as
:class:`~telegram.error.TimedOut` and other transport failures as
:class:`~telegram.error.NetworkError`.
"""

from __future__ import annotations

import logging

import aiohttp
from telegram._utils.defaultvalue import DefaultValue  # what PTB passes for "not given"
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)


class AiohttpRequest(BaseRequest):
    """One aiohttp session (built in :meth:`initialize`, on the running loop)."""

    def __init__(self, connection_pool_size: int = 64, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0
                 ) -> None:
        self.connection_pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connection_pool_size),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (self._connect_timeout if isinstance(connect_timeout, DefaultValue)
                   else connect_timeout)
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        # aiohttp has no write timeout of its own: the whole exchange gets write + read time
        total = None if read is None or write_timeout is None else read + write_timeout
        timeout = aiohttp.ClientTimeout(
            total=total, sock_connect=connect, sock_read=read,
            connect=None if connect is None or pool is None else connect + pool)
        data: aiohttp.FormData | dict[str, str] | None = fields
        if files:
            # file names as UTF-8, as httpx and browsers send them (aiohttp would otherwise
            # percent-encode them, and Telegram would show "%E8%81%94….xlsx")
            data = aiohttp.FormData(fields or {}, quote_fields=False)
            for name, (file_name, content, mime_type) in files.items():
                data.add_field(name, content, filename=file_name, content_type=mime_type)
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error
