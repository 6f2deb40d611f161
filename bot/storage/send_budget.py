"""send_lease: the shares of one send budget held by the bot's processes (issue 18;
bot.scale.budget decides them). PostgreSQL only — several processes exist only there — on a
connection of the budget's own, outside the pool: a lease is a short transaction that locks
every row (so two processes' leases never both count on the same free slots) and must not
wait behind the bot's write lock or a busy pool.

Times are the server's (``clock_timestamp()``, milliseconds), so processes on machines whose
clocks differ still agree on whose lease ran out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
FORGOTTEN_AFTER_MS = 60_000     # rows expired this long ago are deleted (their process left)


@dataclass(frozen=True)
class Taken:
    """What a process writes for itself: the slots it may hold (``reserved``) and would use
    (``want``), of all sends and of the free ones."""
    reserved: int
    want: int
    reserved_free: int
    want_free: int


@dataclass(frozen=True)
class Lease(Taken):
    """A process's row: what it took, and whose it is."""
    process_id: str


class SendBudgetStore:
    def __init__(self, db) -> None:
        self.db = db
        self._conn = None

    async def join(self, process_id: str) -> None:
        """A row for this process, holding nothing (committed before its first lease, so
        every lease from now on locks it: no two leases miss each other's rows)."""
        if self._conn is None or self._conn.is_closed():
            self._conn = await self.db.connect()
        await self._conn.execute(
            f"DELETE FROM send_lease WHERE expires_at < {NOW_MS} - {FORGOTTEN_AFTER_MS}")
        await self._conn.execute(
            "INSERT INTO send_lease (process_id) VALUES ($1) ON CONFLICT (process_id) "
            "DO NOTHING", process_id)

    async def lease(self, process_id: str, lease_ms: int,
                    decide: Callable[[list[Lease]], Taken]) -> bool:
        """In one transaction with every row locked: ``decide(others)`` (the live leases of
        the other processes, latest values) says what this process takes, which is written
        with a lease of ``lease_ms`` from now. False when this process's row was gone
        (deleted after a long lapse): it joins again and takes nothing this time."""
        conn = self._conn
        assert conn is not None, "join first"
        async with conn.transaction():
            rows = await conn.fetch(
                f"SELECT process_id, reserved, want, reserved_free, want_free, "
                f"expires_at > {NOW_MS} AS live FROM send_lease "
                f"ORDER BY process_id FOR UPDATE")
            if not any(row["process_id"] == process_id for row in rows):
                mine = None
            else:
                others = [Lease(row["reserved"], row["want"], row["reserved_free"],
                                row["want_free"], process_id=row["process_id"])
                          for row in rows if row["live"] and row["process_id"] != process_id]
                mine = decide(others)
                await conn.execute(
                    f"UPDATE send_lease SET reserved = $2, want = $3, reserved_free = $4, "
                    f"want_free = $5, expires_at = {NOW_MS} + $6 WHERE process_id = $1",
                    process_id, mine.reserved, mine.want, mine.reserved_free, mine.want_free,
                    lease_ms)
        if mine is None:
            await self.join(process_id)
            return False
        return True

    async def leave(self, process_id: str, linger_ms: int) -> None:
        """This process stops sending: what it sent may count for ``linger_ms`` more, then
        its share is free; the connection closes."""
        conn, self._conn = self._conn, None
        if conn is None or conn.is_closed():
            return
        try:
            await conn.execute(
                f"UPDATE send_lease SET want = 0, want_free = 0, "
                f"expires_at = least(expires_at, {NOW_MS} + $2) WHERE process_id = $1",
                process_id, linger_ms)
        finally:
            await conn.close()
