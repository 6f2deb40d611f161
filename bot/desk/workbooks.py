"""The desk's workbooks: the liaison roster (/roster, attachment 1 as a 汇总表) and the
summary of who delivered what (in every /export). Plain synchronous functions of loaded
data: the handlers run them in a worker thread.

Both print as an office prints them (``bot.office.sheets``): A4 landscape, one page wide,
the header rows on every page, header and unit column frozen, thin borders, an autofilter
on the header, "第 1 页 共 3 页" at the foot; their title lines say what, for whom, as of
when. Every cell is written by ``sheets.put``: a text is never a formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.desk.standings import Column
from bot.kernel.clock import from_iso
from bot.kernel.words import LATE, MISSING, NIL, NOT_DUE, ON_TIME, Words
from bot.storage.models import LIAISON_FORM_FIELDS, Liaison, Unit

SUMMARY_STATES = (ON_TIME, LATE, NIL, MISSING)    # the 合计 columns, in this order
DATE_TIME = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class RosterRow:
    unit: Unit
    parent_name: str
    liaison: Liaison | None


@dataclass(frozen=True)
class Heading:
    """What a file's title lines say: the campaign, for whom, as of when."""
    campaign: str
    scope: str
    as_of: datetime


def local(words: Words, at: str) -> datetime:
    """A stored instant as the wall-clock time of the campaign, for a date-time cell."""
    return from_iso(at).astimezone(words.timezone).replace(tzinfo=None)


def write_roster(path: Path, words: Words, heading: Heading,
                 rows: Sequence[RosterRow]) -> None:
    """附件1, "<campaign>联络员推荐表（汇总）", "截至 …", then attachment 1's fields, one row per
    unit (units without a liaison too), in the office's own unit order."""
    liaisons = sum(1 for row in rows if row.liaison is not None)
    header = [words.plain("desk.roster_number"), words.plain("desk.roster_unit"),
              words.plain("desk.roster_parent"),
              *(words.plain(f"desk.field_{name}") for name in LIAISON_FORM_FIELDS),
              words.plain("desk.roster_registered")]

    def body() -> Iterator[list[object]]:
        for number, row in enumerate(rows, start=1):
            values: list[object] = [number, row.unit.name, row.parent_name]
            if row.liaison is None:
                yield values + [None] * (len(LIAISON_FORM_FIELDS) + 1)
                continue
            form = row.liaison.form()
            if form.get("gender") in ("male", "female"):
                form["gender"] = words.plain(f"desk.gender_{form['gender']}")
            yield [*values, *(form[name] for name in LIAISON_FORM_FIELDS),
                   local(words, row.liaison.registered_at)]

    title = words.plain("desk.roster_heading", campaign=heading.campaign)
    note = words.plain("desk.roster_as_of", time=words.moment(heading.as_of),
                       scope=heading.scope, units=len(rows), liaisons=liaisons)
    _write_table(path, words, words.plain("desk.roster_title"),
                 [(words.plain("desk.roster_annex"), "annex"), (title, "title"),
                  (note, "note")],
                 [header], [], body, frozen_columns=2)


def write_summary(path: Path, words: Words, heading: Heading, what: str,
                  units: Sequence[Unit], parents: Mapping[int, str],
                  columns: Sequence[Column]) -> None:
    """Unit × period: the state as words (按时 / 迟交 2 小时 / 本期无材料（原因：…）/ 未交) and,
    beside it, the minutes late as a number to sort by; one 合计 column group (on time,
    late, nil, missing per unit) and one 合计 row (per period and in all)."""
    states = [words.group(state) for state in SUMMARY_STATES]
    top: list[object] = [words.plain("desk.roster_number"), words.plain("desk.summary_unit"),
                         words.plain("desk.roster_parent")]
    below: list[object] = [None, None, None]
    merges: list[tuple[int, int, int, int]] = [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 1, 2)]
    for column in columns:
        merges.append((0, len(top), 0, len(top) + 1))
        top += [words.target(column.deadline), None]
        below += [words.plain("desk.summary_state"), words.plain("desk.summary_minutes")]
    merges.append((0, len(top), 0, len(top) + len(states) - 1))
    top += [words.plain("desk.summary_total"), *[None] * (len(states) - 1)]
    below += states

    def counts(unit: Unit) -> dict[str, int]:
        found = dict.fromkeys(SUMMARY_STATES, 0)
        for column in columns:
            state = column.state(unit)
            if state in found:
                found[state] += 1
        return found

    def body() -> Iterator[list[object]]:
        for number, unit in enumerate(units, start=1):
            row: list[object] = [number, unit.name, parents.get(unit.id, "")]
            for column in columns:
                late = column.late_seconds(unit)
                row += [column.text(words, unit),
                        math.ceil(late / 60) if late and column.state(unit) in (LATE, NIL)
                        else None]
            yield [*row, *counts(unit).values()]

    per_unit = [counts(unit) for unit in units]
    total: list[object] = [None, words.plain("desk.summary_total"), None]
    for column in columns:
        tally = {state: 0 for state in (*SUMMARY_STATES, NOT_DUE)}
        for unit in units:
            tally[column.state(unit)] += 1
        total += ["\n".join(f"{words.group(state)} {count}" for state, count in tally.items()
                            if count or state in SUMMARY_STATES), None]
    total += [sum(found[state] for found in per_unit) for state in SUMMARY_STATES]
    note = words.plain("desk.summary_note", what=what, scope=heading.scope,
                       time=words.moment(heading.as_of))
    _write_table(path, words, words.plain("desk.summary_sheet"),
                 [(words.plain("desk.summary_heading", campaign=heading.campaign), "title"),
                  (note, "note")],
                 [top, below], merges, body, footer=[total], frozen_columns=2)


