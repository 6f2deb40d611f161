"""Issue 18's acceptance, end to end: two real bot processes (``python -m bot``) on one
PostgreSQL schema and the sandbox; liaisons send albums, photos and texts while the leader
is killed (kill -9) twice and started again. Polling (tests/test_scale_processes.py) or
webhook behind a small round-robin proxy (tests/test_webhook_cluster.py).

The week's deadline is seeded to fall due during the run, between the two kills, so the
scheduler's digest to the coordinator is sent by a leader that took over and must not be
sent again by the next one; the Thursday prompt's window (open until the deadline) is used
up before it. A kill is never
made while the digest is in flight (between its instant and its 'sent' mark): a message in
flight at a death may go twice (the Bot API has no idempotency key), which the issue allows
and the outbox tests bound (tests/test_faults.py); here the digest must go exactly once.

Checked: every item stored once; every burst answered, with one receipt each — a burst being
handled at a kill is handled again by another process (intake recognises the messages, and
stores nothing twice) and its receipt may go again: at most one repeat per liaison per kill,
always a copy of a receipt that liaison already had —; the prompt once per liaison; the
digest once; every update of the inbox handled, by both processes.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from bot.sandbox import FakeTelegram
from bot.storage import Storage
from tests import backends
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess
from tests.test_faults import seed_open_week

SHANGHAI = ZoneInfo("Asia/Shanghai")
KILLS = 2
PROMPT_BUTTON = "📤 开始报送"
DIGEST_START = "📋"


def jpeg(seed: int) -> bytes:
    image = Image.new("RGB", (64, 48), ((seed * 40) % 256, (seed * 90) % 256, 120))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


async def until(condition, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        assert loop.time() < deadline, f"not within {timeout:.0f} s: {what}"
        await asyncio.sleep(0.1)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


async def seed_week_due_soon(data_dir: Path, liaisons: int, first_id: int,
                             due_in: float) -> tuple[list[int], float]:
    """``liaisons`` units with a liaison each; the week's deadline today ``due_in`` seconds
    from now (China time, to the second), its prompt at 00:00 (sent at start-up), one overdue
    day (what comes after the deadline still counts for the week, late). Returns the ids and
    the deadline as Unix seconds."""
    ids = await seed_open_week(data_dir / "bot.sqlite3", liaisons, first_id, clock_time(0, 0))
    due = datetime.now(SHANGHAI) + timedelta(seconds=due_in)
    storage = Storage(backends.current())
    await storage.open()
    try:
        # seconds precision, which /deadline does not offer: a due instant inside the run
        await storage.db.execute("UPDATE deliverable SET due_time = ?, overdue_days = 1",
                                 (due.strftime("%H:%M:%S"),))
    finally:
        await storage.close()
    return ids, due.replace(microsecond=0).timestamp()


def skip_late_in_the_day() -> None:
    if datetime.now(SHANGHAI).time() > clock_time(23, 40):
        pytest.skip("the week's deadline must fall today (China time)")


async def leader_pid(storage: Storage) -> int | None:
    rows = [row for row in await storage.processes.recent()
            if row.leader and row.stopped_at is None]
    return rows[0].pid if len(rows) == 1 else None


async def two_processes(sandbox: FakeTelegram, data_dir: Path, tmp_path: Path,
                        envs: list[dict[str, str] | None] | None = None,
                        ) -> tuple[list[BotProcess], Storage]:
    """Two bot processes on the test's database (not started; logs ``a.log``, ``b.log``),
    and the test's own storage on it, open."""
    processes = []
    for name, env in zip("ab", envs or [None, None], strict=True):
        process = BotProcess(sandbox, data_dir, [ADMIN_ID], extra_env=env)
        process.log_path = tmp_path / f"{name}.log"
        processes.append(process)
    storage = Storage(backends.current())
    await storage.open()
    return processes, storage


