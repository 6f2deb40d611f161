"""/review on the status benchmark's campaign (10,000 units x 40 weekly periods, about 85 %
delivered each week), with 1 % of the last week's submissions returned for revision.

Times from the coordinator's update (or press) to the bot's reply, p50 and p95: /review's
first card, a 📋 list page, ⏭ next; and /status, whose "who delivered" query now also asks
for open returns (the query plan is printed: the return check is an index probe).

    python bench/review_at_scale.py [--units 10000] [--periods 40] [--calls 20]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import LoopStallMeter, machine, percentile
from status_at_scale import ADMIN, seed

from bot.sandbox import FakeTelegram
from bot.storage import Storage
from bot.storage.submissions import DELIVERED
from tests.conftest import BotUnderTest


async def return_some(database: Path, share: float) -> str:
    """Return ``share`` of the last period's submissions; the period."""
    storage = Storage(database)
    await storage.open()
    period = (await storage.db.fetchone("SELECT max(period) AS p FROM submission"))["p"]
    rows = await storage.db.fetchall("SELECT id FROM submission WHERE period = ? ORDER BY id",
                                     (period,))
    step = max(1, round(1 / share))
    until = datetime.now(UTC) + timedelta(days=2)
    for row in rows[::step]:
        await storage.reviews.return_submission(row["id"], ADMIN, "照片模糊", until)
    plan = await storage.db.fetchall(
        "EXPLAIN QUERY PLAN SELECT json_group_array(s.unit_id) FROM submission s "
        f"WHERE s.deliverable_id = 1 AND s.period = ? AND {DELIVERED}", (period,))
    print("plan:", " / ".join(row["detail"] for row in plan))
    print(f"returned {len(rows[::step])} of {len(rows)} submissions of {period}")
    await storage.close()
    return period


async def timed(action, user, calls: int) -> list[float]:
    found = []
    for _ in range(calls):
        started = time.perf_counter()
        await action()
        await user.wait_reply(quiet=0.0, timeout=120)
        found.append(time.perf_counter() - started)
    return found


def report(name: str, times: list[float]) -> None:
    print(f"{name}: p50 {percentile(times, 0.5) * 1000:.0f} ms, "
          f"p95 {percentile(times, 0.95) * 1000:.0f} ms over {len(times)} calls")


async def main(units: int, periods: int, calls: int) -> None:
    print(f"machine: {machine()}")
    sandbox = FakeTelegram()
    sandbox.record_requests = False
    await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        await seed(data_dir / "bot.sqlite3", units, periods)
        await return_some(data_dir / "bot.sqlite3", 0.01)
        bot = BotUnderTest(sandbox, data_dir, frozenset({ADMIN}))
        await bot.start()
        coordinator = sandbox.user(ADMIN, "协调员")
        meter = LoopStallMeter()
        meter.start()
        report("/status", await timed(lambda: coordinator.command("status"), coordinator,
                                      calls))
        report("/review (first card)", await timed(lambda: coordinator.command("review"),
                                                   coordinator, calls))
        card = coordinator.last
        report("📋 list page", await timed(lambda: coordinator.press("📋 列表", card),
                                          coordinator, calls))
        report("⏭ next card", await timed(lambda: coordinator.press("⏭ 下一个", card),
                                         coordinator, calls))
        meter.stop()
        print(f"longest event-loop stall: {meter.longest * 1000:.0f} ms")
        await bot.stop()
    await sandbox.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--periods", type=int, default=40)
    parser.add_argument("--calls", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.units, arguments.periods, arguments.calls))