def _write_table(path: Path, words: Words, sheet_title: str,
                 titles: Sequence[tuple[str, str]], header: Sequence[Sequence[object]],
                 merges: Sequence[tuple[int, int, int, int]],
                 body: Callable[[], Iterable[Sequence[object]]],
                 footer: Sequence[Sequence[object]] = (), frozen_columns: int = 1) -> None:
    """A one-sheet table: full-width title lines, header rows (``merges`` are (first row,
    first column, last row, last column) within them, from 0), the body and footer rows;
    each column as wide as its longest line (within bounds), each row as tall as its
    wrapped texts.

    Written row by row in openpyxl's write-only mode: no cell is kept, so 10,000 rows hold
    neither the memory nor the collector's time (whose full passes stop every thread) that a
    workbook held whole does. The widths come before the rows, so ``body`` is called twice.
    """
    from openpyxl import Workbook  # heavy: loaded on first use, in the worker thread
    from openpyxl.utils import get_column_letter

    from bot.office import sheets

    width = max(len(row) for row in header)
    widths = sheets.fitted_widths([header[-1], *body(), *footer], maximum=30)
    widths += [6.0] * (width - len(widths))
    spans = {(top, left): right for top, left, _, right in merges}
    for top, row in enumerate(header):
        for left, value in enumerate(row):
            if value is None:
                continue
            right = spans.get((top, left), left)
            missing = sheets.text_width(str(value)) + 2 - sum(widths[left:right + 1])
            for index in range(left, right + 1):
                widths[index] += max(missing, 0) / (right - left + 1)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    sheets.set_widths(sheet, widths)
    first_header = len(titles) + 1
    last_header = first_header + len(header) - 1
    sheets.print_setup(sheet, footer=words.plain("words.page_footer"), landscape=True,
                       title_rows=(first_header, last_header),
                       freeze=f"{get_column_letter(frozen_columns + 1)}{last_header + 1}")
    looks = {"annex": sheets.ANNEX, "title": sheets.TITLE, "note": sheets.NOTE}
    for number, (_, kind) in enumerate(titles, start=1):
        sheets.merge(sheet, number, 1, number, width)
        if kind == "title":
            sheet.row_dimensions[number].height = 30
    for top, left, bottom, right in merges:
        sheets.merge(sheet, first_header + top, left + 1, first_header + bottom, right + 1)
    reach = {(top, left): (bottom, right) for top, left, bottom, right in merges}
    for top, row in enumerate(header):
        texts = []
        for left, value in enumerate(row):
            bottom, right = reach.get((top, left), (top, left))
            if value is not None and bottom == top:     # a cell down two rows sets neither
                texts.append((value, sum(widths[left:right + 1])))
        sheet.row_dimensions[first_header + top].height = sheets.height(texts)

    def append(values: Sequence[object], look: sheets.Look, number: int,
               row_look: Callable[[int], sheets.Look] | None = None) -> None:
        sheet.row_dimensions[number].height = sheets.height(
            (value, widths[index]) for index, value in enumerate(values)
            if isinstance(value, str))
        sheet.append([sheets.cell(sheet, value, row_look(index) if row_look else look)
                      for index, value in enumerate(values)])

    for text, kind in titles:
        sheet.append([sheets.cell(sheet, text, looks[kind])])
    for values in header:
        sheet.append(sheets.cells(sheet, list(values) + [None] * (width - len(values)),
                                  sheets.HEADER))

    def body_look(value: object) -> sheets.Look:
        return sheets.BODY_CENTRED if isinstance(value, int | float) else sheets.BODY

    dated = sheets.Look(border=sheets.BOX, alignment=sheets.CENTRE, number_format=DATE_TIME)
    body_rows = 0
    for number, values in enumerate(body(), start=last_header + 1):
        body_rows += 1
        append(values, sheets.BODY, number,
               lambda index, values=values: dated if isinstance(values[index], datetime)
               else body_look(values[index]))
    for number, values in enumerate(footer, start=last_header + body_rows + 1):
        append(values, sheets.TOTAL, number)
    sheet.auto_filter.ref = (f"A{last_header}:{get_column_letter(width)}"
                             f"{last_header + max(body_rows, 1)}")
    workbook.save(path)
