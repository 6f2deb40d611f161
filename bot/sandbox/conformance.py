"""The conformance table: the Bot API methods the bot (and its tests) call, their parameters and
types, and Telegram's limits, each with the Bot API version and where it is confirmed. The
sandbox checks every call against it (`check_call`, `limit_of`) and keeps what breaks it in
``FakeTelegram.violations`` and in the process-wide `RECORDED`; tests/conftest.py fails any test
that leaves a violation there (tests that make bad calls on purpose take them out with
`take_violations`).

Sources, as of Bot API 10.0 (tdlib/telegram-bot-api at 01a3679c, CMakeLists "VERSION 10.0";
tdlib/td at 022d6020):
- parameters and types: the published Bot API description, https://core.telegram.org/bots/api,
  the section named after each method; the server reads them in telegram-bot-api/Client.cpp,
  ``Client::process_<method>_query`` (e.g. process_send_message_query, get_reply_markup,
  get_input_message_text, get_reply_parameters);
- limits: see `LIMITS` (each row names its file and function).

A parameter the table does not know, a value of the wrong type, or a missing required one is
a violation even where Telegram would silently ignore it or guess: the bot should send what the
description says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.sandbox.faults import CHAT_BURST, CHAT_RATE, GROUP_PER_MINUTE
from bot.sandbox.keyboards import (
    CALLBACK_ANSWER_TIMEOUT,
    MAX_CALLBACK_ANSWER_TEXT,
    MAX_CALLBACK_DATA_BYTES,
    MAX_INLINE_BUTTONS,
    MAX_ROW_BUTTONS,
)
from bot.sandbox.media import MAX_PHOTO_BYTES, MAX_UPLOAD_BYTES
from bot.sandbox.messages import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH
from bot.sandbox.records import JSONDict, Upload

BOT_API_VERSION = "10.0"
DOCS = "https://core.telegram.org/bots/api"

# Types as the description names them, checked on the wire value (PTB sends strings, form-
# encoded or multipart; a JSON body may carry native values).
INT = "Integer"
STR = "String"
BOOL = "Boolean"
FLOAT = "Float"
CHAT = "Integer or String"          # a chat id or @username
FILE = "InputFile or String"        # an upload, attach://name, a file_id or an HTTP URL
OBJECT = "JSON object"              # InlineKeyboardMarkup, ReplyParameters, BotCommandScope ...
ARRAY = "JSON array"                # Array of MessageEntity, BotCommand, InputMedia, String ...

_SEND_COMMON = {
    "business_connection_id": STR, "chat_id": CHAT, "message_thread_id": INT,
    "direct_messages_topic_id": INT, "disable_notification": BOOL, "protect_content": BOOL,
    "allow_paid_broadcast": BOOL, "message_effect_id": STR, "suggested_post_parameters": OBJECT,
    "reply_parameters": OBJECT, "reply_markup": OBJECT,
}
_CAPTIONED = {"caption": STR, "parse_mode": STR, "caption_entities": ARRAY,
              "show_caption_above_media": BOOL}
_EDIT_TARGET = {"business_connection_id": STR, "chat_id": CHAT, "message_id": INT,
                "inline_message_id": STR}


@dataclass(frozen=True)
class Method:
    """One Bot API method: its parameters (name -> type) and the required ones."""

    params: dict[str, str]
    required: frozenset[str] = frozenset()


def where_confirmed(method: str) -> str:
    """The docs section and the server function a method's row comes from."""
    snake = re.sub(r"(?<!^)([A-Z])", r"_\1", method).lower()
    return (f"{DOCS}#{method.lower()} (Bot API {BOT_API_VERSION}); "
            f"telegram-bot-api Client.cpp process_{snake}_query")


def _m(params: dict[str, str], required: tuple[str, ...] = ()) -> Method:
    return Method(params, frozenset(required))


