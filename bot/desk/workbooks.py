"""The desk's workbooks: the liaison roster (/roster, attachment 1's layout) and the summary
of who delivered what (in every /export). Plain synchronous functions of loaded data: the
handlers run them in a worker thread.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.desk.standings import GROUPS, Standings
from bot.kernel.clock import from_iso
from bot.kernel.schedule import Deadline
from bot.kernel.words import Words
from bot.storage.models import LIAISON_FORM_FIELDS, Liaison, Unit


def write_roster(path: Path, words: Words, rows: Sequence[tuple[Unit, Liaison | None]]) -> None:
    """Attachment 1's fields, one row per unit (units without a liaison too)."""
    def body() -> Iterator[list[object]]:
        for number, (unit, liaison) in enumerate(rows, start=1):
            if liaison is None:
                yield [number, unit.name]
                continue
            form = liaison.form()
            if form.get("gender") in ("male", "female"):
                form["gender"] = words.plain(f"desk.gender_{form['gender']}")
            yield [number, unit.name, *(form[name] for name in LIAISON_FORM_FIELDS),
                   words.moment(from_iso(liaison.registered_at))]

    _write_table(path, words.plain("desk.roster_title"),
                 [words.plain("desk.roster_number"), words.plain("desk.roster_unit"),
                  *(words.plain(f"desk.field_{name}") for name in LIAISON_FORM_FIELDS),
                  words.plain("desk.roster_registered")], body)


def _write_table(path: Path, title: str, header: Sequence[object],
                 body: Callable[[], Iterable[Sequence[object]]],
                 footer: Sequence[Sequence[object]] = ()) -> None:
    """A one-sheet workbook: the header in bold, the body's rows, the footer's rows with their
    first cell in bold; each column as wide as its longest value (within bounds).

    Written row by row in openpyxl's write-only mode: no cell is kept, so 10,000 rows hold
    neither the memory nor the collector's time (whose full passes stop every thread) that a
    workbook held whole does. The widths come before the rows, so ``body`` is called twice.
    """
    from openpyxl import Workbook  # heavy: loaded on first use, in the worker thread
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    longest: dict[int, int] = {}
    for row in itertools.chain([header], body(), footer):
        for index, value in enumerate(row, start=1):
            longest[index] = max(longest.get(index, 0), len(str(value or "")))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, length in longest.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(8 + length * 1.6, 48)
    bold = Font(bold=True)

    def emphasised(value: object) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = bold
        return cell

    sheet.append([emphasised(value) for value in header])
    for row in body():
        sheet.append(row)
    for first, *rest in footer:
        sheet.append([emphasised(first), *rest])
    workbook.save(path)


@dataclass(frozen=True)
class Column:
    """One (deliverable, period) of the summary and every unit's standing in it."""
    deadline: Deadline
    standings: Standings


def write_summary(path: Path, words: Words, units: Sequence[Unit],
                  columns: Sequence[Column]) -> None:
    """Unit × period: on time, late by how long, missing; totals per unit and per period."""
    def body() -> Iterator[list[object]]:
        for unit in units:
            row: list[object] = [unit.name]
            counts = dict.fromkeys(GROUPS, 0)
            for column in columns:
                standing = column.standings.standing(unit)
                counts[standing.group] += 1
                row.append(words.state(standing.group, standing.late_seconds))
            yield [*row, *counts.values()]

    totals = [words.plain("desk.summary_total_on_time"), words.plain("desk.summary_total_late"),
              words.plain("desk.summary_total_missing")]
    _write_table(path, words.plain("desk.summary_sheet"),
                 [words.plain("desk.summary_unit"),
                  *(words.target(column.deadline) for column in columns), *totals],
                 body,
                 [[label, *(len(column.standings.members(group)) for column in columns)]
                  for label, group in zip(totals, GROUPS, strict=True)])
