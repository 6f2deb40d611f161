"""The bot's memory and another user's /help while hostile files are refused (not run by CI).

The sandbox (fake Bot API server) runs in this process; the bot runs as a real process
(``python -m bot``, tests/processes.py), so its resident set is the bot's alone. For each
bomb (tests/bombs.py builds them small): the bot's peak is reset (``/proc/<pid>/clear_refs``),
the bomb is sent, and until its answer arrives another user sends /help every 0.2 s and the
time to each answer is taken; the bot's RSS is sampled every 10 ms and its peak read
(``VmHWM``). Goals: RSS under 300 MB and /help answered within 1 s throughout.

    python bench/bombs.py [--code PATH] [--only NAME …]

``--code`` runs the bot from another checkout (e.g. main before the fix, for the "before"
figures). Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402
from bot.kernel.schedule import default_rules  # noqa: E402
from bot.sandbox import FakeTelegram  # noqa: E402
from bot.storage import Storage  # noqa: E402
from tests.bombs import deep_json, pixel_bomb_png, wide_row_xlsx, xlsx_bomb  # noqa: E402
from tests.processes import BotProcess  # noqa: E402

ADMIN_ID = 1001
LIAISON_ID = 2001
PINGER_ID = 3001
MB = 1024 * 1024


@dataclass(frozen=True)
class Bomb:
    name: str
    sender: int
    file_name: str
    build: object
    mime: str | None = None


BOMBS = (
    Bomb("xlsx: 20 M cells, the statistics marker's sheet beside them", ADMIN_ID,
         "统计表.xlsx", xlsx_bomb),
    Bomb("xlsx: 800 k cells in 14 MB of XML (under the size caps: refused while streamed)",
         ADMIN_ID, "统计表.xlsx", lambda: xlsx_bomb(rows=80_000, columns=10)),
    Bomb("unit list: one row of 3 M cells", ADMIN_ID, "units.xlsx", wide_row_xlsx),
    Bomb("json: nested 100,000 deep", ADMIN_ID, "form.json", deep_json),
    Bomb("png: 9,000 × 9,000 px (243 MB as RGB)", LIAISON_ID, "现场.png",
         pixel_bomb_png, "image/png"),
)


def status_kb(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure in kB; 0 once the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def prepare(data_dir: Path) -> None:
    """A campaign whose weekly deliverable is open now, a unit and its active liaison."""
    today = date.today()
    rules = default_rules(today.year)
    for rule in rules:
        if rule["key"] == "weekly":
            rule["first_date"], rule["last_date"] = today - timedelta(days=14), \
                today + timedelta(days=28)
    storage = Storage(data_dir / "bot.sqlite3")
    await storage.open()
    try:
        await storage.campaigns.create(today.year, "基准测试", "", today - timedelta(days=14),
                                       today + timedelta(days=28), "Asia/Shanghai", rules,
                                       created_by=None)
        unit = await storage.units.create("基准测试单位", None, None)
        await storage.people.seen(LIAISON_ID, LIAISON_ID, "李明", None, "zh")
        await storage.liaisons.register(unit.id, LIAISON_ID, {"name": "李明",
                                                               "mobile": "13912345678"})
    finally:
        await storage.close()


async def one(sandbox: FakeTelegram, process: BotProcess, bomb: Bomb, wait: float
              ) -> dict:
    pid = process.process.pid
    data = bomb.build()
    sender = sandbox.users.get(bomb.sender) or sandbox.user(bomb.sender, "发送者")
    pinger = sandbox.users.get(PINGER_ID) or sandbox.user(PINGER_ID, "旁人")
    Path(f"/proc/{pid}/clear_refs").write_text("5")          # reset the peak
    idle = status_kb(pid, "VmRSS")
    answered = asyncio.Event()
    samples: list[int] = []
    latencies: list[float] = []

    async def sample() -> None:
        while not answered.is_set():
            samples.append(status_kb(pid, "VmRSS"))   # VmHWM is lost if the bot dies
            await asyncio.sleep(0.01)

    async def ping() -> None:
        while not answered.is_set():
            started = time.monotonic()
            await pinger.command("help")
            try:
                await pinger.wait_reply(timeout=wait)
            except AssertionError:
                latencies.append(float("inf"))
                return
            latencies.append(time.monotonic() - started)
            await asyncio.sleep(0.2)

    async def send() -> str:
        started = time.monotonic()
        await sender.send_document(data, bomb.file_name, mime_type=bomb.mime)
        try:
            reply = await sender.wait_reply(timeout=wait)
        except AssertionError:
            answered.set()
            return f"no answer in {wait:.0f} s"
        elapsed = time.monotonic() - started
        await asyncio.sleep(0.5)          # a few pings after the answer, too
        answered.set()
        return f"{elapsed:.2f} s: " + reply[-1].text.replace("\n", " ")[:60]

    tasks = [asyncio.create_task(sample()), asyncio.create_task(ping())]
    answer = await send()
    await asyncio.gather(*tasks)
    return {"bomb": bomb.name, "file": len(data), "answer": answer, "idle": idle,
            "peak": max(status_kb(pid, "VmHWM"), *samples), "alive": process.process.returncode
            is None, "pings": len(latencies), "median": statistics.median(latencies),
            "worst": max(latencies)}


async def run(code: Path, only: list[str], wait: float) -> None:
    sandbox = FakeTelegram()
    sandbox.record_transcript = False
    await sandbox.start()
    results = []
    for bomb in BOMBS:         # a fresh bot for each: one bomb's aftermath never skews the next
        if only and not any(word in bomb.name for word in only):
            continue
        with tempfile.TemporaryDirectory() as folder:
            data_dir = Path(folder) / "data"
            data_dir.mkdir()
            await prepare(data_dir)
            process = BotProcess(sandbox, data_dir, [ADMIN_ID],
                                 extra_env={"PYTHONPATH": str(code)})
            await process.start(wait_ready=60)
            try:
                warm = sandbox.users.get(PINGER_ID) or sandbox.user(PINGER_ID, "旁人")
                await warm.command("help")
                await warm.wait_reply(timeout=30)
                results.append(await one(sandbox, process, bomb, wait))
            finally:
                await process.stop()
    await sandbox.stop()
    print(f"code: {code}; machine: {machine()}")
    print("| bomb | file | answered after | idle RSS | peak RSS | bot alive | /help answers "
          "| median | worst |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in results:
        print(f"| {row['bomb']} | {row['file'] / 1024:.0f} KB | {row['answer']} "
              f"| {row['idle'] / 1024:.0f} MB | {row['peak'] / 1024:.0f} MB "
              f"| {'yes' if row['alive'] else 'no'} | {row['pings']} "
              f"| {row['median']:.3f} s | {row['worst']:.3f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--wait", type=float, default=120.0,
                        help="seconds to wait for an answer (and for each /help)")
    args = parser.parse_args()
    asyncio.run(run(args.code.resolve(), args.only, args.wait))


if __name__ == "__main__":
    main()
