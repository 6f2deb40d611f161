"""Leader failover (issue 18): two bot processes on one PostgreSQL database; the leader is
killed (kill -9) in the middle of a prompt to N liaisons. Prints the time from the kill to
the new leader's first send (takeover), the liaisons left without the prompt (lost; goal 0)
and the prompts sent twice (goal: no more than were in flight at the kill).

    python bench/leader_failover.py [--liaisons 5000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from datetime import time as clock_time
from pathlib import Path

from common import machine

from bot.sandbox import FakeTelegram
from bot.storage import Storage
from tests import backends
from tests.processes import BotProcess
from tests.test_faults import seed_open_week


async def leader_pid(storage: Storage) -> int | None:
    rows = [row for row in await storage.processes.recent()
            if row.leader and row.stopped_at is None]
    return rows[0].pid if len(rows) == 1 else None


async def main(liaisons: int, url: str) -> None:
    print(f"machine: {machine()}; {liaisons} liaisons, 2 processes on PostgreSQL")
    os.environ["BOT_TEST_POSTGRES_URL"] = url
    schema, database = await backends.fresh_schema()
    sandbox = FakeTelegram()
    sandbox.record_requests = False
    sandbox.rate_limit_per_second = 30
    await sandbox.start()
    storage = Storage(database)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "data"
            data_dir.mkdir()
            backends._current = database          # seed_open_week's Storage uses it
            ids = await seed_open_week(data_dir / "bot.sqlite3", liaisons, 900_000,
                                       clock_time(0, 0))
            backends._current = None
            for user_id in ids:
                sandbox.user(user_id, "联络员")
            processes = []
            for number in range(2):
                process = BotProcess(sandbox, data_dir, [1],
                                     extra_env={"BOT_DATABASE_URL": database})
                process.log_path = Path(tmp) / f"bot{number}.log"
                processes.append(process)
            await storage.open()
            await processes[0].start()
            await processes[1].start(polls=False)
            while len(sandbox.sent) < liaisons // 3:
                await asyncio.sleep(0.05)
            pid = await leader_pid(storage)
            victim = next(p for p in processes if pid in {p.process.pid, *p._bot_pids()})
            sent_at_kill = len(sandbox.sent)
            killed = time.monotonic()
            await victim.kill()
            while len(sandbox.sent) <= sent_at_kill:
                await asyncio.sleep(0.01)
            takeover = time.monotonic() - killed
            started = time.monotonic()
            while {sent.chat_id for sent in sandbox.sent} != set(ids) and \
                    time.monotonic() - started < liaisons / 20 + 120:
                await asyncio.sleep(0.2)
            await asyncio.sleep(2.0)
            per_chat = Counter(sent.chat_id for sent in sandbox.sent)
            lost = len(set(ids) - set(per_chat))
            duplicates = sum(count - 1 for count in per_chat.values())
            states = Counter(row.state for row in await storage.outbox.rows(kind="prompt"))
            for process in processes:
                await process.stop()
    finally:
        await storage.close()
        await sandbox.stop()
        await backends.drop_schema(schema)
    print(f"killed the leader after {sent_at_kill} of {liaisons} prompts")
    print(f"takeover: {takeover:.2f} s from kill -9 to the new leader's first send "
          f"(goal <= 10 s)")
    print(f"lost: {lost} (goal 0); duplicates: {duplicates} (goal <= those in flight at the "
          f"kill: at most the sender's 8 concurrent sends); outbox states: {dict(states)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--liaisons", type=int, default=5000)
    parser.add_argument("--postgres", default="postgresql://127.0.0.1/test")
    args = parser.parse_args()
    asyncio.run(main(args.liaisons, args.postgres))