METHODS: dict[str, Method] = {
    "getMe": _m({}),
    "logOut": _m({}),
    "close": _m({}),
    "getUpdates": _m({"offset": INT, "limit": INT, "timeout": INT, "allowed_updates": ARRAY}),
    "setWebhook": _m({"url": STR, "certificate": FILE, "ip_address": STR,
                      "max_connections": INT, "allowed_updates": ARRAY,
                      "drop_pending_updates": BOOL, "secret_token": STR}, ("url",)),
    "deleteWebhook": _m({"drop_pending_updates": BOOL}),
    "getWebhookInfo": _m({}),
    "setMyCommands": _m({"commands": ARRAY, "scope": OBJECT, "language_code": STR},
                        ("commands",)),
    "getMyCommands": _m({"scope": OBJECT, "language_code": STR}),
    "deleteMyCommands": _m({"scope": OBJECT, "language_code": STR}),
    "setMyDescription": _m({"description": STR, "language_code": STR}),
    "getMyDescription": _m({"language_code": STR}),
    "setMyShortDescription": _m({"short_description": STR, "language_code": STR}),
    "getMyShortDescription": _m({"language_code": STR}),
    "setChatMenuButton": _m({"chat_id": INT, "menu_button": OBJECT}),
    "getChatMenuButton": _m({"chat_id": INT}),
    "sendMessage": _m({**_SEND_COMMON, "text": STR, "parse_mode": STR, "entities": ARRAY,
                       "link_preview_options": OBJECT}, ("chat_id", "text")),
    "editMessageText": _m({**_EDIT_TARGET, "text": STR, "parse_mode": STR, "entities": ARRAY,
                           "link_preview_options": OBJECT, "reply_markup": OBJECT},
                          ("text",)),
    "editMessageCaption": _m({**_EDIT_TARGET, **_CAPTIONED, "reply_markup": OBJECT}),
    # parse_mode is not the method's: python-telegram-bot 22 adds its Defaults' parse_mode to
    # every editMessageReplyMarkup (measured: tests/test_conformance.py); the server reads only
    # the target and reply_markup (Client.cpp process_edit_message_reply_markup_query), so it
    # is tolerated here rather than dropping the bot's Defaults.
    "editMessageReplyMarkup": _m({**_EDIT_TARGET, "reply_markup": OBJECT, "parse_mode": STR}),
    "deleteMessage": _m({"chat_id": CHAT, "message_id": INT}, ("chat_id", "message_id")),
    "answerCallbackQuery": _m({"callback_query_id": STR, "text": STR, "show_alert": BOOL,
                               "url": STR, "cache_time": INT}, ("callback_query_id",)),
    "sendChatAction": _m({"business_connection_id": STR, "chat_id": CHAT,
                          "message_thread_id": INT, "action": STR}, ("chat_id", "action")),
    "sendDocument": _m({**_SEND_COMMON, **_CAPTIONED, "document": FILE, "thumbnail": FILE,
                        "disable_content_type_detection": BOOL}, ("chat_id", "document")),
    "sendPhoto": _m({**_SEND_COMMON, **_CAPTIONED, "photo": FILE, "has_spoiler": BOOL},
                    ("chat_id", "photo")),
    "sendVideo": _m({**_SEND_COMMON, **_CAPTIONED, "video": FILE, "duration": INT,
                     "width": INT, "height": INT, "thumbnail": FILE, "cover": FILE,
                     "start_timestamp": INT, "has_spoiler": BOOL, "supports_streaming": BOOL},
                    ("chat_id", "video")),
    "sendMediaGroup": _m({k: v for k, v in _SEND_COMMON.items()
                          if k not in ("reply_markup", "suggested_post_parameters")}
                         | {"media": ARRAY}, ("chat_id", "media")),
    "forwardMessage": _m({"chat_id": CHAT, "message_thread_id": INT,
                          "direct_messages_topic_id": INT, "from_chat_id": CHAT,
                          "video_start_timestamp": INT, "disable_notification": BOOL,
                          "protect_content": BOOL, "message_effect_id": STR,
                          "suggested_post_parameters": OBJECT, "message_id": INT},
                         ("chat_id", "from_chat_id", "message_id")),
    "copyMessage": _m({**_SEND_COMMON, "from_chat_id": CHAT, "message_id": INT,
                       "video_start_timestamp": INT, "caption": STR, "parse_mode": STR,
                       "caption_entities": ARRAY, "show_caption_above_media": BOOL},
                      ("chat_id", "from_chat_id", "message_id")),
    "getFile": _m({"file_id": STR}, ("file_id",)),
    "getChat": _m({"chat_id": CHAT}, ("chat_id",)),
}


@dataclass(frozen=True)
class Limit:
    """A limit Telegram enforces: the refusal it answers with (a regular expression over the
    ``description``), the value, and where it is confirmed."""

    name: str
    value: str
    refusal: str
    confirmed: str
    version: str = BOT_API_VERSION


