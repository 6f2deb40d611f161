"""200 liaisons each send a 230 KB photo at once: bot CPU per photo end to end (download,
hash, store, thumbnail, receipt; goal <= 5 ms), photos per second, receipt latency p50/p95.

    python bench/photo_intake.py [--liaisons 200] [--postgres [URL]] [--processes N]
                                 [--warmup N] [--burner] [--pin]

``--postgres``: on a fresh schema of that server's database (default the tests' one,
``postgresql://127.0.0.1/test``), with ``--processes`` bot processes sharing it (issue 18:
CPU per photo summed over all of them, goal <= 1.2x the single SQLite process's).
``--warmup N``: N other liaisons send a photo each first, answered before the measurement
starts (a running bot's steady state: on PostgreSQL each pooled connection prepares each
statement the first time it runs it, about one extra trip per photo in a cold 200-photo run).
``--burner``: a CPU-bound neighbour (a Python loop) runs through the measurement: how much a
process's CPU per photo rises when one more busy process shares the machine's cores (as the
second bot process does on 2 cores).
``--pin``: the bot processes run on the first core only, everything else (this script with
the sandbox, PostgreSQL's processes) on the others: one process and two then get the same
hardware, so the ratio shows the work a second process adds, not the cost of its running
beside the others on a 2-core machine. PostgreSQL's processes get all cores back after.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from common import (
    fresh_memory_ms,
    machine,
    percentile,
    pin,
    postgres_pids,
    reference_ms,
    wait_quiet,
)
from PIL import Image
from update_throughput import cpu_split, seed

from bot.sandbox import FakeTelegram
from tests import backends
from tests.processes import BotProcess


def photo(seed_value: int, size: int = 230 * 1024) -> bytes:
    """A JPEG of about ``size`` bytes (noise compresses badly, so the size is easy to hit)."""
    randomness = random.Random(seed_value)
    side = 280
    while True:
        image = Image.frombytes("RGB", (side, side), randomness.randbytes(side * side * 3))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        if buffer.tell() >= size:
            return buffer.getvalue()
        side += 20


BURN = "while True: sum(range(100_000))"


async def main(liaisons: int, postgres: str | None, count: int, warmup: int,
               burner: bool, pinned: bool) -> None:
    backend = f"PostgreSQL, {count} process(es)" if postgres else "SQLite, 1 process"
    print(f"machine: {machine()}; {liaisons} liaisons, one photo each; {backend}; "
          f"warm-up: {warmup} photos; reference loop {reference_ms():.0f} ms, fresh memory "
          f"{fresh_memory_ms():.0f} ms")
    every_core = os.sched_getaffinity(0)
    bot_cores = {min(every_core)}
    other_cores = every_core - bot_cores
    if pinned:
        print(f"pinned: bot processes on core(s) {sorted(bot_cores)}, the rest on "
              f"{sorted(other_cores)}")
        pin(os.getpid(), other_cores)
        for pid in postgres_pids():
            pin(pid, other_cores)
    try:
        await measure(liaisons, postgres, count, warmup, burner,
                      bot_cores if pinned else None)
    finally:
        if pinned:
            for pid in postgres_pids():
                pin(pid, every_core)


async def measure(liaisons: int, postgres: str | None, count: int, warmup: int,
                  burner: bool, bot_cores: set[int] | None) -> None:
    schema = None
    if postgres:
        os.environ["BOT_TEST_POSTGRES_URL"] = postgres
        schema, postgres = await backends.fresh_schema()
    photos = [photo(n) for n in range(liaisons + warmup)]
    print(f"photo size: {sum(map(len, photos)) / len(photos) / 1024:.0f} KB average")
    sandbox = FakeTelegram()
    sandbox.record_requests = False
    await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        user_ids = await seed(data_dir, liaisons + warmup, postgres)
        env = {"BOT_DATABASE_URL": postgres} if postgres else {}
        processes = []
        for number in range(count if postgres else 1):
            process = BotProcess(sandbox, data_dir, [1], extra_env=env)
            process.log_path = Path(tmp) / f"bot{number}.log"
            await process.start(polls=number == 0)
            processes.append(process)
            if bot_cores:
                pin(process.process.pid, bot_cores)
        users = [sandbox.user(user_id, f"联络员{n}") for n, user_id in enumerate(user_ids)]
        await wait_quiet(sandbox, quiet=2.0)
        if warmup:
            early, users = users[:warmup], users[warmup:]
            counts = [len(user.messages) for user in early]
            for user, data in zip(early, photos[liaisons:], strict=True):
                await user.send_photo(data, caption="安全检查现场")
            while any(len(user.messages) == count for user, count in zip(early, counts,
                                                                         strict=True)):
                await asyncio.sleep(0.05)
            await wait_quiet(sandbox, quiet=1.0)
            photos = photos[:liaisons]
        earlier = {user.id: len(user.messages) for user in users}
        neighbour = await asyncio.create_subprocess_exec(sys.executable, "-c", BURN) \
            if burner else None
        if bot_cores:
            for process in processes:        # threads started since
                pin(process.process.pid, bot_cores)
        before = [cpu_split(process.process.pid) for process in processes]
        sent_at = {}
        started = time.monotonic()
        for user, data in zip(users, photos, strict=True):
            sent_at[user.id] = time.monotonic()
            await user.send_photo(data, caption="安全检查现场")
        latencies = {}
        while len(latencies) < liaisons and time.monotonic() - started < 600:
            for user in users:
                if user.id not in latencies and len(user.messages) > earlier[user.id]:
                    latencies[user.id] = time.monotonic() - sent_at[user.id]
            await asyncio.sleep(0.005)
        finished = time.monotonic()
        busiest = sandbox.busiest_second()
        now = [cpu_split(process.process.pid) for process in processes]
        used = [(user_now - user_was, system_now - system_was) for
                (user_now, system_now), (user_was, system_was) in zip(now, before, strict=True)]
        user, system = sum(u for u, _ in used), sum(s for _, s in used)
        cpu = user + system
        each = [u + s for u, s in used]
        if neighbour is not None:
            neighbour.kill()
            await neighbour.wait()
        stored = len(list((data_dir / "media").glob("??/*"))) - 2 * warmup
        for process in processes:
            await process.stop()
    await sandbox.stop()
    if schema:
        await backends.drop_schema(schema)
    values = list(latencies.values())
    print(f"receipts {len(values)} of {liaisons}; files in the store: {stored} "
          f"(photos and thumbnails)")
    print(f"{liaisons / (finished - started):.1f} photos/s; receipt latency p50 "
          f"{percentile(values, 0.5) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms")
    print(f"most sends in any sliding second, all processes: {busiest} (goal <= 30, "
          f"Telegram's limit; this sandbox does not enforce it)")
    print(f"bot CPU: {cpu / liaisons * 1000:.1f} ms per photo (goal <= 5 ms; user "
          f"{user / liaisons * 1000:.1f}, system {system / liaisons * 1000:.1f})")
    print(f"after the run: reference loop {reference_ms():.0f} ms, fresh memory "
          f"{fresh_memory_ms():.0f} ms")
    if len(each) > 1:
        print("each process: " + ", ".join(f"{share / liaisons * 1000:.1f}" for share in each)
              + " ms per photo")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--liaisons", type=int, default=200)
    parser.add_argument("--postgres", nargs="?", const="postgresql://127.0.0.1/test")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--burner", action="store_true")
    parser.add_argument("--pin", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.liaisons, args.postgres, args.processes, args.warmup, args.burner,
                     args.pin))
