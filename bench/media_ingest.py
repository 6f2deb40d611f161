"""Peak memory of the bot while it ingests a 19 MB video (not run by CI).

The sandbox (fake Bot API server) runs in this process; the bot runs in a child process,
so the child's memory is the bot's alone. After a warm-up (a text and a small video, so
every code path is loaded), the child's resident set is taken as the idle figure, its peak
is reset (``/proc/<pid>/clear_refs``), the 19 MB video is sent, and the peak after the
receipt is read (``VmHWM``). The goal: under +10 MB over the idle process.

    python bench/media_ingest.py [--size-mb 19]

Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.kernel.schedule import default_rules  # noqa: E402
from bot.sandbox import FakeTelegram  # noqa: E402
from bot.storage import Storage  # noqa: E402

LIAISON_ID = 2001
MB = 1024 * 1024


def proc_status(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure in bytes (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


async def prepare(data_dir: Path) -> None:
    """A campaign, a unit and its active liaison, straight into the database."""
    storage = Storage(data_dir / "bot.sqlite3")
    await storage.open()
    try:
        await storage.campaigns.create(2026, "2026年安全生产月", "", date(2026, 6, 1),
                                       date(2026, 6, 30), "Asia/Shanghai", default_rules(2026),
                                       created_by=None)
        unit = await storage.units.create("基准测试单位", None, None)
        await storage.people.seen(LIAISON_ID, LIAISON_ID, "李明", None, "zh")
        await storage.liaisons.register(unit.id, LIAISON_ID, {"name": "李明",
                                                               "mobile": "13912345678"})
    finally:
        await storage.close()


async def serve_bot(api_base: str, file_base: str, token: str, data_dir: str) -> None:
    """The child: the real bot against the sandbox until stdin closes."""
    from bot.app import build_app
    from bot.runtime import running

    settings = Settings(token=token, data_dir=Path(data_dir), api_base_url=api_base,
                        file_base_url=file_base)
    app = build_app(settings)
    async with running(app):
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def measure(size_mb: int) -> None:
    sandbox = FakeTelegram()
    sandbox.record_transcript = False
    sandbox.now = lambda: datetime(2026, 6, 4, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    await sandbox.start()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        await prepare(data_dir)
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve-bot", sandbox.api_base_url,
             sandbox.file_base_url, sandbox.token, str(data_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=ROOT, text=True)
        try:
            await asyncio.get_running_loop().run_in_executor(None, child.stdout.readline)
            user = sandbox.user(LIAISON_ID, "李明")
            await user.send("热身")
            await user.wait_reply(timeout=30)
            await user.send_video(size=MB, seed="warm-up")
            await user.wait_reply(timeout=30)
            await asyncio.sleep(1.0)

            idle = proc_status(child.pid, "VmRSS")
            Path(f"/proc/{child.pid}/clear_refs").write_text("5")   # reset the peak
            started = time.monotonic()
            await user.send_video(size=size_mb * MB, seed="bench")
            receipt = await user.wait_reply(timeout=120)
            elapsed = time.monotonic() - started
            peak = proc_status(child.pid, "VmHWM")
            stored = sorted(path.stat().st_size for path in (data_dir / "media").rglob("*")
                            if path.is_file())
            print(sorted(str(p) for p in data_dir.rglob("*")))
        finally:
            child.stdin.close()
            child.wait(timeout=30)
    await sandbox.stop()

    growth = (peak - idle) / MB
    print("receipt: " + receipt[-1].text.replace("\n", " | "))
    if size_mb * MB not in stored:
        raise SystemExit(f"the video was not stored: sizes {stored}")
    print(f"stored files (bytes): {stored}")
    print(f"video: {size_mb} MB, ingested in {elapsed:.2f} s")
    print(f"idle RSS: {idle / MB:.1f} MB, peak RSS while ingesting: {peak / MB:.1f} MB")
    print(f"peak growth over idle: {growth:+.1f} MB (goal: under +10 MB)")
    print(f"machine: {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.1f} GB, "
          f"{platform.platform()}, Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=19)
    parser.add_argument("--serve-bot", nargs=4, metavar=("API", "FILES", "TOKEN", "DATA"))
    args = parser.parse_args()
    if args.serve_bot:
        asyncio.run(serve_bot(*args.serve_bot))
    else:
        asyncio.run(measure(args.size_mb))


if __name__ == "__main__":
    main()
