"""Webhook mode end to end: the sandbox pushes updates to the real bot's webhook (aiohttp on
loopback), the bot stores them in the inbox and answers 200; a wrong secret is refused with
403 and the update is delivered once the secret is right again. And polling's side: a webhook
left on the token makes getUpdates answer 409 until the bot's deleteWebhook at start-up."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.kernel.schedule import default_rules
from tests.conftest import ADMIN_ID, BotUnderTest, add_unit, register_liaison
from tests.processes import BotProcess, run_command
from tests.test_submissions_flow import jpeg, sandbox_clock

TZ = ZoneInfo("Asia/Shanghai")
SECRET = "right_Secret-42"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment.astimezone(UTC)


def webhook_bot(sandbox, tmp_path, clock=None) -> BotUnderTest:
    under_test = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}),
                              **({"clock": clock} if clock else {}))
    port = free_port()
    under_test.settings = dataclasses.replace(
        under_test.settings, webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
        webhook_listen=("127.0.0.1", port), webhook_secret=SECRET)
    return under_test


async def api(sandbox, method: str, **params):
    async with aiohttp.ClientSession() as session, session.post(
            f"{sandbox.api_base_url}{sandbox.token}/{method}", json=params) as response:
        return response.status, await response.json()


@pytest.fixture
def clock(sandbox) -> Clock:
    return sandbox_clock(sandbox, datetime(2026, 6, 4, 9, 0, tzinfo=TZ))


async def test_a_liaison_registers_and_sends_a_photo_through_the_webhook(
        sandbox, tmp_path, admin, clock):
    bot = webhook_bot(sandbox, tmp_path, clock)
    await bot.start()
    try:
        _, info = await api(sandbox, "getWebhookInfo")
        assert info["result"]["url"] == bot.settings.webhook_url
        assert "message" in info["result"]["allowed_updates"]
        await bot.storage.campaigns.create(
            2026, "2026年安全生产月", "人人讲安全、个个会应急", clock().date(), clock().date(),
            "Asia/Shanghai", default_rules(2026), created_by=ADMIN_ID)
        code = await add_unit(admin, "长春市工信局")
        liaison = sandbox.user(2001, "李明")
        await register_liaison(liaison, code)
        await liaison.send_photo(jpeg(1))
        receipt = await liaison.wait_reply(timeout=15)
        assert "1 张图片" in receipt[-1].text
        # every update came by the webhook, each answered 200 once; none by getUpdates
        assert sandbox.stats["getUpdates"] == 0
        deliveries = sandbox.webhook_deliveries()
        assert deliveries and {status for _, status in deliveries} == {200}
        assert len({update_id for update_id, _ in deliveries}) == len(deliveries)
        rows = await bot.storage.db.fetchall("SELECT update_id, handled_at FROM inbox")
        assert sorted(row["update_id"] for row in rows) == sorted(u for u, _ in deliveries)
        unit = (await bot.storage.liaisons.open_for_person(liaison.id)).unit_id
        items = await bot.storage.db.fetchall(
            "SELECT item.kind FROM item JOIN submission ON submission.id = item.submission_id "
            "WHERE submission.unit_id = ?", (unit,))
        assert [row["kind"] for row in items] == ["photo"]
        _, info = await api(sandbox, "getWebhookInfo")
        assert info["result"]["pending_update_count"] == 0
        assert "last_error_message" not in info["result"]
    finally:
        await bot.stop()


async def test_a_wrong_secret_is_refused_and_the_update_delivered_once_it_is_right(
        sandbox, tmp_path, admin):
    bot = webhook_bot(sandbox, tmp_path)
    await bot.start()
    try:
        # anyone posting without the secret, or with another, gets 403 and nothing is stored
        update = {"update_id": 99, "message": {
            "message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "x"}, "text": "/start"}}
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with session.post(bot.settings.webhook_url, json=update,
                                        headers=headers) as response:
                    assert response.status == 403
        assert await bot.storage.db.fetchall("SELECT * FROM inbox") == []

        sandbox.use_webhook_secret("not_the_secret")
        await admin.command("start")
        for _ in range(200):
            if len(sandbox.webhook_deliveries()) >= 2:
                break
            await asyncio.sleep(0.05)
        assert {status for _, status in sandbox.webhook_deliveries()} == {403}
        _, info = await api(sandbox, "getWebhookInfo")
        assert info["result"]["pending_update_count"] == 1
        assert info["result"]["last_error_message"] == \
            "Wrong response from the webhook: 403 Forbidden"
        assert admin.messages == []

        sandbox.use_webhook_secret(SECRET)
        reply = await admin.wait_reply(timeout=15)
        assert reply and await admin.wait_quiet(quiet=1.0) == []        # answered once
        statuses = [status for _, status in sandbox.webhook_deliveries()]
        assert statuses[-1] == 200 and statuses.count(200) == 1
        rows = await bot.storage.db.fetchall("SELECT update_id FROM inbox")
        assert len(rows) == 1
        _, info = await api(sandbox, "getWebhookInfo")
        assert info["result"]["pending_update_count"] == 0
    finally:
        await bot.stop()


async def test_a_webhook_left_on_the_token_is_deleted_before_polling(sandbox, tmp_path, admin):
    status, _ = await api(sandbox, "setWebhook", url="https://bot.example.org/hook",
                          secret_token="old")
    assert status == 200
    await admin.command("start")
    status, answer = await api(sandbox, "getUpdates", timeout=0)
    assert status == 409 and answer["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
        "to delete the webhook first")

    bot = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}))
    await bot.start()
    try:
        reply = await admin.wait_reply(timeout=15)     # the update that waited is handled
        assert reply
        assert sandbox.stats["409"] == 1               # only the test's own getUpdates
        _, info = await api(sandbox, "getWebhookInfo")
        assert info["result"]["url"] == ""
        calls = [method for method, _ in sandbox.requests][2:]    # the bot's own calls
        assert calls.index("deleteWebhook") < calls.index("getUpdates")
    finally:
        await bot.stop()


async def test_a_webhook_process_killed_and_restarted_gets_what_came_meanwhile(
        sandbox, tmp_path, admin):
    port = free_port()
    process = BotProcess(sandbox, tmp_path / "data", [ADMIN_ID], extra_env={
        "BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "BOT_WEBHOOK_LISTEN": f"127.0.0.1:{port}", "BOT_WEBHOOK_SECRET": SECRET})
    await process.start()
    try:
        await admin.command("start")
        assert await admin.wait_reply(timeout=15)
        await process.kill()                                # kill -9
        await admin.command("help")
        for _ in range(200):
            _, info = await api(sandbox, "getWebhookInfo")
            if info["result"].get("last_error_message") == "Connection refused":
                break
            await asyncio.sleep(0.05)
        assert info["result"]["pending_update_count"] == 1
        await process.start()
        help_reply = await admin.wait_reply(timeout=15)
        assert help_reply and await admin.wait_quiet(quiet=1.0) == []
        assert sandbox.stats["getUpdates"] == 0
    finally:
        code = await process.stop()
    assert code == 0
    assert "webhook set: Telegram posts updates to" in process.log()


async def test_check_says_what_telegram_does_with_the_updates(sandbox, tmp_path, admin):
    process = BotProcess(sandbox, tmp_path / "data", [ADMIN_ID])
    env = process.env()

    def webhook_line(out: str) -> str:
        return next(line for line in out.splitlines() if "] webhook: " in line)

    _, out = await run_command(["check"], env, tmp_path)
    assert webhook_line(out) == "[ok  ] webhook: none: long polling (0 update(s) waiting)"
    await api(sandbox, "setWebhook", url="https://old.example.org/hook")
    await admin.command("start")
    for _ in range(200):                  # the sandbox tried to push it (nobody is there)
        if sandbox.webhook_deliveries():
            break
        await asyncio.sleep(0.05)
    _, out = await run_command(["check"], env, tmp_path)
    assert webhook_line(out) == (
        "[warn] webhook: set on this token to https://old.example.org/hook (1 update(s) "
        "waiting; last error: Connection refused); run deletes it before polling, so a "
        "deployment that uses it would hear nothing more")
    url = "http://127.0.0.1:8443/hook"
    env |= {"BOT_WEBHOOK_URL": url, "BOT_WEBHOOK_SECRET": SECRET,
            "BOT_WEBHOOK_LISTEN": "127.0.0.1:8443"}
    _, out = await run_command(["check"], env, tmp_path)
    assert webhook_line(out) == (
        f"[warn] webhook: Telegram's is to https://old.example.org/hook (1 update(s) waiting); "
        f"run sets {url}")
