"""Sandbox: a fake Telegram Bot API server plus simulated users for end-to-end tests."""

from bot.sandbox.entities import format_text
from bot.sandbox.files import generate_bytes
from bot.sandbox.records import Sent, SentFile
from bot.sandbox.server import FakeTelegram
from bot.sandbox.users import SimUser

__all__ = ["FakeTelegram", "Sent", "SentFile", "SimUser", "format_text", "generate_bytes"]
