"""Sandbox: a fake Telegram Bot API server plus simulated users for end-to-end tests.

Its modules, from the bottom up (each imports only modules listed above it):

records.py       what is recorded and answered: Sent, SentFile, FileRecord, Upload, ApiError
entities.py      parse modes -> plain text + entities (UTF-16 offsets), format_text
wire.py          HTTP parameters in (typed by field name), JSON answers out
files.py         the file store, photo sizes, files in requests, getFile, downloads,
                 generate_bytes
users.py         SimUser: a person in a private chat with the bot
transcript.py, faults.py, chats.py, updates.py, webhooks.py, bot_settings.py, keyboards.py,
messages.py, media.py, edits.py
                 one mixin each: the parts of FakeTelegram, by area
conformance.py   the Bot API table (methods, parameters, types, limits) calls are checked on
server.py        FakeTelegram: its state, start / stop, routing a call to its method
"""

from bot.sandbox.entities import format_text
from bot.sandbox.files import generate_bytes
from bot.sandbox.records import Sent, SentFile
from bot.sandbox.server import FakeTelegram
from bot.sandbox.users import SimUser

__all__ = ["FakeTelegram", "Sent", "SentFile", "SimUser", "format_text", "generate_bytes"]
