"""The sandbox's webhook, as Telegram's: setWebhook's checks, pushes in order per chat with
retries, allowed_updates, drop_pending_updates, getWebhookInfo, and getUpdates refused while
a webhook is set. The receiver is a small aiohttp server in the test (a stand-in for a bot)."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from tests.test_webhook_flow import api

pytestmark = pytest.mark.no_database      # opens no database: runs once


class Receiver:
    """Records every POST (update id, secret header); answers what ``answers`` says for an
    update id (a list, one status per try; 200 once it runs out)."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str | None]] = []
        self.answers: dict[int, list[int]] = {}
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.take)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"

    async def take(self, request: web.Request) -> web.Response:
        update = json.loads(await request.text())
        self.seen.append((update["update_id"], request.headers.get(
            "X-Telegram-Bot-Api-Secret-Token")))
        statuses = self.answers.get(update["update_id"])
        return web.Response(status=statuses.pop(0) if statuses else 200)

    async def until(self, count: int) -> None:
        for _ in range(400):
            if len(self.seen) >= count:
                return
            await asyncio.sleep(0.025)
        raise AssertionError(f"only {len(self.seen)} pushes: {self.seen}")


async def test_set_webhook_refuses_what_telegram_refuses(sandbox):
    for params, description in (
            ({"url": "http://bot.example.org/hook"},
             "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"),
            ({"url": "https://bot.example.org:8080/hook"},
             "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or "
             "8443"),
            ({"url": "https://bot.example.org/hook", "secret_token": "no spaces"},
             "Bad Request: secret token contains unallowed characters")):
        status, answer = await api(sandbox, "setWebhook", **params)
        assert (status, answer["description"]) == (400, description)
    _, info = await api(sandbox, "getWebhookInfo")
    assert info["result"]["url"] == ""


async def test_pushes_keep_each_chat_in_order_and_retry_until_answered(sandbox):
    receiver = Receiver()
    await receiver.start()
    try:
        first, second = sandbox.user(11, "甲"), sandbox.user(12, "乙")
        status, _ = await api(sandbox, "setWebhook", url=receiver.url, secret_token="s3cret",
                              allowed_updates=["message"])
        assert status == 200
        one = await first.send("一")   # update 1: refused twice, then taken
        await first.send("二")         # update 2: must wait for 1
        await second.send("三")        # update 3: another chat, not held up
        receiver.answers[1] = [500, 502]
        await receiver.until(5)
        order = [update_id for update_id, _ in receiver.seen]
        assert order.count(1) == 3 and order.count(2) == 1 and order.count(3) == 1
        assert order.index(2) > len(order) - 1 - order[::-1].index(1)    # after 1's last try
        assert order.index(3) < order.index(2)                            # chat 12 went on
        assert {secret for _, secret in receiver.seen} == {"s3cret"}
        _, info = await api(sandbox, "getWebhookInfo")
        assert info["result"]["pending_update_count"] == 0
        assert info["result"]["last_error_message"] == \
            "Wrong response from the webhook: 502 Bad Gateway"
        assert info["result"]["allowed_updates"] == ["message"]

        # a type not asked for is never pushed (and not kept)
        await first.edit(one, "改")    # update 4: an edited_message
        await first.send("四")
        await receiver.until(6)
        assert receiver.seen[-1][0] == 5 and 4 not in [u for u, _ in receiver.seen]

        # getUpdates is refused while the webhook is set; deleteWebhook drops what waits
        status, answer = await api(sandbox, "getUpdates")
        assert status == 409 and answer["description"].startswith(
            "Conflict: can't use getUpdates method while webhook is active")
        receiver.answers[6] = [500] * 100
        await first.send("五")
        await receiver.until(7)
        status, _ = await api(sandbox, "deleteWebhook", drop_pending_updates=True)
        assert status == 200
        status, answer = await api(sandbox, "getUpdates", timeout=0)
        assert (status, answer["result"]) == (200, [])
    finally:
        await receiver.runner.cleanup()


async def test_a_receiver_that_is_down_gets_the_update_when_it_is_back(sandbox):
    receiver = Receiver()
    await receiver.start()
    url = receiver.url
    port = int(url.split(":")[2].split("/")[0])
    await receiver.runner.cleanup()                      # nobody listens now
    user = sandbox.user(21, "丙")
    await api(sandbox, "setWebhook", url=url)
    await user.send("在吗")
    for _ in range(200):
        _, info = await api(sandbox, "getWebhookInfo")
        if "last_error_message" in info["result"]:
            break
        await asyncio.sleep(0.025)
    assert info["result"]["last_error_message"] == "Connection refused"
    assert info["result"]["pending_update_count"] == 1
    back = Receiver()
    app = web.Application()
    app.router.add_post("/hook", back.take)
    back.runner = web.AppRunner(app)
    await back.runner.setup()
    await web.TCPSite(back.runner, "127.0.0.1", port).start()
    try:
        await back.until(1)
        assert back.seen == [(1, None)]                   # no secret given, no header
    finally:
        await back.runner.cleanup()
