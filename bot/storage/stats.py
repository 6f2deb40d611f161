"""stats_form and stats_entry: versioned statistics forms and each unit's figures."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from bot.kernel.clock import Clock, to_iso
from bot.stats.forms import Form, Value, default_form, parse_definition
from bot.storage.db import Database


@dataclass(frozen=True)
class FormVersion:
    """A loaded definition; ``id`` is its version number."""
    id: int
    form: Form
    campaign_id: int | None
    loaded_at: str
    loaded_by: int | None


@dataclass(frozen=True)
class StatsEntry:
    id: int
    unit_id: int
    form_id: int
    campaign_id: int | None
    figures: dict[str, Value]
    via: str
    submitted_at: str
    submitted_by: int | None
    late_seconds: int | None
    superseded_at: str | None


def _entry(row) -> StatsEntry:
    return StatsEntry(row["id"], row["unit_id"], row["form_id"], row["campaign_id"],
                      json.loads(row["figures"]), row["via"], row["submitted_at"],
                      row["submitted_by"], row["late_seconds"], row["superseded_at"])


class Stats:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._forms: dict[int, FormVersion] = {}

    # ------------------------------------------------------------ forms

    async def add_form(self, form: Form, campaign_id: int | None,
                       loaded_by: int | None) -> FormVersion:
        text = form.dumps()
        form_id = await self.db.execute(
            "INSERT INTO stats_form (form_key, campaign_id, definition, sha256, loaded_at, "
            "loaded_by) VALUES (?, ?, ?, ?, ?, ?)",
            (form.key, campaign_id, text, hashlib.sha256(text.encode()).hexdigest(),
             to_iso(self.clock()), loaded_by),
        )
        version = await self.form(form_id)
        assert version is not None
        return version

    async def form(self, form_id: int) -> FormVersion | None:
        if form_id in self._forms:
            return self._forms[form_id]
        row = await self.db.fetchone("SELECT * FROM stats_form WHERE id = ?", (form_id,))
        if row is None:
            return None
        version = FormVersion(row["id"], parse_definition(row["definition"].encode()),
                              row["campaign_id"], row["loaded_at"], row["loaded_by"])
        self._forms[form_id] = version
        return version

    async def current_form(self) -> FormVersion:
        """The latest definition loaded; the package default the first time."""
        async with self.db.transaction():
            row = await self.db.fetchone("SELECT max(id) FROM stats_form")
            if row is None or row[0] is None:
                return await self.add_form(default_form(), None, None)
        version = await self.form(int(row[0]))
        assert version is not None
        return version

    # ------------------------------------------------------------ entries

    async def submit(self, unit_id: int, form_id: int, campaign_id: int | None,
                     figures: dict[str, Value], via: str, submitted_at: datetime,
                     submitted_by: int | None, liaison_id: int | None,
                     late_seconds: int | None) -> StatsEntry:
        """Store a unit's figures; its current entry (same campaign) becomes an earlier one."""
        now = to_iso(self.clock())
        async with self.db.transaction():
            previous = await self.current(unit_id, campaign_id)
            if previous is not None:
                await self.db.execute(
                    "UPDATE stats_entry SET superseded_at = ? WHERE id = ?", (now, previous.id))
            entry_id = await self.db.execute(
                "INSERT INTO stats_entry (unit_id, form_id, campaign_id, figures, via, "
                "submitted_at, submitted_by, liaison_id, late_seconds) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (unit_id, form_id, campaign_id, json.dumps(figures, ensure_ascii=False), via,
                 to_iso(submitted_at), submitted_by, liaison_id, late_seconds),
            )
            if previous is not None:
                await self.db.execute(
                    "UPDATE stats_entry SET superseded_by = ? WHERE id = ?",
                    (entry_id, previous.id))
        entry = await self.entry(entry_id)
        assert entry is not None
        return entry

    async def entry(self, entry_id: int) -> StatsEntry | None:
        row = await self.db.fetchone("SELECT * FROM stats_entry WHERE id = ?", (entry_id,))
        return _entry(row) if row else None

    async def current(self, unit_id: int, campaign_id: int | None) -> StatsEntry | None:
        row = await self.db.fetchone(
            "SELECT * FROM stats_entry WHERE unit_id = ? AND campaign_id IS ? "
            "AND superseded_at IS NULL", (unit_id, campaign_id))
        return _entry(row) if row else None

    async def history(self, unit_id: int, campaign_id: int | None) -> list[StatsEntry]:
        """Every entry of the unit in the campaign, the current one first."""
        rows = await self.db.fetchall(
            "SELECT * FROM stats_entry WHERE unit_id = ? AND campaign_id IS ? "
            "ORDER BY id DESC", (unit_id, campaign_id))
        return [_entry(row) for row in rows]

    async def current_entries(self, campaign_id: int | None) -> dict[int, StatsEntry]:
        """unit id -> current entry, for every unit that submitted in the campaign."""
        rows = await self.db.fetchall(
            "SELECT * FROM stats_entry WHERE campaign_id IS ? AND superseded_at IS NULL",
            (campaign_id,))
        return {row["unit_id"]: _entry(row) for row in rows}

    async def count_current(self) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) FROM stats_entry WHERE superseded_at IS NULL")
        return int(row[0]) if row else 0