def process_of(processes: list[BotProcess], pid: int) -> BotProcess:
    for process in processes:
        if process.process is not None and process.process.returncode is None and \
                pid in {process.process.pid, *process._bot_pids()}:
            return process
    raise AssertionError(f"no running process has pid {pid}")


async def digest_rows(storage: Storage) -> list:
    return [row for row in await storage.outbox.rows() if row.kind.startswith("digest@")]


async def digest_sent(storage: Storage) -> bool:
    rows = await digest_rows(storage)
    return bool(rows) and all(row.state == "sent" for row in rows)


async def run(sandbox: FakeTelegram, tmp_path: Path, liaisons: int, first_id: int,
              webhook: bool) -> dict[str, object]:
    """The acceptance; returns figures: receipts repeated, seconds the run took, the load
    average at its end."""
    skip_late_in_the_day()
    started = time.monotonic()
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    # start-ups (up to 8 s on a loaded 2-core machine, both at once), the prompts (29.5 a
    # second) and the first wave before the deadline
    ids, due = await seed_week_due_soon(data_dir, liaisons, first_id, 12 + liaisons * 0.08)
    users = [sandbox.user(user_id, f"联络员{n}") for n, user_id in enumerate(ids)]
    admin = sandbox.user(ADMIN_ID, "王主任")
    proxy = None
    envs = [{"BOT_RETRY_SECONDS": "3"}, {"BOT_RETRY_SECONDS": "3"}]
    if webhook:
        proxy_port, ports = free_port(), [free_port(), free_port()]
        proxy = Proxy(proxy_port, [f"http://127.0.0.1:{port}/hook" for port in ports])
        await proxy.start()
        for env, port in zip(envs, ports, strict=True):
            env.update({"BOT_WEBHOOK_URL": f"http://127.0.0.1:{proxy_port}/hook",
                        "BOT_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                        "BOT_WEBHOOK_SECRET": "s3cret-acceptance"})
    processes, storage = await two_processes(sandbox, data_dir, tmp_path, envs)
    try:
        # both at once; one leads (it polls, or both listen), the other follows
        await asyncio.gather(processes[0].start(wait_ready=60, polls=webhook),
                             processes[1].start(wait_ready=60, polls=webhook))
        await until(lambda: _all_prompted(storage, len(ids)), 60 + liaisons / 10,
                    "every prompt sent")
        assert time.time() < due, "the prompts took until the deadline: give it more time"

        async def wave(number: int) -> None:
            for n, user in enumerate(users):
                if number == 0:
                    await user.send_album([("photo", jpeg(n * 10 + k), "现场检查" if k == 0
                                            else None) for k in range(3)])
                elif number == 1:
                    await user.send_photo(jpeg(n * 10 + 5))
                else:
                    await user.send(f"第{n}单位本周开展隐患排查")

        for number in range(3):
            await wave(number)
            # every update taken by a process, some handled
            await sandbox.wait_fetched(timeout=30 + liaisons / 5)
            if number == KILLS:
                break
            await asyncio.sleep(0.3)
            if time.time() >= due - 2 and not await digest_sent(storage):
                # not with the digest in flight (see the module's docstring)
                await until(lambda: digest_sent(storage), 30, "the digest sent")
            pid = await leader_pid(storage)
            assert pid is not None, "exactly one leader"
            victim = process_of(processes, pid)
            await victim.kill()
            # another process takes over (within the 10 s the issue allows)
            await until(lambda pid=pid: _new_leader(storage, pid), 10, "a new leader")
            await victim.start(wait_ready=60, polls=webhook)
            if number == 0:
                # the deadline passes now, after one takeover and before the next: the
                # digest goes from a leader that took over, and no later leader sends it again
                await until(lambda: digest_sent(storage), max(due - time.time(), 0) + 30,
                            "the digest sent")

        def receipts() -> dict[int, int]:
            return {user.id: len(sandbox.messages_to(user.id)) - 1 for user in users}

        try:
            # an album a killed process had claimed is taken over within seconds (its pid
            # is found gone), not after the claim's 120 s lease
            await until(lambda: _done(receipts, 3), 30 + liaisons / 2, "every receipt")
        except AssertionError:
            raise AssertionError({user.id: [sent.text[:12] for sent in
                                            sandbox.messages_to(user.id)]
                                  for user in users if receipts()[user.id] < 3}) from None
        await until(lambda: digest_sent(storage), max(due - time.time(), 0) + 30,
                    "the digest sent")
        await asyncio.sleep(2.0)              # and nothing more comes
        if proxy is not None:
            assert all(proxy.served[upstream] > 0 for upstream in proxy.upstreams)
    finally:
        codes = [await process.stop() for process in processes]
        if proxy is not None:
            await proxy.stop()
    try:
        assert codes == [0, 0], [process.log()[-2000:] for process in processes]
        repeats = 0
        for user in users:
            texts = [sent.text for sent in sandbox.messages_to(user.id)]
            # the prompt once, first
            assert [sent.find_button(PROMPT_BUTTON) is not None
                    for sent in sandbox.messages_to(user.id)].count(True) == 1, texts
            assert sandbox.messages_to(user.id)[0].find_button(PROMPT_BUTTON) is not None
            answers = texts[1:]
            distinct = list(dict.fromkeys(answers))
            # one receipt per burst: the album's, the photo's, the text's (a repeat is a
            # copy of one of them, at most one per kill)
            assert len(distinct) == 3, answers
            assert sum("3 张图片" in text for text in distinct) == 1, answers
            assert sum("1 张图片" in text for text in distinct) == 1, answers
            assert sum("张图片" not in text and "字" in text for text in distinct) == 1
            assert all(text.startswith("✅ 已收到") for text in distinct), answers
            assert len(answers) - 3 <= KILLS, answers
            repeats += len(answers) - 3
        # every item stored once
        rows = await storage.db.fetchall(
            "SELECT liaison_id, message_id, kind FROM item WHERE withdrawn_at IS NULL")
        assert len(rows) == liaisons * 5
        assert len({(row["liaison_id"], row["message_id"]) for row in rows}) == liaisons * 5
        assert Counter(row["kind"] for row in rows) == {"photo": liaisons * 4,
                                                        "text": liaisons}
        # the prompt once per liaison (its outbox rows)
        prompts = await storage.outbox.rows(kind="prompt")
        assert len(prompts) == liaisons and {row.state for row in prompts} == {"sent"}
        # the digest once: every part of it (a long one is split) sent, and received once
        digests = await digest_rows(storage)
        assert digests and {row.state for row in digests} == {"sent"}
        assert {row.chat_id for row in digests} == {ADMIN_ID}
        to_admin = [sent.text for sent in admin.messages]
        assert len(to_admin) == len(digests) and len(set(to_admin)) == len(to_admin), to_admin
        assert to_admin[0].startswith(DIGEST_START), to_admin[0][:80]
        # both processes handled updates; every update of the inbox was handled
        assert await storage.inbox.unhandled() == []
        handled = [row.handled for row in await storage.processes.recent()]
        assert len([count for count in handled if count]) >= 2, handled
    finally:
        await storage.close()
    return {"repeats": repeats, "seconds": round(time.monotonic() - started, 1),
            "load": Path("/proc/loadavg").read_text().split()[0]}


async def _all_prompted(storage: Storage, count: int) -> bool:
    rows = await storage.outbox.rows(kind="prompt")
    return len(rows) == count and all(row.state == "sent" for row in rows)


async def _new_leader(storage: Storage, old_pid: int) -> bool:
    pid = await leader_pid(storage)
    return pid is not None and pid != old_pid


async def _done(receipts, expected: int) -> bool:
    return all(count >= expected for count in receipts().values())
