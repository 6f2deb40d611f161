"""person: every Telegram user the bot has met."""

from __future__ import annotations

from bot.kernel.clock import Clock, to_iso
from bot.storage.db import Database
from bot.storage.models import Person, row_to


class People:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._cache: dict[int, Person] = {}
        # several processes on PostgreSQL (issue 18): another one may change a person (the
        # language, reachable), so the rows are read each time there
        self._caching = getattr(db, "dialect", "sqlite") == "sqlite"

    async def get(self, telegram_id: int) -> Person | None:
        if telegram_id in self._cache:
            return self._cache[telegram_id]
        row = await self.db.fetchone("SELECT * FROM person WHERE telegram_id = ?", (telegram_id,))
        person = row_to(Person, row) if row else None
        if person and self._caching:
            self._cache[telegram_id] = person
        return person

    async def seen(
        self, telegram_id: int, chat_id: int, first_name: str, username: str | None,
        language: str,
    ) -> tuple[Person, bool]:
        """Record a user on contact; returns (person, first time). Cheap when nothing changed."""
        known = await self.get(telegram_id)
        if known and known.first_name == first_name and known.username == username \
                and known.reachable:
            return known, False
        if known is None:
            await self.db.execute(
                "INSERT INTO person (telegram_id, chat_id, first_name, username, language, "
                "first_seen) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(telegram_id) DO NOTHING",
                (telegram_id, chat_id, first_name, username, language, to_iso(self.clock())),
            )
        else:
            await self.db.execute(
                "UPDATE person SET first_name = ?, username = ?, reachable = 1 "
                "WHERE telegram_id = ?", (first_name, username, telegram_id),
            )
        self._cache.pop(telegram_id, None)
        person = await self.get(telegram_id)
        assert person is not None
        return person, known is None

    async def set_language(self, telegram_id: int, language: str) -> None:
        await self.db.execute(
            "UPDATE person SET language = ?, language_set = 1 WHERE telegram_id = ?",
            (language, telegram_id),
        )
        self._cache.pop(telegram_id, None)

    async def set_reachable(self, telegram_id: int, reachable: bool) -> None:
        await self.db.execute(
            "UPDATE person SET reachable = ? WHERE telegram_id = ?", (int(reachable), telegram_id)
        )
        self._cache.pop(telegram_id, None)

    async def language_of(self, telegram_id: int, default: str) -> str:
        person = await self.get(telegram_id)
        return person.language if person else default