LIMITS: tuple[Limit, ...] = (
    Limit("text length", f"1-{MAX_TEXT_LENGTH} characters after entity parsing and trimming",
          r"Bad Request: message is too long|Bad Request: message text is empty",
          "tdlib MessageContent.cpp get_input_message_content (utf8_length > "
          "message_text_length_max, 4096 in ConfigManager.cpp); Client.cpp "
          "get_input_message_text ('Message text is empty'); docs: sendMessage"),
    Limit("caption length", f"0-{MAX_CAPTION_LENGTH} characters after entity parsing",
          r"Bad Request: message caption is too long",
          "tdlib MessageContent.cpp get_input_message_content (message_caption_length_max, "
          "1024); docs: sendDocument / sendPhoto caption"),
    Limit("callback_data", f"1-{MAX_CALLBACK_DATA_BYTES} bytes",
          r"Bad Request: BUTTON_DATA_INVALID",
          "docs: InlineKeyboardButton.callback_data; server error passed through by "
          "Client.cpp fail_query_with_error"),
    Limit("inline keyboard size",
          f"at most {MAX_INLINE_BUTTONS} buttons, at most {MAX_ROW_BUTTONS} in a row",
          r"Bad Request: reply markup is too long",
          "Client.cpp fail_query_with_error (REPLY_MARKUP_TOO_LONG -> 'reply markup is too "
          "long'); the counts are the server's, not in the docs"),
    Limit("answerCallbackQuery text", f"0-{MAX_CALLBACK_ANSWER_TEXT} characters",
          r"Bad Request: MESSAGE_TOO_LONG",
          "docs: answerCallbackQuery.text; Client.cpp process_answer_callback_query_query "
          "passes the server's MESSAGE_TOO_LONG through"),
    Limit("callback answer", f"once, within {CALLBACK_ANSWER_TIMEOUT:.0f} s of the press, not "
          "after a restart",
          r"Bad Request: query is too old and response timeout expired or query ID is invalid",
          "Client.cpp fail_query_with_error (QUERY_ID_INVALID); docs: answerCallbackQuery"),
    Limit("HTML tags", "a b strong i em s strike del u ins tg-spoiler tg-emoji tg-time span "
          "pre code blockquote",
          r"Bad Request: can't parse entities: .*",
          "tdlib MessageEntity.cpp parse_html ('Unsupported start tag \"x\" at byte offset "
          "N'); docs: Formatting options, HTML style"),
    Limit("upload size", f"at most {MAX_UPLOAD_BYTES:,} bytes a file (50 MB, strict reading)",
          r"Request Entity Too Large",
          "docs: sendDocument ('up to 50 MB'); answered 413 by api.telegram.org's front"),
    Limit("photo size", f"at most {MAX_PHOTO_BYTES:,} bytes (10 MB)",
          r"Bad Request: file of size \d+ bytes is too big for a photo; .*",
          "tdlib files/FileLoaderUtils.cpp check_full_local_location (MAX_PHOTO_SIZE); "
          "docs: sendPhoto"),
    Limit("per-chat pacing", f"bursts of {CHAT_BURST}, then {CHAT_RATE:.0f} a second a chat; "
          f"{GROUP_PER_MINUTE} a minute to a group",
          r"Too Many Requests: retry after \d+",
          "docs: Bot API FAQ 'My bot is hitting limits' (the model's numbers: faults.py); "
          "Client.cpp get_retry_after_time reads retry_after from this text"),
)


def limit_of(description: str) -> Limit | None:
    """The limit a refusal's description belongs to (None: not a limit, e.g. chat not found)."""
    for limit in LIMITS:
        if re.fullmatch(limit.refusal, description):
            return limit
    return None


# --------------------------------------------------------------------------- types on the wire

_INT = re.compile(r"-?\d+")
_BOOLS = frozenset({"true", "false", "1", "0"})


def _type_ok(kind: str, value: Any) -> bool:
    if kind == FILE:
        return isinstance(value, (Upload, str))
    if isinstance(value, Upload):
        return False
    if kind == INT:
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and bool(_INT.fullmatch(value)))
    if kind == CHAT:
        return _type_ok(INT, value) or (isinstance(value, str) and value.startswith("@"))
    if kind == BOOL:
        return isinstance(value, bool) or (isinstance(value, str) and value.lower() in _BOOLS)
    if kind == FLOAT:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        try:
            float(value)
        except (TypeError, ValueError):
            return False
        return True
    if kind in (OBJECT, ARRAY):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return False
        return isinstance(value, dict if kind == OBJECT else list)
    return isinstance(value, str)


def check_call(method: str, raw: JSONDict) -> list[str]:
    """What is wrong with this call's shape (method, parameter names, types, required ones),
    against `METHODS`; ``raw`` is the parameters as they came over the wire."""
    spec = METHODS.get(method)
    if spec is None:
        return [f"{method}: not a method in the conformance table"]
    problems = []
    for name, value in raw.items():
        kind = spec.params.get(name)
        if kind is None:
            if isinstance(value, Upload) and _attached(raw, name):
                continue     # a file part named by an attach:// reference
            problems.append(f"{method}: unknown parameter {name!r}")
        elif not _type_ok(kind, value):
            shown = repr(value) if not isinstance(value, str) else repr(value[:60])
            problems.append(f"{method}: parameter {name!r} must be {kind}, got {shown}")
    for name in sorted(spec.required - raw.keys()):
        problems.append(f"{method}: required parameter {name!r} missing")
    return problems


def _attached(raw: JSONDict, part: str) -> bool:
    ref = f"attach://{part}"
    return any(isinstance(v, str) and ref in v for v in raw.values())


# --------------------------------------------------------------------------- the record

#: Violations of every sandbox in this process, in order: (method, what is wrong).
RECORDED: list[tuple[str, str]] = []


def record(method: str, problem: str) -> None:
    RECORDED.append((method, problem))


def take_violations() -> list[tuple[str, str]]:
    """The violations recorded so far, removed from the record (for tests that make bad
    calls on purpose, and for the suite's check)."""
    taken = list(RECORDED)
    RECORDED.clear()
    return taken
