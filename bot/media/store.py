"""The media store: files named by their sha256 under ``BOT_DATA_DIR/media``.

A file is fetched with getFile and streamed to a temporary name (``media/tmp/*.part``) while
it is hashed, then renamed to ``media/<first two hex>/<sha256>``: a final name only ever
holds a complete file, and the same content is stored once. Nothing big is read whole into
memory. getFile and the download go over the store's own aiohttp session. A photo's
thumbnail is Telegram's own scaled copy of it (read into memory: it is small), else made with
Pillow (JPEG, EXIF orientation respected); thumbnails are stored the same way, unsynced.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import io
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import aiohttp
from PIL import ImageOps
from telegram import Bot

from bot.media.images import open_capped
from bot.media.paths import copy_hashed, media_file
from bot.ptb.request import EnvironmentProxies

log = logging.getLogger(__name__)

CLOUD_DOWNLOAD_LIMIT = 20 * 1024 * 1024   # getFile refuses bigger files on Telegram's cloud
CHUNK = 64 * 1024
SMALL_FILE_LIMIT = 2 * 1024 * 1024   # a scaled copy of a photo read into memory
THUMBNAIL_SIDE = 320
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
# python-telegram-bot's defaults for a Bot API call: 1 s for a free connection, 5 to connect,
# 5 for the answer
STALE_PART_SECONDS = 3600    # a .part file untouched this long is a dead download's
GETFILE_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=6.0, sock_connect=5.0, sock_read=5.0)


class MediaError(Exception):
    """A file could not be archived; the subclass says why."""


class TooBig(MediaError):
    """Telegram will not hand the file out (over 20 MB on the cloud API)."""


class DownloadBroken(MediaError):
    """The download failed or was cut off part-way: nothing was stored."""


class DiskFull(MediaError):
    """The disk (or quota) is full: nothing was stored."""


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int


class MediaStore:
    def __init__(self, root: Path, http: aiohttp.ClientSession, local_api: bool) -> None:
        self.root = root
        self.http = http
        self.proxies = EnvironmentProxies()
        self.local_api = local_api
        self.tmp_dir = root / "tmp"
        self.folders_made: set[Path] = set()

    def path_of(self, sha256: str) -> Path:
        return media_file(self.root, sha256)

    def has(self, sha256: str | None) -> bool:
        return bool(sha256) and self.path_of(sha256).is_file()

    def prepare(self) -> None:
        """Create the folders; leftovers of interrupted downloads are removed — only those
        not written to for :data:`STALE_PART_SECONDS`: the folder may be shared by several
        processes (issue 18), and another one's download under way keeps its file fresh."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        stale_before = time.time() - STALE_PART_SECONDS
        for leftover in self.tmp_dir.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if leftover.stat().st_mtime < stale_before:
                    leftover.unlink(missing_ok=True)

    async def fetch(self, bot: Bot, file_id: str, size: int | None) -> Stored:
        """getFile, then stream the bytes into the store."""
        received = await self._receive(await self._source(bot, file_id, size))
        return self._commit(*received)

    async def _source(self, bot: Bot, file_id: str, size: int | None) -> str:
        """getFile: where the file's bytes are (a URL, or a path on a local Bot API server's
        disk). Asked over the store's own connections: through python-telegram-bot a call
        cost about 0.4 ms of CPU (its request layer, a File object, a stat of the path), here
        about 0.15 ms."""
        if size and size > CLOUD_DOWNLOAD_LIMIT and not self.local_api:
            raise TooBig(file_id)
        url = f"{bot.base_url}/getFile"
        try:
            async with self.http.post(url, json={"file_id": file_id}, timeout=GETFILE_TIMEOUT,
                                      proxy=self.proxies.for_url(url)) as response:
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise DownloadBroken(f"getFile: {type(error).__name__}") from error
        if not isinstance(answer, dict) or not answer.get("ok"):
            description = str(answer.get("description", "")) if isinstance(answer, dict) else ""
            if "too big" in description.lower():
                raise TooBig(file_id)
            raise DownloadBroken(description or "getFile failed")
        file_path = (answer.get("result") or {}).get("file_path")
        if not file_path:
            raise DownloadBroken("getFile gave no file path")
        if Path(file_path).is_absolute() and Path(file_path).is_file():
            return file_path    # a local Bot API server in --local mode: a path on its disk
        return f"{bot.base_file_url}/{file_path}"

    async def _receive(self, source: str) -> tuple[Path, str, int]:
        """The bytes at ``source`` (a URL, or a local path from :meth:`_source`) in a
        temporary file: (its path, sha256, size)."""
        if not source.startswith(("http://", "https://")):
            return await asyncio.to_thread(self._copy_local, Path(source))
        return await self._download(source)

    async def _download(self, url: str) -> tuple[Path, str, int]:
        temporary = self._temporary()
        digest = hashlib.sha256()
        received = 0
        try:
            async with self.http.get(url, proxy=self.proxies.for_url(url)) as response:
                if response.status != 200:
                    raise DownloadBroken(f"HTTP {response.status}")
                expected = response.headers.get("content-length")
                with temporary.open("wb") as out:
                    async for chunk in response.content.iter_chunked(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
                    out.flush()
                    os.fsync(out.fileno())
            if expected is not None and int(expected) != received:
                raise DownloadBroken(f"got {received} of {expected} bytes")
        except BaseException as error:
            temporary.unlink(missing_ok=True)
            if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
                raise DiskFull(str(error)) from error
            if isinstance(error, aiohttp.ClientError | TimeoutError):
                raise DownloadBroken(type(error).__name__) from error
            raise
        return temporary, digest.hexdigest(), received

    def _copy_local(self, source: Path) -> tuple[Path, str, int]:
        temporary = self._temporary()
        try:
            sha256, received = copy_hashed(source, temporary, CHUNK)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            if error.errno in DISK_FULL_ERRNOS:
                raise DiskFull(str(error)) from error
            raise DownloadBroken(str(error)) from error
        return temporary, sha256, received

    def store_bytes(self, data: bytes) -> Stored:
        """Small content (a thumbnail) into the store."""
        temporary = self._temporary()
        try:
            with temporary.open("wb") as out:
                out.write(data)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            if error.errno in DISK_FULL_ERRNOS:
                raise DiskFull(str(error)) from error
            raise
        return self._commit(temporary, hashlib.sha256(data).hexdigest(), len(data))

    async def thumbnail(self, sha256: str) -> str | None:
        """A JPEG thumbnail of a stored image, stored itself; None when it is no image."""
        data = await asyncio.to_thread(make_thumbnail, self.path_of(sha256))
        if data is None:
            return None
        return self.store_bytes(data).sha256

    async def thumbnail_from_size(self, bot: Bot, file_id: str, side: int) -> str | None:
        """A photo's thumbnail from one of Telegram's own scaled copies of it (an upright JPEG
        whose longer side is ``side`` px): stored as it is when it fits in ``THUMBNAIL_SIDE``,
        else shrunk. The original is never decoded. The copy is small: it is read into
        memory and stored like every thumbnail (:meth:`store_bytes`)."""
        data = await self._read_small(await self._source(bot, file_id, None))
        if side > THUMBNAIL_SIDE:
            data = await asyncio.to_thread(make_thumbnail, io.BytesIO(data))
        return self.store_bytes(data).sha256 if data is not None else None

    async def _read_small(self, source: str) -> bytes:
        """The bytes at ``source`` (a URL or a local path), at most ``SMALL_FILE_LIMIT``."""
        try:
            if not source.startswith(("http://", "https://")):
                local = Path(source)
                if local.stat().st_size > SMALL_FILE_LIMIT:
                    raise DownloadBroken(f"{local.name} is not small")
                return local.read_bytes()
            async with self.http.get(source, proxy=self.proxies.for_url(source)) as response:
                if response.status != 200:
                    raise DownloadBroken(f"HTTP {response.status}")
                if (response.content_length or 0) > SMALL_FILE_LIMIT:
                    raise DownloadBroken(f"{response.content_length} bytes is not small")
                return await response.read()   # a body cut short raises ClientPayloadError
        except (aiohttp.ClientError, OSError) as error:
            raise DownloadBroken(type(error).__name__) from error

    def _temporary(self) -> Path:
        self._folder(self.tmp_dir)
        return self.tmp_dir / f"{secrets.token_hex(8)}.part"

    def _commit(self, temporary: Path, sha256: str, size: int) -> Stored:
        final = self.path_of(sha256)
        if final.is_file():
            temporary.unlink(missing_ok=True)   # the same content is already stored
        else:
            self._folder(final.parent)
            os.replace(temporary, final)
        return Stored(sha256, size)

    def _folder(self, folder: Path) -> None:
        """Create a folder of the store the first time this process needs it (not a mkdir
        call for every file)."""
        if folder not in self.folders_made:
            folder.mkdir(parents=True, exist_ok=True)
            self.folders_made.add(folder)


def make_thumbnail(source: Path | BinaryIO, side: int = THUMBNAIL_SIDE) -> bytes | None:
    """JPEG bytes at most ``side`` px, upright per EXIF; None when Pillow cannot read it."""
    try:
        with open_capped(source, side * 2) as image:   # JPEG: decode at reduced scale
            upright = ImageOps.exif_transpose(image)
            upright = upright.convert("RGB")
            upright.thumbnail((side, side))
            out = io.BytesIO()
            upright.save(out, format="JPEG", quality=80)
            return out.getvalue()
    except Exception as error:  # any unreadable or hostile image: no thumbnail
        log.info("no thumbnail for %s: %s",
                 source.name if isinstance(source, Path) else "a scaled copy", error)
        return None
