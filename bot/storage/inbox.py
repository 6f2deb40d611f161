"""inbox: updates stored before they are confirmed to Telegram, so none is lost in a crash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.kernel.clock import Clock, to_iso
from bot.storage.db import Database, padded

MARK_CHUNK = 500       # update ids in one "handled" statement
STORE_CHUNK = 100      # updates in one INSERT (getUpdates hands out at most 100)


@dataclass(frozen=True)
class StoredUpdate:
    update_id: int
    chat_id: int | None
    raw: str
    attempts: int = 0      # replays started (each may have been cut short by a crash)


class Inbox:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def next_offset(self) -> int | None:
        row = await self.db.fetchone("SELECT max(update_id) FROM inbox")
        return int(row[0]) + 1 if row and row[0] is not None else None

    async def store(self, batch: list[StoredUpdate]) -> list[StoredUpdate]:
        """Store a fetched batch in one statement (one per :data:`STORE_CHUNK`); returns the
        updates not seen before, in the batch's order (a repeated ``update_id``: its first)."""
        now = to_iso(self.clock())
        unique: dict[int, StoredUpdate] = {}
        for update in batch:
            unique.setdefault(update.update_id, update)
        batch = list(unique.values())
        new: set[int] = set()
        for start in range(0, len(batch), STORE_CHUNK):
            chunk = padded(batch[start:start + STORE_CHUNK], STORE_CHUNK)   # repeats: no-ops
            params = [value for update in chunk
                      for value in (update.update_id, update.chat_id, update.raw, now)]
            new.update(row[0] for row in await self.db.fetch_values(
                f"INSERT INTO inbox (update_id, chat_id, raw, received_at) VALUES "
                f"{', '.join('(?, ?, ?, ?)' for _ in chunk)} "
                f"ON CONFLICT(update_id) DO NOTHING RETURNING update_id", params))
        return [update for update in batch if update.update_id in new]

    async def unhandled(self) -> list[StoredUpdate]:
        rows = await self.db.fetchall(
            "SELECT update_id, chat_id, raw, attempts FROM inbox WHERE handled_at IS NULL "
            "ORDER BY update_id"
        )
        return [StoredUpdate(row["update_id"], row["chat_id"], row["raw"], row["attempts"])
                for row in rows]

    async def count_attempt(self, update_id: int) -> None:
        """A replay of this update starts (written before it does: a crash counts)."""
        await self.db.execute("UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?",
                              (update_id,))

    async def set_aside(self, update_id: int) -> None:
        """Poisoned: never handled again (kept, with when, for the operator)."""
        now = to_iso(self.clock())
        await self.db.execute(
            "UPDATE inbox SET poisoned_at = ?, handled_at = ? WHERE update_id = ?",
            (now, now, update_id))

    async def set_aside_ids(self) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT update_id FROM inbox WHERE poisoned_at IS NOT NULL ORDER BY update_id")
        return [row[0] for row in rows]

    async def waiting_chats(self, limit: int = 200) -> list[int | None]:
        """Chats with updates not handled, the oldest waiting first (several processes:
        each claims one chat at a time, bot.scale.shared)."""
        rows = await self.db.fetchall(
            "SELECT chat_id, min(update_id) AS first FROM inbox WHERE handled_at IS NULL "
            "GROUP BY chat_id ORDER BY first LIMIT ?", (limit,))
        return [row["chat_id"] for row in rows]

    async def unhandled_of_chats(self, chat_ids: list[int | None]) -> list[StoredUpdate]:
        """These chats' updates not handled, in order (one read for several chats)."""
        known = [chat_id for chat_id in chat_ids if chat_id is not None]
        where = []
        if known:
            known = padded(known, 256)
            where.append(f"chat_id IN ({', '.join('?' for _ in known)})")
        if None in chat_ids:
            where.append("chat_id IS NULL")
        if not where:
            return []
        rows = await self.db.fetchall(
            f"SELECT update_id, chat_id, raw, attempts FROM inbox WHERE "
            f"({' OR '.join(where)}) AND handled_at IS NULL ORDER BY update_id", known)
        return [StoredUpdate(row["update_id"], row["chat_id"], row["raw"], row["attempts"])
                for row in rows]

    async def count_attempts(self, update_ids: list[int]) -> None:
        """These updates' handling starts (one statement; written before it does, so a
        crash during it counts)."""
        if update_ids:
            ids = padded(sorted(set(update_ids)), 256)
            await self.db.execute(
                f"UPDATE inbox SET attempts = attempts + 1 WHERE update_id IN "
                f"({', '.join('?' for _ in ids)})", ids)

    async def mark_handled(self, update_ids: list[int]) -> None:
        """One statement per :data:`MARK_CHUNK` updates."""
        now = to_iso(self.clock())
        for start in range(0, len(update_ids), MARK_CHUNK):
            chunk = padded(update_ids[start:start + MARK_CHUNK], MARK_CHUNK)
            await self.db.execute(
                f"UPDATE inbox SET handled_at = ? WHERE update_id IN "
                f"({', '.join('?' for _ in chunk)})", (now, *chunk))

    async def prune(self, keep: timedelta = timedelta(days=2)) -> None:
        """Forget handled updates older than ``keep`` (the newest row is kept for the offset;
        those set aside are kept for the operator)."""
        await self.db.execute(
            "DELETE FROM inbox WHERE handled_at IS NOT NULL AND handled_at < ? "
            "AND poisoned_at IS NULL "
            "AND update_id < (SELECT max(update_id) FROM inbox)",
            (to_iso(self.clock() - keep),),
        )
