"""Logs an operator can use: one line per event, a level setting, no secret ever.

Every record is redacted before it is written: the bot token inside Bot API URLs
(``…/bot<id>:<secret>/getUpdates``, ``…/file/bot<id>:<secret>/…``, which aiohttp puts into
the text of some connection errors and python-telegram-bot into its debug lines), the token
itself wherever it appears, and the password of a proxy URL. The filter sits on the root
logger's handler, which every record of every library reaches (a filter on the root *logger*
would see only records logged to the root logger itself). A record's message and its
traceback are written on one line, newlines as ``\\n``, so that a journal line is one event.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<redacted>"
# /bot<id>:<secret>/ and /file/bot<id>:<secret>/ in a URL: the bot id stays, to tell bots apart
TOKEN_IN_URL = re.compile(r"(/(?:file/)?bot\d+):[A-Za-z0-9_-]+")
# a token standing alone, as @BotFather hands them out (35 characters after the colon)
BARE_TOKEN = re.compile(r"\b(\d{5,}):[A-Za-z0-9_-]{30,}")
URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s/:@]+):[^\s/@]+@", re.IGNORECASE)
# libraries whose INFO lines are per call or per job run: shown only at DEBUG
CHATTY = ("httpx", "apscheduler")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the bot token or a proxy password in it."""
    text = TOKEN_IN_URL.sub(rf"\1:{REDACTED}", text)
    text = BARE_TOKEN.sub(rf"\1:{REDACTED}", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return URL_PASSWORD.sub(rf"\1:{REDACTED}@", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and traceback without secrets (see :func:`redact`);
    ``secrets``: exact strings to remove too (the configured token, once it is known)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = set(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:     # a bad logging call: kept, unformatted, rather than raised
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


class OneLineFormatter(logging.Formatter):
    """A record, traceback included, on one line: newlines written as ``\\n``."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", "\\n")


def configure(level: int, stream: TextIO | None = None) -> RedactingFilter:
    """The root logger writes one redacted line per record at ``level`` and above to
    ``stream`` (stderr: the journal under systemd). Returns the filter, to which the
    token is added once the settings are read."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT))
    redacting = RedactingFilter()
    handler.addFilter(redacting)
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING)
                                         if level > logging.DEBUG else logging.DEBUG)
    return redacting
