"""Helpers for the scheduling tests: a clock the tests set, and a database seeded through the
storage layer (campaign, units, active liaisons) without 300 chat registrations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.kernel.clock import SetClock as SetClock  # where the scheduling tests import it
from bot.kernel.clock import to_iso
from bot.kernel.schedule import default_rules
from bot.storage import Storage
from tests import backends

TZ = ZoneInfo("Asia/Shanghai")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)


@dataclass(frozen=True)
class SeededLiaison:
    person_id: int
    unit_id: int
    unit_name: str
    name: str
    mobile: str


async def seed(data_dir: Path, *, liaisons: int, first_person: int = 50_000,
               units_without_liaison: int = 0, year: int = 2026,
               created_at: datetime | None = None,
               only: tuple[str, ...] | None = None,
               database_url: str | None = None) -> list[SeededLiaison]:
    """A campaign with the default calendar, units and active liaisons, written through the
    storage layer into the bot's database file (storage.open() applies the migrations).
    ``only``: keep just these deliverables of the default calendar."""
    created = created_at or local(year, 5, 20, 9)
    storage = Storage(database_url or backends.target(data_dir / "bot.sqlite3"),
                      clock=lambda: created)
    await storage.open()
    try:
        if await storage.campaigns.current() is None:
            await storage.campaigns.create(
                year, f"{year}年安全生产月", "人人讲安全、个个会应急", date(year, 6, 1),
                date(year, 12, 31), "Asia/Shanghai",
                [rule for rule in default_rules(year) if only is None or rule["key"] in only],
                created_by=None)
        seeded = []
        for number in range(liaisons):
            person_id = first_person + number
            unit = await storage.units.create(f"单位{person_id}", None, None)
            await storage.people.seen(person_id, person_id, f"联络员{person_id}", None, "zh")
            mobile = f"139{person_id:08d}"
            await storage.liaisons.register(unit.id, person_id, {
                "name": f"联络员{person_id}", "gender": "male", "position": "科长",
                "mobile": mobile})
            seeded.append(SeededLiaison(person_id, unit.id, unit.name, f"联络员{person_id}",
                                        mobile))
        for number in range(units_without_liaison):
            await storage.units.create(f"空缺单位{number + 1}", None, None)
        return seeded
    finally:
        await storage.close()


async def deliver(storage: Storage, unit_id: int, key: str, period: str,
                  received: datetime, late_seconds: int | None = None) -> None:
    """A unit's "nothing this time" report for a period: delivered, as the submissions area
    would record it (test set-up only, until that repository offers a writer)."""
    calendar = await storage.campaigns.calendar()
    rule = calendar.rule(key)
    await storage.db.execute(
        "INSERT INTO submission (unit_id, deliverable_id, period, state, first_received_at, "
        "last_received_at, late_seconds) VALUES (?, ?, ?, 'nil', ?, ?, ?)",
        (unit_id, rule.id, period, to_iso(received), to_iso(received), late_seconds))


async def wait_for(condition, timeout: float = 20.0) -> None:
    """Poll a condition on what the sandbox recorded (the bot works on its own schedule)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
