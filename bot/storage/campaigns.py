"""campaign, deliverable and deadline_override: the calendar, loaded as schedule.Rule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.kernel.clock import Clock, to_iso
from bot.kernel.schedule import Rule
from bot.storage.db import Database


@dataclass(frozen=True)
class Campaign:
    id: int
    year: int
    name: str
    theme: str
    starts_on: date
    ends_on: date
    timezone: ZoneInfo


@dataclass(frozen=True)
class Calendar:
    """A campaign with its rules: everything the pure schedule functions need."""
    campaign: Campaign
    rules: tuple[Rule, ...]

    def rule(self, key: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.key == key), None)


def _time(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _campaign(row) -> Campaign:
    return Campaign(row["id"], row["year"], row["name"], row["theme"],
                    date.fromisoformat(row["starts_on"]), date.fromisoformat(row["ends_on"]),
                    ZoneInfo(row["timezone"]))


class Campaigns:
    """Writes to the calendar go through this class only, so the current calendar is cached
    here (it is read on every submission) and dropped on every write."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._current: Calendar | None = None
        self._current_loaded = False

    def _forget(self) -> None:
        self._current, self._current_loaded = None, False

    async def create(self, year: int, name: str, theme: str, starts_on: date, ends_on: date,
                     timezone: str, rules: list[dict], created_by: int | None) -> Campaign:
        """A campaign and its deliverables (dicts as ``schedule.default_rules`` gives)."""
        now = to_iso(self.clock())
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO campaign (year, name, theme, starts_on, ends_on, timezone, "
                "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (year, name, theme, starts_on.isoformat(), ends_on.isoformat(), timezone, now,
                 created_by),
            )
            campaign_id = cursor.lastrowid
            await cursor.close()
            for rule in rules:
                await conn.execute(
                    "INSERT INTO deliverable (campaign_id, key, kind, position, due_date, "
                    "weekday, month_day, due_time, first_date, last_date, prompt_time, "
                    "reminder_minutes, overdue_days, shift_holidays, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (campaign_id, rule["key"], rule["kind"], rule.get("position", 0),
                     _iso(rule.get("due_date")), rule.get("weekday"), rule.get("month_day"),
                     _hhmm(rule.get("due_time")), _iso(rule.get("first_date")),
                     _iso(rule.get("last_date")), _hhmm(rule.get("prompt_time")),
                     json.dumps(rule.get("reminder_minutes", [])),
                     rule.get("overdue_days", 3), int(rule.get("shift_holidays", True)), now),
                )
        self._forget()
        campaign = await self.current()
        assert campaign is not None and campaign.id == campaign_id
        return campaign

    async def current(self) -> Campaign | None:
        """The campaign being run: the latest year's."""
        row = await self.db.fetchone("SELECT * FROM campaign ORDER BY year DESC LIMIT 1")
        return _campaign(row) if row else None

    async def calendar(self, campaign: Campaign | None = None) -> Calendar | None:
        """The given campaign's calendar, or the current one's (cached until a write)."""
        if campaign is None:
            if not self._current_loaded:
                current = await self.current()
                self._current = await self._load(current) if current else None
                self._current_loaded = True
            return self._current
        return await self._load(campaign)

    async def _load(self, campaign: Campaign) -> Calendar:
        rows = await self.db.fetchall(
            "SELECT * FROM deliverable WHERE campaign_id = ? ORDER BY position, id",
            (campaign.id,),
        )
        override_rows = await self.db.fetchall(
            "SELECT o.* FROM deadline_override o JOIN deliverable d ON d.id = o.deliverable_id "
            "WHERE d.campaign_id = ?", (campaign.id,),
        )
        overrides: dict[int, dict[date, datetime]] = {}
        for row in override_rows:
            overrides.setdefault(row["deliverable_id"], {})[
                date.fromisoformat(row["nominal_date"])] = datetime.fromisoformat(row["due_local"])
        rules = tuple(
            Rule(
                id=row["id"], key=row["key"], kind=row["kind"],
                due_time=_time(row["due_time"]) or time(18, 0),
                due_date=_date(row["due_date"]), weekday=row["weekday"],
                month_day=row["month_day"], first_date=_date(row["first_date"]),
                last_date=_date(row["last_date"]), prompt_time=_time(row["prompt_time"]),
                reminder_minutes=tuple(json.loads(row["reminder_minutes"])),
                overdue_days=row["overdue_days"], shift_holidays=bool(row["shift_holidays"]),
                overrides=overrides.get(row["id"], {}),
            )
            for row in rows
        )
        return Calendar(campaign, rules)

    async def set_due(self, deliverable_id: int, *, due_date: date | None = None,
                      due_time: time | None = None, weekday: int | None = None) -> None:
        """Change a deliverable's rule (only the parts given)."""
        parts, values = [], []
        for column, value in (("due_date", _iso(due_date)), ("due_time", _hhmm(due_time)),
                              ("weekday", weekday)):
            if value is not None:
                parts.append(f"{column} = ?")
                values.append(value)
        if not parts:
            return
        await self.db.execute(
            f"UPDATE deliverable SET {', '.join(parts)}, updated_at = ? WHERE id = ?",
            (*values, to_iso(self.clock()), deliverable_id),
        )
        self._forget()

    async def override_date(self, deliverable_id: int, nominal: date, due_local: datetime,
                            set_by: int | None) -> None:
        """Move one single period's deadline (a local, naive date-time)."""
        await self.db.execute(
            "INSERT INTO deadline_override (deliverable_id, nominal_date, due_local, set_by, "
            "set_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(deliverable_id, nominal_date) DO UPDATE "
            "SET due_local = excluded.due_local, set_by = excluded.set_by, "
            "set_at = excluded.set_at",
            (deliverable_id, nominal.isoformat(), due_local.replace(tzinfo=None).isoformat(
                timespec="minutes"), set_by, to_iso(self.clock())),
        )
        self._forget()

    async def remove_override(self, deliverable_id: int, nominal: date) -> bool:
        """Undo a single period's change: the period's deadline is the rule's again."""
        removed = await self.db.execute(
            "DELETE FROM deadline_override WHERE deliverable_id = ? AND nominal_date = ?",
            (deliverable_id, nominal.isoformat()))
        self._forget()
        return removed > 0


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value else None
