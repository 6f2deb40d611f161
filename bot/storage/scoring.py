"""scoring_rules, adoption and score_entry: the rules versions, 采用 and the points ledger."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.kernel.clock import Clock, to_iso
from bot.scoring.rules import Rules, default_rules, parse_rules
from bot.storage.db import Database
from bot.storage.models import row_to
from bot.storage.submissions import Submission


@dataclass(frozen=True)
class RulesVersion:
    """A loaded rules file; ``id`` is its version number."""
    id: int
    rules: Rules
    loaded_at: str
    loaded_by: int | None


@dataclass(frozen=True)
class Adoption:
    id: int
    submission_id: int
    level: str
    adopted_by: int
    adopted_at: str
    unit_id: int
    deliverable_id: int
    period: str


@dataclass(frozen=True)
class LedgerRow:
    """One current (or, in :meth:`Scoring.history`, superseded) row of the ledger."""
    id: int
    unit_id: int
    event: str
    kind: str
    rule: str
    points: float
    rules_version: int
    submission_id: int | None
    deliverable_id: int | None
    period: str | None
    occurred_at: str
    superseded_at: str | None


@dataclass(frozen=True)
class Scored:
    """What the ledger should hold for one event under the rules in use."""
    unit_id: int
    event: str
    kind: str
    rule: str
    points: float
    submission_id: int | None
    deliverable_id: int | None
    period: str | None
    occurred_at: str


@dataclass(frozen=True)
class Reconciled:
    added: int
    superseded: int


LEDGER_COLUMNS = ("id, unit_id, event, kind, rule, points, rules_version, submission_id, "
                  "deliverable_id, period, occurred_at, superseded_at")
ADOPTION_SELECT = (
    "SELECT adoption.id, adoption.submission_id, adoption.level, adoption.adopted_by, "
    "adoption.adopted_at, submission.unit_id, submission.deliverable_id, submission.period "
    "FROM adoption JOIN submission ON submission.id = adoption.submission_id ")


def _ledger(row) -> LedgerRow:
    return LedgerRow(*row)


class Scoring:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._versions: dict[int, RulesVersion] = {}
        # held by bot.scoring.ledger: one settle or adoption at a time, and the inputs the
        # ledger was last settled on
        self.lock = asyncio.Lock()
        self.settled_on: tuple | None = None
        self.rankings: dict[tuple, tuple] = {}    # bot.scoring.scores: (inputs, ranking)

    # ------------------------------------------------------------ rules

    async def add_rules(self, rules: Rules, loaded_by: int | None) -> RulesVersion:
        text = rules.dumps()
        version_id = await self.db.execute(
            "INSERT INTO scoring_rules (rules_key, definition, sha256, loaded_at, loaded_by) "
            "VALUES (?, ?, ?, ?, ?)",
            (rules.key, text, hashlib.sha256(text.encode()).hexdigest(), to_iso(self.clock()),
             loaded_by))
        version = await self.version(version_id)
        assert version is not None
        return version

    async def version(self, version_id: int) -> RulesVersion | None:
        if version_id in self._versions:
            return self._versions[version_id]
        row = await self.db.fetchone("SELECT * FROM scoring_rules WHERE id = ?", (version_id,))
        if row is None:
            return None
        version = RulesVersion(row["id"], parse_rules(row["definition"].encode()),
                               row["loaded_at"], row["loaded_by"])
        self._versions[version_id] = version
        return version

    async def current(self) -> RulesVersion:
        """The latest rules loaded; the package default (version 1) the first time."""
        async with self.db.transaction():
            row = await self.db.fetchone("SELECT max(id) FROM scoring_rules")
            if row is None or row[0] is None:
                return await self.add_rules(default_rules(), None)
        version = await self.version(row[0])
        assert version is not None
        return version

    # ------------------------------------------------------------ adoptions

    async def adopt(self, submission_id: int, unit_id: int, deliverable_id: int, period: str,
                    level: str, points: float, adopted_by: int, rules_version: int
                    ) -> Adoption | None:
        """Record the adoption and its ledger row (``levels.<level>``, ``points``) in one
        transaction; None when the submission is already adopted at that level."""
        now = to_iso(self.clock())

        def record(conn: sqlite3.Connection) -> int | None:
            found = conn.execute(
                "INSERT INTO adoption (submission_id, level, adopted_by, adopted_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (submission_id, level) DO NOTHING "
                "RETURNING id", (submission_id, level, adopted_by, now)).fetchone()
            if found is None:
                return None
            conn.execute(
                "INSERT INTO score_entry (unit_id, event, kind, rule, points, rules_version, "
                "submission_id, deliverable_id, period, occurred_at, recorded_at) "
                "VALUES (?, ?, 'adoption', ?, ?, ?, ?, ?, ?, ?, ?)",
                (unit_id, f"adoption:{found[0]}", f"levels.{level}", points, rules_version,
                 submission_id, deliverable_id, period, now, now))
            return found[0]

        adoption_id = await self.db.run(record, write=True)
        if adoption_id is None:
            return None
        return await self.adoption(adoption_id)

    async def adoption(self, adoption_id: int) -> Adoption | None:
        row = await self.db.fetchone(ADOPTION_SELECT + "WHERE adoption.id = ?", (adoption_id,))
        return Adoption(*row) if row else None

    async def adoptions(self) -> list[Adoption]:
        """Every adoption, in the order they were made."""
        rows = await self.db.fetchall(ADOPTION_SELECT + "ORDER BY adoption.id")
        return [Adoption(*row) for row in rows]

    async def adoptions_of(self, submission_ids: Sequence[int]) -> list[Adoption]:
        if not submission_ids:
            return []
        marks = ", ".join("?" * len(submission_ids))
        rows = await self.db.fetchall(
            ADOPTION_SELECT + f"WHERE adoption.submission_id IN ({marks}) ORDER BY adoption.id",
            tuple(submission_ids))
        return [Adoption(*row) for row in rows]

    async def levels_in_use(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT level, count(*) FROM adoption GROUP BY level")
        return {row[0]: row[1] for row in rows}

    # ------------------------------------------------------------ ledger

    async def ledger(self, unit_ids: Sequence[int] | None = None) -> list[LedgerRow]:
        """The current rows (of these units), oldest event first."""
        rows = await self.db.fetch_values(
            f"SELECT {LEDGER_COLUMNS} FROM score_entry WHERE superseded_at IS NULL "
            "ORDER BY occurred_at, id")
        found = [_ledger(row) for row in rows]
        if unit_ids is None:
            return found
        wanted = set(unit_ids)
        return [row for row in found if row.unit_id in wanted]

    async def history(self) -> list[LedgerRow]:
        """Every row ever written, superseded ones included, in the order written."""
        rows = await self.db.fetch_values(
            f"SELECT {LEDGER_COLUMNS} FROM score_entry ORDER BY id")
        return [_ledger(row) for row in rows]

    async def reconcile(self, wanted: Sequence[Scored], rules_version: int,
                        kinds: Sequence[str]) -> Reconciled:
        """Make the current rows of ``kinds`` be exactly ``wanted`` under ``rules_version``:
        a current row that matches (points, rule, version, time) stays; any other is
        superseded, and a new row written for what is wanted. One transaction."""
        now = to_iso(self.clock())
        marks = ", ".join("?" * len(kinds))

        def work(conn: sqlite3.Connection) -> Reconciled:
            current = {(row[1], row[2]): row for row in conn.execute(
                f"SELECT id, unit_id, event, rule, points, rules_version, occurred_at "
                f"FROM score_entry WHERE superseded_at IS NULL AND kind IN ({marks})",
                tuple(kinds)).fetchall()}
            added = superseded = 0
            for score in wanted:
                row = current.pop((score.unit_id, score.event), None)
                if row is not None:
                    if (row[3], float(row[4]), row[5], row[6]) == (
                            score.rule, float(score.points), rules_version, score.occurred_at):
                        continue
                    conn.execute("UPDATE score_entry SET superseded_at = ? WHERE id = ?",
                                 (now, row[0]))
                    superseded += 1
                new_id = conn.execute(
                    "INSERT INTO score_entry (unit_id, event, kind, rule, points, rules_version, "
                    "submission_id, deliverable_id, period, occurred_at, recorded_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (score.unit_id, score.event, score.kind, score.rule, score.points,
                     rules_version, score.submission_id, score.deliverable_id, score.period,
                     score.occurred_at, now)).fetchone()[0]
                if row is not None:
                    conn.execute("UPDATE score_entry SET superseded_by = ? WHERE id = ?",
                                 (new_id, row[0]))
                added += 1
            for row in current.values():
                conn.execute("UPDATE score_entry SET superseded_at = ? WHERE id = ?",
                             (now, row[0]))
                superseded += 1
            return Reconciled(added, superseded)

        return await self.db.run(work, write=True)

    async def fingerprint(self) -> tuple:
        """What the ledger's events are made of, in one read: it changes whenever an
        adoption, a submission or an item (withdrawn, superseded, its file lost), a statistics
        entry, a liaison, a unit, a return or a rules version is added or changes state
        (``bot.scoring.ledger`` settles again only then)."""
        row = await self.db.fetchone(
            "SELECT * FROM (SELECT count(*), max(id) FROM adoption) a, "
            "(SELECT count(*), max(last_received_at), "
            "sum(CASE WHEN state = 'nil' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN state = 'withdrawn' THEN 1 ELSE 0 END) FROM submission) s, "
            "(SELECT max(id), count(withdrawn_at), count(superseded_at), "
            "sum(CASE WHEN archived = 'failed' THEN 1 ELSE 0 END) FROM item) i, "
            "(SELECT max(id) FROM stats_entry) e, (SELECT count(*), max(id) FROM liaison) l, "
            "(SELECT count(*) FROM unit) u, (SELECT max(id) FROM scoring_rules) v, "
            "(SELECT count(*), count(resubmitted_at) FROM submission_return) r")
        return tuple(row)

    # ------------------------------------------------------------ the bulletin's reads

    async def open_submissions(self, deliverable_id: int, period: str) -> list[Submission]:
        """A period's submissions that hold material (not nil, not withdrawn), by unit."""
        rows = await self.db.fetchall(
            "SELECT * FROM submission WHERE deliverable_id = ? AND period = ? "
            "AND state = 'open' ORDER BY unit_id", (deliverable_id, period))
        return [row_to(Submission, row) for row in rows]

    async def submissions_received(self, deliverable_id: int, after: datetime | None,
                                   until: datetime) -> list[Submission]:
        """Submissions of a deliverable (events) first received in ``(after, until]``."""
        rows = await self.db.fetchall(
            "SELECT * FROM submission WHERE deliverable_id = ? AND state = 'open' "
            "AND first_received_at > ? AND first_received_at <= ? ORDER BY first_received_at",
            (deliverable_id, to_iso(after) if after else "", to_iso(until)))
        return [row_to(Submission, row) for row in rows]
