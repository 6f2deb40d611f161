"""Shared pieces of the benchmark scripts: seeding, the bot process, machine facts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.kernel.clock import system_clock, to_iso  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.storage.invites import new_code  # noqa: E402


def machine() -> str:
    memory_kb = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return (f"{os.cpu_count()} cores, {memory_kb / 1024 / 1024:.0f} GiB, "
            f"Python {platform.python_version()}, {platform.machine()}")


def best_cpu_ms(work, rounds: int = 3) -> float:
    """The least CPU milliseconds ``work()`` took in ``rounds`` runs."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best * 1000


def reference_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop, best of three: how fast this machine is
    now. On these shared virtual machines it varies by half over an hour (the host's other
    guests), and every CPU figure with it: compare figures within one interleaved series,
    or scaled by this."""
    return best_cpu_ms(lambda: sum(number * number for number in range(3_000_000)))


def fresh_memory_ms() -> float:
    """CPU milliseconds to touch 256 MB of newly mapped memory, one byte a page, best of
    three. On these virtual machines a page the guest gave back (the balloon's free page
    reporting, DAMON's page-out) faults in the host when touched again: 2.5 µs a page on a
    good hour, 6 µs on a bad one. Every file written (the page cache) and every buffer
    grown pays it, so a bench's CPU per photo follows this figure, not the loop's."""
    import mmap

    def touch() -> None:
        with mmap.mmap(-1, 256 << 20) as memory:
            for offset in range(0, 256 << 20, 4096):
                memory[offset] = 1

    return best_cpu_ms(touch)


def pin(pid: int, cores: set[int]) -> None:
    """Every thread of process ``pid`` onto ``cores`` (threads it starts later inherit)."""
    for thread in os.listdir(f"/proc/{pid}/task"):
        # a thread may end meanwhile; another user's process is not ours to move
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.sched_setaffinity(int(thread), cores)


def postgres_pids() -> list[int]:
    """The running PostgreSQL server's processes on this machine (its backends are forked
    from the postmaster, so they inherit its cores)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as handle:
                    if handle.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (/proc/loadavg): beside every figure, since
    rates on a shared machine say as much about the machine as about the bot."""
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


async def seed_liaisons(database: Path | str, count: int,
                        first_user_id: int = 100_000) -> list[int]:
    """``count`` units, each with a join code and an active liaison; returns the liaisons'
    user ids. The rows the repositories' ``units.create``, ``invites.issue_unit_code``,
    ``people.seen`` and ``liaisons.register`` write, four batched ``executemany`` in one
    transaction (bench seeding only: 100,000 liaisons one by one took minutes on
    PostgreSQL)."""
    storage = Storage(database)
    await storage.open()
    now = to_iso(system_clock())
    ids = [first_user_id + n for n in range(count)]
    try:
        async with storage.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO unit (name, parent_id, created_at, created_by) "
                "VALUES (?, NULL, ?, NULL)", [(f"单位{n:05d}", now) for n in range(count)])
            cursor = await conn.execute("SELECT id, name FROM unit")
            unit_of = {row[1]: row[0] for row in await cursor.fetchall()}
            units = [unit_of[f"单位{n:05d}"] for n in range(count)]
            await conn.executemany(
                "INSERT INTO invite (code, kind, unit_id, created_by, created_at) "
                "VALUES (?, 'unit', ?, NULL, ?)", [(new_code(), unit, now) for unit in units])
            await conn.executemany(
                "INSERT INTO person (telegram_id, chat_id, first_name, username, language, "
                "first_seen) VALUES (?, ?, ?, NULL, 'zh', ?)",
                [(user_id, user_id, f"联络员{n}", now) for n, user_id in enumerate(ids)])
            await conn.executemany(
                "INSERT INTO liaison (unit_id, person_id, name, gender, position, mobile, "
                "status, registered_at) VALUES (?, ?, ?, 'male', '科员', ?, 'active', ?)",
                [(unit, user_id, f"联络员{n}", f"139{n:08d}", now)
                 for n, (unit, user_id) in enumerate(zip(units, ids, strict=True))])
    finally:
        await storage.close()
    return ids


class LoopStallMeter:
    """The longest time the event loop was late to wake a 5 ms sleeper (a stall)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task = None

    async def _run(self) -> None:
        import asyncio
        import time

        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.longest = max(self.longest, time.perf_counter() - before - 0.005)

    def start(self) -> None:
        import asyncio

        self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        if self._task:
            self._task.cancel()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def wait_quiet(sandbox, quiet: float) -> None:
    """Until the bot has sent nothing for ``quiet`` seconds: the start-up tick sends the
    prompts that are due to every liaison, and a measurement starts once they are out."""
    sent, since = len(sandbox.sent), time.monotonic()
    while time.monotonic() - since < quiet:
        await asyncio.sleep(0.1)
        if len(sandbox.sent) != sent:
            sent, since = len(sandbox.sent), time.monotonic()
