"""bot_process: one heartbeat row per running bot process (issue 18), for check and the
operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.kernel.clock import to_iso
from bot.storage.db import Database

# a process whose beat is older than this (and that did not stop cleanly) is taken as dead
GONE_AFTER = timedelta(seconds=30)
# ... by its peers, for the album it claimed: five heartbeats (bot.scale.shared) missed
CLAIM_GONE_AFTER = timedelta(seconds=10)


@dataclass(frozen=True)
class ProcessRow:
    id: str
    host: str
    pid: int
    started_at: str
    beat_at: str
    leader: bool
    handled: int
    stopped_at: str | None


def wall_now() -> datetime:
    return datetime.now(UTC)


class Processes:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def beat(self, process_id: str, host: str, pid: int, started_at: datetime,
                   leader: bool, handled: int, pid_space: str | None = None) -> None:
        now = to_iso(wall_now())
        await self.db.execute(
            "INSERT INTO bot_process (id, host, pid, started_at, beat_at, leader, handled, "
            "pid_space) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "beat_at = excluded.beat_at, leader = excluded.leader, handled = excluded.handled",
            (process_id, host, pid, to_iso(started_at), now, int(leader), handled, pid_space))

    async def running_in(self, pid_space: str, besides: str) -> list[tuple[str, int]]:
        """(id, pid) of the processes of a process space not known to have stopped, but
        ``besides`` (the asking process)."""
        rows = await self.db.fetchall(
            "SELECT id, pid FROM bot_process WHERE pid_space = ? AND stopped_at IS NULL "
            "AND id <> ?", (pid_space, besides))
        return [(row["id"], int(row["pid"])) for row in rows]

    async def gone(self, process_ids: list[str]) -> None:
        """These processes are found dead (their pid runs no more): stopped now, as far as
        their peers are concerned (the albums they claimed are taken over at once)."""
        if not process_ids:
            return
        marks = ", ".join("?" for _ in process_ids)
        await self.db.execute(
            f"UPDATE bot_process SET stopped_at = ?, leader = 0 WHERE stopped_at IS NULL "
            f"AND id IN ({marks})", (to_iso(wall_now()), *process_ids))

    async def lead(self, process_id: str) -> None:
        """This process holds the leader's lock: no other row says it leads (a killed
        leader's row still would)."""
        await self.db.execute("UPDATE bot_process SET leader = (CASE WHEN id = ? THEN 1 "
                              "ELSE 0 END) WHERE leader = 1 OR id = ?",
                              (process_id, process_id))

    async def stopped(self, process_id: str, handled: int) -> None:
        await self.db.execute(
            "UPDATE bot_process SET stopped_at = ?, leader = 0, handled = ? WHERE id = ?",
            (to_iso(wall_now()), handled, process_id))

    async def recent(self, since: timedelta = timedelta(days=1)) -> list[ProcessRow]:
        """Processes that beat within ``since``, newest start first."""
        rows = await self.db.fetchall(
            "SELECT id, host, pid, started_at, beat_at, leader, handled, stopped_at "
            "FROM bot_process WHERE beat_at >= ? ORDER BY started_at DESC",
            (to_iso(wall_now() - since),))
        return [ProcessRow(row["id"], row["host"], int(row["pid"]), row["started_at"],
                           row["beat_at"], bool(row["leader"]), int(row["handled"]),
                           row["stopped_at"]) for row in rows]
