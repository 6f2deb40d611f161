"""Sandbox: a fake Telegram Bot API server plus simulated users for end-to-end tests."""

from bot.sandbox.server import FakeTelegram, Sent, SentFile
from bot.sandbox.users import SimUser

__all__ = ["FakeTelegram", "Sent", "SentFile", "SimUser"]
