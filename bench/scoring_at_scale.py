"""The scoring ledger at scale: settle (every event re-read and reconciled) and the ranking
/ranking and /mystatus compute, on N units × the default calendar's deadlines passed.

    python bench/scoring_at_scale.py [--units 2000] [--weeks 4]

Prints the time of the first settle (writing every 迟报 / 漏报 row), of a settle with nothing
changed, of a whole ranking, of the same ranking again (what every liaison's /mystatus asks)
and of a re-score under a new rules version.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import machine, seed_liaisons

from bot.kernel.clock import to_iso
from bot.kernel.schedule import deadlines, default_rules
from bot.scoring import ledger
from bot.scoring.rules import default_rules as default_scoring
from bot.scoring.scores import ALL, Span, ranking
from bot.storage import Storage


async def main(units: int, weeks: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bot.sqlite3"
        await seed_liaisons(database, units)
        storage = Storage(database)
        await storage.open()
        rules = default_rules(2026)
        await storage.campaigns.create(2026, "bench", "", rules[0]["due_date"].replace(day=1),
                                       rules[0]["due_date"].replace(day=30), "Asia/Shanghai",
                                       rules, None)
        calendar = await storage.campaigns.calendar()
        weekly = calendar.rule("weekly")
        tz = calendar.campaign.timezone
        due = list(deadlines(weekly, tz))[:weeks]
        unit_ids = [row[0] for row in await storage.db.fetchall("SELECT id FROM unit")]
        chance = random.Random(7)
        submissions, items = [], []
        for week in due:
            for unit_id in unit_ids:
                if chance.random() < 0.85:
                    late = chance.choice([None, None, None, 600])
                    at = to_iso(week.due - timedelta(hours=1))
                    submissions.append((len(submissions) + 1, unit_id, weekly.id, week.period,
                                        at, at, late))
                    items.append((len(submissions), "text", "本周开展安全检查", at))
        async with storage.db.transaction() as conn:   # bench seeding only: bulk rows
            await conn.execute("UPDATE unit SET created_at = ?",
                               (to_iso(datetime(2026, 5, 1, tzinfo=UTC)),))
            await conn.executemany(
                "INSERT INTO submission (id, unit_id, deliverable_id, period, first_received_at,"
                " last_received_at, late_seconds) VALUES (?, ?, ?, ?, ?, ?, ?)", submissions)
            await conn.executemany(
                "INSERT INTO item (submission_id, kind, text, received_at) VALUES (?, ?, ?, ?)",
                items)
        now = due[-1].due + timedelta(hours=1)
        await storage.scoring.current()
        for submission_id in range(1, 200, 2):
            found = await storage.submissions.get(submission_id)
            await storage.scoring.adopt(found.id, found.unit_id, found.deliverable_id,
                                        found.period, "county_bulletin", 5, 1, 1)
        figures = []
        for label, work in (
                ("first settle", lambda: ledger.settle(storage, now)),
                ("settle, nothing changed", lambda: ledger.settle(storage, now)),
                ("ranking (settle + points + counts)",
                 lambda: ranking(storage, None, Span(ALL), now)),
                ("ranking again, nothing changed (/mystatus)",
                 lambda: ranking(storage, None, Span(ALL), now))):
            started = time.perf_counter()
            await work()
            figures.append((label, time.perf_counter() - started))
        version = await storage.scoring.add_rules(default_scoring(), None)
        started = time.perf_counter()
        await ledger.settle(storage, now, version)
        figures.append(("re-score under a new version", time.perf_counter() - started))
        rows = len(await storage.scoring.ledger())
        await storage.close()
    print(f"{machine()} · {units} units, {weeks} weeks, {rows} ledger rows")
    for label, seconds in figures:
        print(f"  {label}: {seconds * 1000:.0f} ms")
    print(datetime.now(UTC).isoformat(timespec="minutes"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.units, arguments.weeks))
