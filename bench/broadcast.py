"""The Thursday prompt to 5,000 liaisons under the sandbox's 30 messages/s limit, or, with
``--paid``, to 100,000 as a paid broadcast (``BOT_PAID_BROADCAST=true``,
``BOT_SEND_RATE=1000``) under the sandbox's 1,000 messages/s ceiling.

The bot runs as a process with the active liaisons and a weekly deliverable whose prompt
is due at the next whole minute. Reported: total time against the ideal (liaisons / rate)
as a ratio (goal >= 0.95 at 30/s, >= 0.9 at 1,000/s), messages lost and duplicated (goal
0), 429s received (goal 0), the most messages in any sliding second (goal <= the ceiling),
bot CPU per message (the process's user + system time from the trigger to the last message,
writing the outbox rows included; goal <= 2 ms at 30/s, <= 0.8 ms at 1,000/s) and how long
after the trigger the first message left (goal < 5 s).

    python bench/broadcast.py [--liaisons 5000]
    python bench/broadcast.py --paid [--liaisons 100000]
    python bench/broadcast.py [--paid] --postgres      (BOT_TEST_POSTGRES_URL, default
                                                         postgresql://127.0.0.1/test)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from common import load_average, machine, seed_liaisons
from update_throughput import cpu_seconds

from bot.sandbox import FakeTelegram
from bot.storage import Storage
from tests import backends
from tests.processes import BotProcess

TZ = ZoneInfo("Asia/Shanghai")
LIMIT = 30
PAID_LIMIT = 1000


async def seed(data_dir: Path, liaisons: int, database_url: str | None = None
               ) -> tuple[list[int], datetime]:
    target = database_url or data_dir / "bot.sqlite3"
    ids = await seed_liaisons(target, liaisons)
    now = datetime.now(TZ)
    trigger = (now + timedelta(minutes=1 if now.second < 40 else 2)).replace(
        second=0, microsecond=0)
    storage = Storage(target)
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


async def main(liaisons: int, paid: bool, postgres: bool) -> None:
    ceiling = PAID_LIMIT if paid else LIMIT
    schema, database_url = await backends.fresh_schema() if postgres else (None, None)
    print(f"machine: {machine()}; {liaisons} liaisons, sandbox limit {LIMIT}/s, "
          f"{PAID_LIMIT}/s overall for paid broadcasts; {'paid' if paid else 'free'} broadcast; "
          f"{'PostgreSQL' if postgres else 'SQLite'}; load average {load_average()}")
    sandbox = FakeTelegram(rate_limit_per_second=LIMIT, paid_rate_limit_per_second=PAID_LIMIT)
    sandbox.record_requests = False
    sandbox.record_transcript = False
    await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        ids, trigger = await seed(data_dir, liaisons, database_url)
        for user_id in ids:
            sandbox.user(user_id, "联络员")
        env = {"TZ": "Asia/Shanghai"}
        if database_url:
            env["BOT_DATABASE_URL"] = database_url
        if paid:
            env |= {"BOT_PAID_BROADCAST": "true", "BOT_SEND_RATE": str(PAID_LIMIT)}
        # the sandbox stands for Telegram's servers: its own full garbage collections over
        # what it keeps (a Sent per message: seconds at 100,000 on a busy machine, and the
        # sends in flight time out) are no pause of Telegram's
        gc.freeze()
        gc.disable()
        process = BotProcess(sandbox, data_dir, [1], extra_env=env)
        await process.start()
        while datetime.now(TZ) < trigger:
            await asyncio.sleep(0.01)
        cpu_before = cpu_seconds(process.process.pid)
        sandbox_cpu_before = time.process_time()
        first_at = None
        started = time.monotonic()
        while len(sandbox.sent) < liaisons and time.monotonic() - started < 3600:
            if first_at is None and sandbox.sent:
                first_at = datetime.now(TZ)
            await asyncio.sleep(0.01)
        finished = time.monotonic()
        sandbox_cpu = time.process_time() - sandbox_cpu_before
        await asyncio.sleep(3)                # anything duplicated would arrive now
        cpu = cpu_seconds(process.process.pid) - cpu_before
        await process.stop()
    gc.enable()
    await sandbox.stop()
    if schema:
        await backends.drop_schema(schema)
    per_chat = Counter(sent.chat_id for sent in sandbox.sent)
    elapsed = finished - started
    ideal = liaisons / ceiling
    print(f"delivered {len(per_chat)} of {liaisons} chats; lost {liaisons - len(per_chat)}; "
          f"duplicates {sum(n - 1 for n in per_chat.values())}")
    print(f"total {elapsed:.1f} s against ideal {ideal:.1f} s: ratio {ideal / elapsed:.3f} "
          f"(goal >= {0.9 if paid else 0.95})")
    print(f"429s: {sandbox.stats['429']} (goal 0); most in any sliding second: "
          f"{sandbox.busiest_second()} (goal <= {ceiling})")
    times = sorted(sandbox.send_times())
    if times:
        sending = times[-1] - times[0]
        print(f"first to last message {sending:.1f} s: {liaisons / max(sending, 1e-9):.0f} "
              f"messages/s, ratio {liaisons / max(sending, 1e-9) / ceiling:.3f} of the ceiling")
        print("messages per second:", " ".join(
            str(n) for n in sandbox.sent_per_second().values()))
    print(f"bot CPU: {cpu / liaisons * 1000:.2f} ms per message "
          f"(goal <= {0.8 if paid else 2} ms)")
    print(f"sandbox (this process) CPU: {sandbox_cpu / liaisons * 1000:.2f} ms per message")
    print(f"first message {(first_at - trigger).total_seconds():.2f} s after the trigger "
          f"(goal < 5 s)")
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--liaisons", type=int)
    parser.add_argument("--paid", action="store_true",
                        help="a paid broadcast at 1,000 messages/s (100,000 liaisons)")
    parser.add_argument("--postgres", action="store_true",
                        help="on PostgreSQL (a fresh schema in BOT_TEST_POSTGRES_URL's database)")
    args = parser.parse_args()
    os.environ.setdefault("TZ", "Asia/Shanghai")
    asyncio.run(main(args.liaisons or (100_000 if args.paid else 5000), args.paid,
                     args.postgres))
