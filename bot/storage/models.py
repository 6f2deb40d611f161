"""Rows as dataclasses: what the repositories return."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache

LIAISON_FORM_FIELDS = (
    "name", "gender", "position", "office_phone", "mobile",
    "fax", "qq", "wechat", "email", "address",
)


@dataclass(frozen=True)
class Person:
    telegram_id: int
    chat_id: int
    first_name: str
    username: str | None
    language: str
    language_set: bool
    reachable: bool
    first_seen: str


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    parent_id: int | None
    created_at: str


@dataclass(frozen=True)
class Invite:
    code: str
    kind: str
    unit_id: int | None
    created_by: int | None
    created_at: str
    used_by: int | None
    used_at: str | None
    revoked_at: str | None

    @property
    def live(self) -> bool:
        return self.revoked_at is None and self.used_at is None


@dataclass(frozen=True)
class Coordinator:
    person_id: int
    scope_unit_id: int | None
    added_by: int | None
    added_at: str
    active: bool


@dataclass(frozen=True)
class Liaison:
    id: int
    unit_id: int
    person_id: int
    name: str
    gender: str | None
    position: str | None
    office_phone: str | None
    mobile: str
    fax: str | None
    qq: str | None
    wechat: str | None
    email: str | None
    address: str | None
    status: str
    registered_at: str
    decided_at: str | None
    decided_by: int | None

    def form(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in LIAISON_FORM_FIELDS}


@cache
def _layout(cls: type) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """A dataclass's field names and the positions of its booleans (read once per class)."""
    found = fields(cls)
    return (tuple(f.name for f in found),
            tuple(index for index, f in enumerate(found) if f.type == "bool"))


def row_to(cls: type, row) -> object:
    """Build a dataclass from a sqlite row, taking the columns the dataclass names (in the
    desk's views this runs for every unit, so the common case avoids building a dict)."""
    names, booleans = _layout(cls)
    try:
        values = [row[name] for name in names]
    except (IndexError, KeyError):  # a column the dataclass names is not selected
        keys = row.keys()
        return cls(**{name: (bool(row[name]) if index in booleans else row[name])
                      for index, name in enumerate(names) if name in keys})
    for index in booleans:
        values[index] = bool(values[index])
    return cls(*values)


def column_list(cls: type) -> str:
    """A dataclass's fields as a SELECT list, in order: rows selected with it can be built
    by :func:`build_all` from plain tuples."""
    return ", ".join(_layout(cls)[0])


ROWS_PER_STEP = 500


async def build_all(cls: type, rows: Sequence[Sequence]) -> list:
    """Dataclasses from rows of values in :func:`column_list` order, letting the event loop
    run between steps of ``ROWS_PER_STEP`` rows: 10,000 liaisons take 50-90 ms to build on a
    busy machine, too long to hold the loop in one step."""
    booleans = _layout(cls)[1]
    found = []
    for start in range(0, len(rows), ROWS_PER_STEP):
        if start:
            await asyncio.sleep(0)
        for values in rows[start:start + ROWS_PER_STEP]:
            if booleans:
                values = [bool(value) if index in booleans else value
                          for index, value in enumerate(values)]
            found.append(cls(*values))
    return found
