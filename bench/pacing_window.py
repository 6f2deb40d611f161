"""Pacing in any sliding second (issue 14, point 4): N liaisons send a photo at once; the
most bot sends in any sliding one-second window, the time until every receipt came, 429s.

    python bench/pacing_window.py [--liaisons 200 1000]

The sandbox refuses more than 30 sends in a sliding second (Telegram's limit) with a 429, so
a 429 seen here is a send over the limit; the busiest window is counted by the sandbox at
the instant it admitted each send, over the sends after the first photo only (the start-up
prompts are out before the photos are sent).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from common import machine, wait_quiet
from photo_intake import photo
from update_throughput import seed

from bot.sandbox import FakeTelegram
from tests.processes import BotProcess

LIMIT = 30


def busiest(times: list[float]) -> int:
    """Most instants in any sliding one-second window (as ``FakeTelegram.busiest_second``)."""
    times, most, start = sorted(times), 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def run(liaisons: int, data: bytes) -> None:
    sandbox = FakeTelegram(rate_limit_per_second=LIMIT)
    sandbox.record_requests = False
    await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        user_ids = await seed(data_dir, liaisons)
        process = BotProcess(sandbox, data_dir, [1])
        process.log_path = Path(tmp) / "bot.log"
        await process.start()
        users = [sandbox.user(user_id, f"联络员{n}") for n, user_id in enumerate(user_ids)]
        await wait_quiet(sandbox, quiet=2.0)
        earlier = {user.id: len(user.messages) for user in users}
        refused_before = sandbox.stats["429"]
        started = time.monotonic()
        await asyncio.gather(*(user.send_photo(data, caption="安全检查现场") for user in users))
        receipts: set[int] = set()
        while len(receipts) < liaisons and time.monotonic() - started < 300:
            receipts.update(user.id for user in users
                            if user.id not in receipts and len(user.messages) > earlier[user.id])
            await asyncio.sleep(0.01)
        finished = time.monotonic()
        await asyncio.sleep(2)                 # anything late or duplicated arrives now
        await process.stop()
    await sandbox.stop()
    times = [at for at in sandbox.send_times() if at >= started]
    print(f"{liaisons} liaisons: receipts {len(receipts)} of {liaisons}; sends after the "
          f"photos {len(times)}; most in any sliding second {busiest(times)} "
          f"(goal <= {LIMIT}); all receipts in {finished - started:.1f} s "
          f"(ideal {liaisons / LIMIT:.1f} s); 429s {sandbox.stats['429'] - refused_before}")


async def main(counts: list[int]) -> None:
    print(f"machine: {machine()}; sandbox limit {LIMIT} sends in a sliding second")
    data = photo(0, size=20 * 1024)
    print(f"photo size: {len(data) / 1024:.0f} KB")
    for liaisons in counts:
        await run(liaisons, data)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--liaisons", type=int, nargs="+", default=[200, 1000])
    asyncio.run(main(parser.parse_args().liaisons))
