"""Idle RSS of the bot process with 10,000 registered liaisons (goal < 80 MB).

    python bench/memory_idle.py [--liaisons 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from common import machine, rss_kb, seed_liaisons

from bot.sandbox import FakeTelegram
from tests.processes import BotProcess


async def main(liaisons: int) -> None:
    sandbox = FakeTelegram()
    await sandbox.start()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        await seed_liaisons(data_dir / "bot.sqlite3", liaisons)
        process = BotProcess(sandbox, data_dir, [1])
        await process.start()
        await asyncio.sleep(5)
        rss = rss_kb(process.process.pid)
        await process.stop()
    await sandbox.stop()
    print(f"machine: {machine()}")
    print(f"liaisons: {liaisons}")
    print(f"idle RSS after 5 s: {rss / 1024:.1f} MB (goal < 80 MB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--liaisons", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().liaisons))
