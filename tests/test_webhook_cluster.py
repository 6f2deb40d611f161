"""Webhook mode with two bot processes on one PostgreSQL behind a small proxy (as nginx's
upstream: each POST to the next process in turn, the other one when that one does not
answer): the sandbox pushes every update to the proxy; whichever process stores it, any
process handles it (bot.scale.shared); one is killed with kill -9 and restarted meanwhile.
Every liaison's every burst is stored once and answered with one receipt."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web

from bot.storage import Storage
from tests.backends import database_for
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess
from tests.schedule_support import seed
from tests.test_submissions_flow import jpeg
from tests.test_webhook_flow import SECRET, free_port

RECEIPT = "✅ 已收到"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def postgres_url():
    yield from database_for("postgres")


class Proxy:
    """Round robin over the upstreams; a connection refused goes to the next one (nginx's
    ``proxy_next_upstream error``); none answering: 502, and Telegram tries again."""

    def __init__(self, port: int, upstreams: list[str]) -> None:
        self.port = port
        self.upstreams = upstreams
        self.turn = 0
        self.served: Counter[str] = Counter()
        self.runner: web.AppRunner | None = None
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/hook", self.forward)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self.runner.cleanup()
        await self.session.close()

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name: value for name, value in request.headers.items()
                   if name.lower() in ("content-type", "x-telegram-bot-api-secret-token")}
        for _ in self.upstreams:
            upstream = self.upstreams[self.turn % len(self.upstreams)]
            self.turn += 1
            try:
                async with self.session.post(upstream, data=body, headers=headers) as answer:
                    await answer.read()
                    self.served[upstream] += 1
                    return web.Response(status=answer.status)
            except aiohttp.ClientConnectionError:
                continue
        return web.Response(status=502)


async def weekly_campaign(url: str) -> None:
    """A campaign whose weekly materials are due today at 23:00 (the machine's real day):
    whatever a liaison sends now counts for this week."""
    today = datetime.now(TZ)
    storage = Storage(url)
    await storage.open()
    try:
        await storage.campaigns.create(
            today.year, "webhook", "", today.date() - timedelta(days=7),
            today.date() + timedelta(days=7), "Asia/Shanghai",
            [{"key": "weekly", "kind": "weekly", "weekday": today.weekday(),
              "due_time": time(23, 0), "first_date": today.date() - timedelta(days=7),
              "last_date": today.date() + timedelta(days=7), "prompt_time": time(0, 0),
              "reminder_minutes": []}], None)
    finally:
        await storage.close()


async def receipts(users, count: int, timeout: float = 60) -> None:
    """Until every user has ``count`` receipts."""
    for _ in range(int(timeout / 0.1)):
        if all(sum(RECEIPT in (sent.text or "") for sent in user.messages) >= count
               for user in users):
            return
        await asyncio.sleep(0.1)
    missing = [user.id for user in users
               if sum(RECEIPT in (sent.text or "") for sent in user.messages) < count]
    raise AssertionError(f"{len(missing)} liaisons without receipt {count}: {missing[:5]}")


async def test_two_webhook_processes_behind_a_proxy_one_killed_and_restarted(
        sandbox, tmp_path, postgres_url):
    data_dir = tmp_path / "data"                       # the media folder both share
    await weekly_campaign(postgres_url)
    liaisons = await seed(data_dir, liaisons=20)
    users = [sandbox.user(liaison.person_id, liaison.name) for liaison in liaisons]
    proxy_port, ports = free_port(), [free_port(), free_port()]
    proxy = Proxy(proxy_port, [f"http://127.0.0.1:{port}/hook" for port in ports])
    await proxy.start()
    processes = [BotProcess(sandbox, data_dir, [ADMIN_ID], extra_env={
        "BOT_WEBHOOK_URL": f"http://127.0.0.1:{proxy_port}/hook",
        "BOT_WEBHOOK_LISTEN": f"127.0.0.1:{port}", "BOT_WEBHOOK_SECRET": SECRET})
        for port in ports]
    try:
        for process in processes:
            await process.start(wait_ready=60)
        for number, user in enumerate(users):
            await user.send_photo(jpeg(number))
        await receipts(users, 1)

        await processes[0].kill()                      # kill -9: the proxy goes to the other
        for number, user in enumerate(users):
            await user.send(f"第{number}号单位本周开展了安全检查。")
        await receipts(users, 2)

        await processes[0].start(wait_ready=60)
        for number, user in enumerate(users):
            await user.send_photo(jpeg(100 + number))
        await receipts(users, 3)
        await asyncio.sleep(2)                         # a second receipt would come now
        assert all(proxy.served[upstream] > 0 for upstream in proxy.upstreams)
    finally:
        codes = [await process.stop() for process in processes]
        await proxy.stop()
    assert codes == [0, 0]
    for user in users:
        assert sum(RECEIPT in (sent.text or "") for sent in user.messages) == 3, user.id
    storage = Storage(postgres_url)
    await storage.open()
    try:
        rows = await storage.db.fetchall(
            "SELECT liaison.person_id, item.kind FROM item "
            "JOIN submission ON submission.id = item.submission_id "
            "JOIN liaison ON liaison.unit_id = submission.unit_id")
    finally:
        await storage.close()
    stored = Counter((row["person_id"], row["kind"]) for row in rows)
    assert stored == Counter({**{(user.id, "photo"): 2 for user in users},
                              **{(user.id, "text"): 1 for user in users}})
