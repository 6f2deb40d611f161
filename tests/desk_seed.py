"""A seeded campaign for the desk tests: 50 units (two cities and the units under them),
47 liaisons, four weeks of weekly materials with photos (files in the media store) and texts.
Seeded through the storage layer, not chat registration (that would be far too slow)."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image

from bot.kernel.schedule import deadlines, default_rules, lateness
from bot.media.paths import media_file
from bot.storage.submissions import ArchivedItem

TZ = ZoneInfo("Asia/Shanghai")
SEEDED_AT = datetime(2026, 5, 20, 9, 0, tzinfo=TZ)
AFTER_LAST_WEEK = datetime(2026, 6, 25, 10, 30, tzinfo=TZ)   # the 4th week closed at 10:00
WEEKS = ("2026-06-04", "2026-06-11", "2026-06-18", "2026-06-25")
CITIES = ("长春市", "吉林市")
UNITS_PER_CITY = 24
NO_LIAISON = (7, 20, 33)          # unit indexes without a liaison
LIAISON_BASE_ID = 5000
SCOPED_COORDINATOR_ID = 2001


class Clock:
    """A settable clock: ``clock.now`` is what the bot sees as now."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def fate(index: int, week: int) -> tuple[str, int | None]:
    """What unit ``index`` did in week ``week``: ('missing', None), ('late', seconds) or
    ('on_time', None); the counts differ from week to week."""
    rest = (index + week * 5) % (6 + week)
    if rest == 0:
        return "missing", None
    if rest == 1:
        return "late", (index + 1) * 600 + week * 3600
    return "on_time", None


def photo_bytes(index: int, week: int, number: int) -> bytes:
    """A small JPEG of a colour unique to (unit, week, photo)."""
    colour = color_of(index, week, number)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def color_of(index: int, week: int, number: int) -> tuple[int, int, int]:
    return (40 + index * 4, 40 + week * 50, 60 + number * 120)


@dataclass
class Seeded:
    units: dict[str, int] = field(default_factory=dict)           # name -> id, every unit
    names: list[str] = field(default_factory=list)                 # in index order
    city_of: dict[str, str] = field(default_factory=dict)          # unit name -> its city
    liaison_of: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # id, name, mobile
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # sha -> (unit, bytes)
    photos: dict[str, list[tuple[str, tuple[int, int, int]]]] = field(default_factory=dict)
    texts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # week -> (unit, text)
    weekly_id: int = 0
    scope_city_id: int = 0


def unit_name(index: int) -> str:
    if index < len(CITIES):
        return CITIES[index]
    city = CITIES[(index - len(CITIES)) % len(CITIES)]
    return f"{city[:2]}单位{index:02d}"


def _store(media_dir, data: bytes, thumb: bool) -> tuple[str, str | None]:
    sha = hashlib.sha256(data).hexdigest()
    path = media_file(media_dir, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if not thumb:
        return sha, None
    small = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((32, 32))
        image.save(small, format="JPEG")
    thumb_sha = hashlib.sha256(small.getvalue()).hexdigest()
    thumb_path = media_file(media_dir, thumb_sha)
    thumb_path.parent.mkdir(parents=True, exist_ok=True)
    thumb_path.write_bytes(small.getvalue())
    return sha, thumb_sha


async def seed(bot, clock: Clock, sandbox) -> Seeded:
    """Everything, through the storage layer; leaves the clock at ``AFTER_LAST_WEEK``."""
    storage = bot.storage
    media_dir = bot.settings.media_dir
    clock.now = SEEDED_AT
    seeded = Seeded()
    await storage.campaigns.create(2026, "2026年安全生产月", "人人讲安全、个个会应急",
                                   date(2026, 6, 1), date(2026, 6, 30), "Asia/Shanghai",
                                   default_rules(2026), created_by=1001)
    calendar = await storage.campaigns.calendar()
    weekly = calendar.rule("weekly")
    seeded.weekly_id = weekly.id
    due = {d.period: d for d in deadlines(weekly, TZ)}
    total = len(CITIES) + 2 * UNITS_PER_CITY
    for index in range(total):
        name = unit_name(index)
        parent = None if index < len(CITIES) else seeded.units[
            CITIES[(index - len(CITIES)) % len(CITIES)]]
        unit = await storage.units.create(name, parent, 1001)
        await storage.invites.issue_unit_code(unit.id, 1001)
        seeded.units[name] = unit.id
        seeded.names.append(name)
        seeded.city_of[name] = CITIES[index] if index < len(CITIES) else CITIES[
            (index - len(CITIES)) % len(CITIES)]
        if index in NO_LIAISON:
            continue
        person_id = LIAISON_BASE_ID + index
        liaison_name, mobile = f"联络员{index:02d}", f"139{index:08d}"
        sandbox.user(person_id, liaison_name)
        await storage.people.seen(person_id, person_id, liaison_name, None, "zh")
        await storage.liaisons.register(unit.id, person_id, {
            "name": liaison_name, "gender": "male" if index % 2 else "female",
            "position": "科长", "office_phone": f"0431-8888{index:04d}", "mobile": mobile,
            "fax": None, "qq": f"{10000 + index}", "wechat": f"wx{index}",
            "email": f"u{index}@example.cn", "address": f"人民大街{index}号"})
        seeded.liaison_of[name] = (person_id, liaison_name, mobile)
    seeded.scope_city_id = seeded.units[CITIES[0]]
    await storage.people.seen(SCOPED_COORDINATOR_ID, SCOPED_COORDINATOR_ID, "赵科长", None, "zh")
    code = await storage.invites.issue_coordinator_code(seeded.scope_city_id, 1001)
    await storage.coordinators.accept_invite(code, SCOPED_COORDINATOR_ID)
    for week, period in enumerate(WEEKS):
        seeded.photos[period] = []
        seeded.texts[period] = []
        for index, name in enumerate(seeded.names):
            state, late = fate(index, week)
            if state == "missing":
                continue
            received = due[period].due + timedelta(seconds=late) if late else \
                due[period].due - timedelta(hours=2)
            items = []
            for number in range(1 + index % 2):
                data = photo_bytes(index, week, number)
                sha, thumb_sha = _store(media_dir, data, thumb=index % 3 != 0)
                seeded.files[sha] = (name, data)
                seeded.photos[period].append((name, color_of(index, week, number)))
                items.append(ArchivedItem("photo", received + timedelta(seconds=number), None, sha,
                                     thumb_sha, None, "image/jpeg", len(data)))
            text = f"{name}第{week + 1}周开展安全宣传活动。"
            items.append(ArchivedItem("text", received + timedelta(seconds=5), text))
            seeded.texts[period].append((name, text))
            assert lateness(due[period], received) == late
            liaison = await storage.liaisons.active_for_unit(seeded.units[name])
            await storage.submissions.record_archived(seeded.units[name], weekly.id, period, items,
                                             late_seconds=late,
                                             liaison_id=liaison.id if liaison else None)
    clock.now = AFTER_LAST_WEEK
    return seeded


def expected(seeded: Seeded, week: int, city: str | None = None) -> dict[str, list[str]]:
    """Unit names per group for a week (optionally only one city and its units)."""
    groups: dict[str, list[str]] = {"on_time": [], "late": [], "missing": []}
    for index, name in enumerate(seeded.names):
        if city is not None and seeded.city_of[name] != city:
            continue
        groups[fate(index, week)[0]].append(name)
    return {group: sorted(names) for group, names in groups.items()}
