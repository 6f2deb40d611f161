"""Files: the server's file store (file ids, Telegram's scaled copies of a photo,
thumbnails), files in a bot's requests (multipart parts, ``attach://``, known file ids, URLs),
getFile and downloads; `generate_bytes` makes test payloads.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import mimetypes
import random
import secrets
from collections.abc import Iterable
from typing import Any, ClassVar

from aiohttp import web

from bot.sandbox.records import FileRecord, JSONDict, Upload, bad_request
from bot.sandbox.wire import json_response

#: getFile refuses files above this size unless the server runs in ``local_mode``.
MAX_GETFILE_SIZE = 20 * 1024 * 1024


def human_size(size: int) -> str:
    """A size as the transcript and the users' lines show it: ``512 B``, ``12 KB``, ``1.5 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def generate_bytes(size: int, seed: int | str = 0) -> bytes:
    """Deterministic pseudo-random bytes (same size and seed -> same bytes)."""
    return random.Random(f"{seed}:{size}").randbytes(size)


#: The boxes Telegram scales a photo into (types s, m, x, y): each one smaller than the
#: original is sent as its own PhotoSize, upright and re-encoded as JPEG, before the original.
PHOTO_SIZE_BOXES = (90, 320, 800, 1280)


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency of the project
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception:
        return None


ScaledCopy = tuple[bytes, int, int]   # JPEG bytes, width, height


def _scaled_copies(data: bytes, boxes: Iterable[int]
                   ) -> tuple[tuple[int, int], list[ScaledCopy]] | None:
    """The upright size of an image and a JPEG of it per box smaller than it (each at most
    box px on its longer side), or None when `data` is not an image."""
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            upright = ImageOps.exif_transpose(img).convert("RGB")
    except Exception:
        return None
    copies = []
    for box in boxes:
        if max(upright.size) <= box:
            break
        scaled = upright.copy()
        scaled.thumbnail((box, box))
        out = io.BytesIO()
        scaled.save(out, format="JPEG", quality=87)
        copies.append((out.getvalue(), scaled.size[0], scaled.size[1]))
    return upright.size, copies


class FilesMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): the file
    store (``_files``, ``_files_by_path``, ``_blobs``), the files of a request, the download
    route and getFile."""

    def break_download(self, file_unique_id: str) -> None:
        """Downloads of this file send half the bytes, then drop the connection."""
        self._broken_downloads.add(file_unique_id)

    def fix_download(self, file_unique_id: str) -> None:
        self._broken_downloads.discard(file_unique_id)

    def file_bytes(self, file_id_or_unique_id: str) -> bytes:
        """Bytes of a known file (by file_id or file_unique_id)."""
        rec = self._files.get(file_id_or_unique_id)
        key = rec.file_unique_id if rec else file_id_or_unique_id
        return self._blobs[key]

    # ------------------------------------------------------------------ store

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

    # ------------------------------------------------------------------ files in requests

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

    # ------------------------------------------------------------------ getFile and downloads

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
