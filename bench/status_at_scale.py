"""/status, /missing and /roster on 10,000 units x 40 weekly periods with submissions.

Time from the coordinator's update to the bot's reply, p50 and p95 over 50 calls each
(goal: status and missing p95 < 50 ms), the longest event-loop stall meanwhile (goal
< 50 ms), and the query plans of the desk's queries (indexes used).

    python bench/status_at_scale.py [--units 10000] [--periods 40] [--calls 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import LoopStallMeter, machine, percentile, seed_liaisons

from bot.kernel.schedule import default_rules
from bot.sandbox import FakeTelegram
from bot.storage import Storage
from tests.conftest import BotUnderTest

ADMIN = 1


async def seed(database: Path, units: int, periods: int) -> None:
    """Units with liaisons, a weekly rule with ``periods`` Thursdays up to today, and
    submissions (each with one text item) for about 85 % of units in each period."""
    await seed_liaisons(database, units)
    storage = Storage(database)
    await storage.open()
    today = date.today()
    last_thursday = today - timedelta(days=(today.weekday() - 3) % 7)
    rules = [rule for rule in default_rules(today.year) if rule["key"] == "weekly"]
    rules[0].update(first_date=last_thursday - timedelta(weeks=periods - 1),
                    last_date=last_thursday + timedelta(days=1))
    await storage.campaigns.create(today.year, "bench", "", rules[0]["first_date"],
                                   rules[0]["last_date"], "Asia/Shanghai", rules, None)
    calendar = await storage.campaigns.calendar()
    weekly = calendar.rule("weekly")
    unit_rows = await storage.db.fetchall("SELECT id FROM unit")
    received = datetime.now(UTC).isoformat(timespec="seconds")
    randomness = random.Random(7)
    submissions, items = [], []
    submission_id = 0
    for period_index in range(periods):
        period = (weekly.first_date + timedelta(weeks=period_index)).isoformat()
        for row in unit_rows:
            if randomness.random() < 0.85:
                submission_id += 1
                late = randomness.choice([None, None, None, 600, 7200])
                submissions.append((submission_id, row["id"], weekly.id, period, received,
                                    received, late))
                items.append((submission_id, "text", "本周开展安全检查", received))
    async with storage.db.transaction() as conn:   # bench seeding only: bulk rows
        await conn.executemany(
            "INSERT INTO submission (id, unit_id, deliverable_id, period, first_received_at, "
            "last_received_at, late_seconds) VALUES (?, ?, ?, ?, ?, ?, ?)", submissions)
        await conn.executemany(
            "INSERT INTO item (submission_id, kind, text, received_at) VALUES (?, ?, ?, ?)",
            items)
    print(f"seeded {len(unit_rows)} units, {periods} periods, {len(submissions)} submissions")
    for sql in ("SELECT json_group_array(s.unit_id), json_group_array(s.late_seconds) "
                "FROM submission s WHERE s.deliverable_id = 1 "
                "AND s.period = '2026-06-04' AND (s.state = 'nil' OR (s.state = 'open' AND "
                "EXISTS (SELECT 1 FROM item i WHERE i.submission_id = s.id AND "
                "i.withdrawn_at IS NULL)))",
                "SELECT id, name, parent_id, created_at FROM unit ORDER BY name",
                "SELECT * FROM liaison WHERE status = 'active' "
                "AND unit_id IN (SELECT value FROM json_each('[1, 2, 3]'))"):
        plan = await storage.db.fetchall("EXPLAIN QUERY PLAN " + sql)
        print("plan:", " / ".join(row["detail"] for row in plan))
    await storage.close()


async def timed(user, command: str, calls: int) -> list[float]:
    found = []
    for _ in range(calls):
        started = time.perf_counter()
        await user.command(command)
        await user.wait_reply(quiet=0.0, timeout=120)
        found.append(time.perf_counter() - started)
    return found


async def main(units: int, periods: int, calls: int) -> None:
    print(f"machine: {machine()}")
    sandbox = FakeTelegram()
    sandbox.record_requests = False
    await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        await seed(data_dir / "bot.sqlite3", units, periods)
        bot = BotUnderTest(sandbox, data_dir, frozenset({ADMIN}))
        await bot.start()
        coordinator = sandbox.user(ADMIN, "协调员")
        meter = LoopStallMeter()
        meter.start()
        for command, count in (("status", calls), ("missing", calls), ("roster", 5)):
            times = await timed(coordinator, command, count)
            print(f"/{command}: p50 {percentile(times, 0.5) * 1000:.0f} ms, "
                  f"p95 {percentile(times, 0.95) * 1000:.0f} ms over {count} calls")
        meter.stop()
        print(f"longest event-loop stall: {meter.longest * 1000:.0f} ms (goal < 50 ms)")
        await bot.stop()
    await sandbox.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--periods", type=int, default=40)
    parser.add_argument("--calls", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.units, arguments.periods, arguments.calls))
