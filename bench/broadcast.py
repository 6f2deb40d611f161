"""The Thursday prompt to 5,000 liaisons under the sandbox's 30 messages/s limit.

The bot runs as a process with 5,000 active liaisons and a weekly deliverable whose prompt
is due at the next whole minute. Reported: total time against the ideal (5,000 / 30 s) as a
ratio (goal >= 0.95), messages lost and duplicated (goal 0), 429s received (goal 0), the most
messages in any one second (goal <= 30), bot CPU per message (goal <= 2 ms) and how long
after the trigger the first message left (goal < 5 s).

    python bench/broadcast.py [--liaisons 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from common import machine, seed_liaisons
from update_throughput import cpu_seconds

from bot.sandbox import FakeTelegram
from bot.storage import Storage
from tests.processes import BotProcess

TZ = ZoneInfo("Asia/Shanghai")
LIMIT = 30


async def seed(data_dir: Path, liaisons: int) -> tuple[list[int], datetime]:
    ids = await seed_liaisons(data_dir / "bot.sqlite3", liaisons)
    now = datetime.now(TZ)
    trigger = (now + timedelta(minutes=1 if now.second < 40 else 2)).replace(
        second=0, microsecond=0)
    storage = Storage(data_dir / "bot.sqlite3")
    await storage.open()
    await storage.campaigns.create(
        now.year, "bench", "", now.date() - timedelta(days=1), now.date() + timedelta(days=1),
        "Asia/Shanghai",
        [{"key": "weekly", "kind": "weekly", "weekday": trigger.weekday(),
          "due_time": (trigger + timedelta(hours=3)).time(), "first_date": trigger.date(),
          "last_date": trigger.date(), "prompt_time": trigger.time(),
          "reminder_minutes": []}], None)
    await storage.close()
    return ids, trigger


async def main(liaisons: int) -> None:
    print(f"machine: {machine()}; {liaisons} liaisons, sandbox limit {LIMIT}/s")
    sandbox = FakeTelegram(rate_limit_per_second=LIMIT)
    sandbox.record_requests = False
    sandbox.record_transcript = False
    await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        ids, trigger = await seed(data_dir, liaisons)
        for user_id in ids:
            sandbox.user(user_id, "联络员")
        process = BotProcess(sandbox, data_dir, [1], extra_env={"TZ": "Asia/Shanghai"})
        await process.start()
        while datetime.now(TZ) < trigger:
            await asyncio.sleep(0.01)
        cpu_before = cpu_seconds(process.process.pid)
        first_at = None
        started = time.monotonic()
        while len(sandbox.sent) < liaisons and time.monotonic() - started < 1200:
            if first_at is None and sandbox.sent:
                first_at = datetime.now(TZ)
            await asyncio.sleep(0.01)
        finished = time.monotonic()
        await asyncio.sleep(3)                # anything duplicated would arrive now
        cpu = cpu_seconds(process.process.pid) - cpu_before
        await process.stop()
    await sandbox.stop()
    per_chat = Counter(sent.chat_id for sent in sandbox.sent)
    elapsed = finished - started
    ideal = liaisons / LIMIT
    print(f"delivered {len(per_chat)} of {liaisons} chats; lost {liaisons - len(per_chat)}; "
          f"duplicates {sum(n - 1 for n in per_chat.values())}")
    print(f"total {elapsed:.1f} s against ideal {ideal:.1f} s: ratio {ideal / elapsed:.3f} "
          f"(goal >= 0.95)")
    print(f"429s: {sandbox.stats['429']} (goal 0); most in one second: "
          f"{max(sandbox.sent_per_second().values())} (goal <= 30)")
    print(f"bot CPU: {cpu / liaisons * 1000:.2f} ms per message (goal <= 2 ms)")
    print(f"first message {(first_at - trigger).total_seconds():.2f} s after the trigger "
          f"(goal < 5 s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--liaisons", type=int, default=5000)
    os.environ.setdefault("TZ", "Asia/Shanghai")
    asyncio.run(main(parser.parse_args().liaisons))
