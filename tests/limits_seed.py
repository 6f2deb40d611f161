"""A province at full size for the limits tests: 1,000 units with 30-character names (10
cities, 99 units under each), every unit with an active liaison, a campaign with the default
calendar. Written through the repositories, as tests/desk_seed.py does (registering 1,000
liaisons by chat would take far too long)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.kernel.schedule import default_rules

TZ = ZoneInfo("Asia/Shanghai")
SEEDED_AT = datetime(2026, 6, 4, 11, 0, tzinfo=TZ)   # the first weekly deadline passed
UNITS = 1000
CITIES = 10
NAME_LENGTH = 30
LIAISON_BASE_ID = 700_000
ADMIN_ID = 1001


def unit_name(index: int) -> str:
    """Exactly 30 characters, unique, the index readable at the end."""
    if index < CITIES:
        stem = f"吉林省第{index:02d}市应急管理局安全生产监督管理处"
    else:
        stem = f"吉林省第{index % CITIES:02d}市某某区安全生产基层单位联络组{index:04d}"
    return (stem + "办" * NAME_LENGTH)[:NAME_LENGTH] if len(stem) < NAME_LENGTH else \
        stem[-NAME_LENGTH:]


@dataclass
class Province:
    names: list[str] = field(default_factory=list)
    units: dict[str, int] = field(default_factory=dict)       # name -> id
    liaison_of: dict[str, int] = field(default_factory=dict)  # unit name -> person id


async def seed_province(bot, sandbox, units: int = UNITS) -> Province:
    storage = bot.storage
    province = Province()
    await storage.campaigns.create(2026, "2026年安全生产月", "人人讲安全、个个会应急",
                                   date(2026, 6, 1), date(2026, 6, 30), "Asia/Shanghai",
                                   default_rules(2026), created_by=ADMIN_ID)
    async with storage.db.transaction():      # one write for the lot, not 4,000
        for index in range(units):
            await _seed_unit(storage, sandbox, province, index)
    return province


async def _seed_unit(storage, sandbox, province: Province, index: int) -> None:
    name = unit_name(index)
    parent = None if index < CITIES else province.units[unit_name(index % CITIES)]
    unit = await storage.units.create(name, parent, ADMIN_ID)
    await storage.invites.issue_unit_code(unit.id, ADMIN_ID)
    province.units[name] = unit.id
    province.names.append(name)
    person_id = LIAISON_BASE_ID + index
    liaison_name = f"联络员{index:04d}"
    sandbox.user(person_id, liaison_name)
    await storage.people.seen(person_id, person_id, liaison_name, None, "zh")
    await storage.liaisons.register(unit.id, person_id, {
        "name": liaison_name, "gender": "male", "position": "科长",
        "office_phone": None, "mobile": f"139{index:08d}", "fax": None, "qq": None,
        "wechat": None, "email": None, "address": None})
    province.liaison_of[name] = person_id
