"""The conformance check (issue 14): every Bot API call of the suite is checked against the
table in bot/sandbox/conformance.py — method, parameter names and types, Telegram's limits —
and a test that leaves a violation fails (tests/conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.sandbox import FakeTelegram
from bot.sandbox.conformance import (
    BOT_API_VERSION,
    LIMITS,
    METHODS,
    check_call,
    take_violations,
    where_confirmed,
)
from bot.sandbox.server import IMPLEMENTED_METHODS

pytestmark = pytest.mark.no_database      # opens no database: runs once

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def srv() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def post(srv: FakeTelegram, method: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{srv.api_base_url}{srv.token}/{method}", **kwargs)


@pytest.mark.sandbox_refusals
async def test_bad_calls_are_caught(srv: FakeTelegram) -> None:
    user = srv.user(3001)
    # an unknown parameter (Telegram ignores it silently; the check does not)
    await post(srv, "sendMessage", data={"chat_id": user.id, "text": "x", "colour": "red"})
    # a wrong type, form-encoded as PTB sends it
    await post(srv, "sendMessage", data={"chat_id": user.id, "text": "x",
                                         "disable_notification": "maybe"})
    await post(srv, "answerCallbackQuery", json={"callback_query_id": "1", "cache_time": "soon"})
    # a required parameter missing
    await post(srv, "sendDocument", data={"chat_id": user.id})
    # a too-long text: refused by the sandbox with Telegram's text, and recorded
    resp = await post(srv, "sendMessage", json={"chat_id": user.id, "text": "字" * 4097})
    assert resp.json()["description"] == "Bad Request: message is too long"
    # a method the bot has no business calling
    await post(srv, "sendHologram", json={"chat_id": user.id})

    problems = [problem for _, problem in take_violations()]
    assert problems == [
        "sendMessage: unknown parameter 'colour'",
        "sendMessage: parameter 'disable_notification' must be Boolean, got 'maybe'",
        "answerCallbackQuery: parameter 'cache_time' must be Integer, got 'soon'",
        "sendDocument: required parameter 'document' missing",
        "sendMessage: refused: Bad Request: message is too long",
        "sendHologram: not a method in the conformance table",
    ], problems
    assert srv.violations == problems


async def test_good_calls_as_ptb_sends_them_pass(srv: FakeTelegram) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto
    from telegram.ext import Defaults, ExtBot

    user = srv.user(3002)
    bot = ExtBot(srv.token, base_url=srv.api_base_url, base_file_url=srv.file_base_url,
                 defaults=Defaults(parse_mode="HTML"))        # as bot/app.py builds it
    async with bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="ok")]])
        msg = await bot.send_message(user.id, "<b>你好</b>", parse_mode="HTML",
                                     reply_markup=keyboard, disable_notification=True)
        await bot.edit_message_text("改了", chat_id=user.id, message_id=msg.message_id,
                                    reply_markup=keyboard)
        await bot.send_document(user.id, b"PK\x03\x04data", filename="a.xlsx", caption="附件")
        await bot.send_media_group(user.id, [InputMediaPhoto(b"\xff\xd8\xff1"),
                                             InputMediaPhoto(b"\xff\xd8\xff2")])
        await bot.set_my_commands([("start", "开始")], language_code="zh")
        query = await user.press("好")
        await bot.edit_message_reply_markup(chat_id=user.id, message_id=msg.message_id)
        await bot.answer_callback_query(query["id"], text="收到", cache_time=0)
        await bot.get_updates(offset=1, timeout=0, allowed_updates=["message"])
    assert take_violations() == []
    # PTB adds its default parse_mode to editMessageReplyMarkup; the table tolerates it
    edits = [params for method, params in srv.requests if method == "editMessageReplyMarkup"]
    assert edits == [{
        "chat_id": user.id, "message_id": msg.message_id, "parse_mode": "HTML"}]


def test_the_table_covers_every_method_the_sandbox_serves() -> None:
    assert set(IMPLEMENTED_METHODS) <= set(METHODS)
    assert BOT_API_VERSION == "10.0"
    assert "#sendmessage" in where_confirmed("sendMessage")
    assert "process_send_message_query" in where_confirmed("sendMessage")
    assert all(limit.confirmed and limit.refusal and limit.value for limit in LIMITS)
    assert check_call("getMe", {}) == []
    assert check_call("sendMessage", {"chat_id": "@channel", "text": "x"}) == []


def test_a_violation_fails_the_test_that_made_it() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
         str(ROOT / "tests" / "conformance_probe.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout
    assert "sendMessage: unknown parameter 'colour'" in run.stdout
