"""The CPU cost of running the repositories' synchronous ``run(work)`` callbacks on
PostgreSQL (bot.storage.pg: a greenlet per call, a switch per statement), against the same
statements awaited one by one, and SQLite's run for scale.

    python bench/pg_run_cost.py [--postgres URL] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from common import machine

from bot.storage.db import connect_database
from tests import backends

STATEMENTS = 4


def work(conn) -> int:
    total = 0
    for number in range(STATEMENTS):
        total += conn.execute("SELECT ? + 1", (number,)).fetchone()[0]
    return total


async def measure(db, calls: int) -> tuple[float, float]:
    await db.open()
    try:
        for _ in range(50):
            await db.run(work)
        started = time.process_time()
        for _ in range(calls):
            await db.run(work)
        in_run = time.process_time() - started
        started = time.process_time()
        for _ in range(calls):
            for number in range(STATEMENTS):
                await db.fetchone("SELECT ? + 1", (number,))
        one_by_one = time.process_time() - started
    finally:
        await db.close()
    return in_run, one_by_one


async def main(url: str, calls: int) -> None:
    print(f"machine: {machine()}; {calls} calls of run(work) with {STATEMENTS} statements")
    os.environ["BOT_TEST_POSTGRES_URL"] = url
    schema, database = await backends.fresh_schema()
    try:
        pg_run, pg_each = await measure(connect_database(database), calls)
    finally:
        await backends.drop_schema(schema)
    with tempfile.TemporaryDirectory() as tmp:
        lite_run, lite_each = await measure(connect_database(Path(tmp) / "b.sqlite3"), calls)
    per = calls * STATEMENTS / 1e6
    print(f"PostgreSQL: run(work) {pg_run / per:.0f} us a statement, awaited one by one "
          f"{pg_each / per:.0f} us (greenlet overhead {(pg_run - pg_each) / per:+.0f} us)")
    print(f"SQLite:     run(work) {lite_run / per:.0f} us a statement, awaited one by one "
          f"{lite_each / per:.0f} us")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default="postgresql://127.0.0.1/test")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.postgres, args.calls))
