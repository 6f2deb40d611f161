"""What a person is to the bot, read in one trip: coordinator row and open liaison row."""

from __future__ import annotations

import sqlite3

from bot.storage.coordinators import ACTIVE_COORDINATOR
from bot.storage.db import Database
from bot.storage.liaisons import OPEN_LIAISON
from bot.storage.models import Coordinator, Liaison, row_to


class Roles:
    """Every update asks who its sender is; this answers with one await, not two."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def of(self, person_id: int) -> tuple[Coordinator | None, Liaison | None]:
        def read(conn: sqlite3.Connection) -> tuple[Coordinator | None, Liaison | None]:
            coordinator = conn.execute(ACTIVE_COORDINATOR, (person_id,)).fetchone()
            liaison = conn.execute(OPEN_LIAISON, (person_id,)).fetchone()
            return (row_to(Coordinator, coordinator) if coordinator else None,
                    row_to(Liaison, liaison) if liaison else None)

        return await self.db.run(read)
