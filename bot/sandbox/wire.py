"""The Bot API's HTTP wire format: request parameters in, JSON answers out.

PTB sends every value as a string (form-encoded or multipart); `coerce` types them back by
field name, as Telegram does.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.sandbox.records import ApiError, JSONDict, Upload, bad_request

INT_FIELDS = frozenset(
    {
        "chat_id",
        "user_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "from_chat_id",
        "reply_to_message_id",
        "duration",
        "width",
        "height",
        "cache_time",
        "message_thread_id",
        "length",
    }
)
FLOAT_FIELDS = frozenset({"latitude", "longitude"})
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "media",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
        "results",
        "menu_button",
        "message_ids",
        "options",
    }
)
BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "supports_streaming",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
        "remove_caption",
        "is_personal",
        "for_channels",
    }
)
#: Fields that may be ``@username`` instead of a numeric id.
CHAT_FIELDS = frozenset({"chat_id", "from_chat_id"})


def json_response(payload: JSONDict, status: int = 200) -> web.Response:
    """A JSON answer (non-ASCII text as is, like Telegram's)."""
    return web.json_response(
        payload, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
    )


def error_response(exc: ApiError) -> web.Response:
    """``{"ok": false, ...}`` with HTTP status = the error's code."""
    payload: JSONDict = {"ok": False, "error_code": exc.code, "description": exc.description}
    if exc.parameters:
        payload["parameters"] = exc.parameters
    return json_response(payload, status=exc.code)


async def parse_params(request: web.Request) -> JSONDict:
    """A call's parameters, typed: the query string and a JSON, multipart or form body (file
    parts as `Upload`)."""
    return coerce_all(await read_params(request))


def coerce_all(raw: JSONDict) -> JSONDict:
    """Every parameter typed by `coerce`."""
    return {key: coerce(key, value) for key, value in raw.items()}


async def read_params(request: web.Request) -> JSONDict:
    """A call's parameters as they came over the wire (file parts as `Upload`)."""
    raw: JSONDict = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if isinstance(body, dict):
                raw.update(body)
        elif ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                name = getattr(part, "name", None)
                if not name or not hasattr(part, "read"):
                    continue
                filename = part.filename  # type: ignore[union-attr]
                part_ctype = part.headers.get("Content-Type")
                data = await part.read(decode=True)  # type: ignore[union-attr]
                # a plain field may come typed text/plain (aiohttp's way) or untyped
                plain = part_ctype is None or part_ctype.startswith("text/plain")
                if filename is not None or not plain:
                    raw[name] = Upload(name, filename, part_ctype, bytes(data))
                else:
                    raw[name] = bytes(data).decode("utf-8")
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    raw[key] = value
                else:  # a FileField from an odd client
                    raw[key] = Upload(
                        key, value.filename, value.content_type, value.file.read()
                    )
    return raw


def coerce(name: str, value: Any) -> Any:
    """A string parameter typed by its field name (ApiError 400 when it does not parse)."""
    if not isinstance(value, str):
        return value
    if name in INT_FIELDS:
        if name in CHAT_FIELDS and value.startswith("@"):
            return value
        try:
            return int(value)
        except ValueError:
            if name in CHAT_FIELDS:
                return value
            raise bad_request(f"invalid {name} specified") from None
    if name in FLOAT_FIELDS:
        try:
            return float(value)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    return value
