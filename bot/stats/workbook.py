"""The statistics table as an .xlsx in the attachment 2 layout: written, read back, totalled.

Layout of a table sheet: the title, ``单位：<name>``, a header row (item, standard, figure,
value, unit), then per section a title row and per item one row per figure; the item and its
standard are merged down the item's rows. Column F (hidden) holds each row's figure key, so
the file is read by key, not by position. A very hidden sheet ``_form`` carries the marker:
``A1`` = MARKER, ``B1`` = kind (unit / totals), ``C1`` = form version, ``D1`` = unit id.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.stats.forms import BadValue, Figure, Form, Item, Value, parse_value, text_in

MARKER = "safety-month-stats"
MARKER_SHEET = "_form"
KEY_COLUMN = "F"
VALUE_COLUMN = "D"
FIRST_ROW = 4
MAX_BYTES = 2 * 1024 * 1024
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
INPUT = PatternFill("solid", fgColor="FFF8DC")
SECTION = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Labels:
    """The workbook's fixed words, in the reader's language (from the catalogs)."""
    language: str
    table_sheet: str     # the unit's sheet: "统计表"
    unit: str            # "单位："
    item: str
    standard: str
    figure: str
    value: str
    measure: str         # the unit-of-measure column
    yes: str
    no: str
    yes_count: str       # unit column of a yes/no total: "个“是”"
    bad_count: str       # Excel's validation message
    missing_title: str
    missing_header: tuple[str, ...]
    totals_sheet: str
    missing_sheet: str


@dataclass(frozen=True)
class Marker:
    kind: str            # "unit" or "totals"
    form_id: int
    unit_id: int | None


@dataclass(frozen=True)
class CellProblem:
    cell: str
    item: Item
    figure: Figure
    reason: str          # catalog key


class WorkbookUnreadable(Exception):
    pass


# ------------------------------------------------------------------ writing

def unit_workbook(form: Form, form_id: int, unit_id: int, unit_name: str,
                  values: dict[str, Value], labels: Labels) -> bytes:
    """The table for one unit to fill: its name and previous values in, input cells open."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_name(labels.table_sheet)
    rows = _write_table(sheet, form, labels, unit_name,
                        {key: _shown(value, labels) for key, value in values.items()},
                        {})
    _validate_inputs(sheet, form, rows, labels)
    _mark(workbook, "unit", form_id, unit_id)
    return _bytes(workbook)


@dataclass(frozen=True)
class UnitSheet:
    name: str
    form: Form
    values: dict[str, Value]


def totals_workbook(form: Form, form_id: int, heading: str, totals: dict[str, object],
                    units: Sequence[UnitSheet], missing: Sequence[Sequence[str]],
                    labels: Labels) -> bytes:
    """Totals over the units (``totals`` as :func:`total_figures` gives), a sheet per unit
    in its own form version, and the units that have not submitted."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_name(labels.totals_sheet)
    measures = {figure.key: labels.yes_count for _, figure in form.figures
                if figure.type == "yesno"}
    _write_table(sheet, form, labels, heading, dict(totals), measures)
    used = {sheet.title}
    for unit in units:
        unit_sheet = workbook.create_sheet(_unique(_sheet_name(unit.name), used))
        _write_table(unit_sheet, unit.form, labels, unit.name,
                     {key: _shown(value, labels) for key, value in unit.values.items()}, {})
    absent = workbook.create_sheet(_unique(_sheet_name(labels.missing_sheet), used))
    absent.append([labels.missing_title])
    absent["A1"].font = Font(bold=True, size=13)
    absent.append(list(labels.missing_header))
    for cell in absent[2]:
        cell.font = Font(bold=True)
    for row in missing:
        absent.append(list(row))
    for column, width in zip("ABCD", (32, 32, 16, 16), strict=True):
        absent.column_dimensions[column].width = width
    _mark(workbook, "totals", form_id, None)
    return _bytes(workbook)


def total_figures(form: Form, entries: Sequence[dict[str, Value]],
                  names: Sequence[str]) -> dict[str, object]:
    """Counts summed, yes/no as the number of "yes", texts as ``unit: text`` lines."""
    totals: dict[str, object] = {}
    for _, figure in form.figures:
        if figure.type == "count":
            totals[figure.key] = sum(
                value for values in entries
                if isinstance(value := values.get(figure.key), int)
                and not isinstance(value, bool))
        elif figure.type == "yesno":
            totals[figure.key] = sum(1 for values in entries if values.get(figure.key) is True)
        else:
            lines = [f"{name}：{values[figure.key]}" for name, values in zip(
                names, entries, strict=True) if isinstance(values.get(figure.key), str)]
            totals[figure.key] = "\n".join(lines) if lines else None
    return totals


def _shown(value: Value, labels: Labels) -> object:
    if isinstance(value, bool):
        return labels.yes if value else labels.no
    return value


def _write_table(sheet: Worksheet, form: Form, labels: Labels, unit_name: str,
                 values: dict[str, object], measures: dict[str, str]) -> dict[str, int]:
    """Write one table; returns figure key -> its row."""
    sheet.merge_cells("A1:E1")
    sheet["A1"] = text_in(form.title, labels.language)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = CENTER
    sheet.row_dimensions[1].height = 36
    sheet["A2"] = labels.unit
    sheet["A2"].font = Font(bold=True)
    sheet.merge_cells("B2:E2")
    sheet["B2"] = unit_name
    sheet["B2"].font = Font(bold=True)
    headers = (labels.item, labels.standard, labels.figure, labels.value, labels.measure)
    for column, header in zip("ABCDE", headers, strict=True):
        cell = sheet[f"{column}3"]
        cell.value = header
        cell.font = Font(bold=True)
        cell.alignment = CENTER
        cell.border = BOX
    rows: dict[str, int] = {}
    row = FIRST_ROW
    for section in form.sections:
        sheet.merge_cells(f"A{row}:E{row}")
        sheet[f"A{row}"] = text_in(section.title, labels.language)
        sheet[f"A{row}"].font = Font(bold=True)
        sheet[f"A{row}"].fill = SECTION
        row += 1
        for item in section.items:
            first = row
            for figure in item.figures:
                sheet[f"C{row}"] = text_in(figure.label, labels.language)
                value_cell = sheet[f"{VALUE_COLUMN}{row}"]
                value_cell.value = values.get(figure.key)
                if figure.type == "count":
                    value_cell.number_format = "0"
                sheet[f"E{row}"] = measures.get(figure.key, figure.unit or "")
                sheet[f"{KEY_COLUMN}{row}"] = figure.key
                for column in "ABCDE":
                    sheet[f"{column}{row}"].border = BOX
                    sheet[f"{column}{row}"].alignment = WRAP
                sheet[f"E{row}"].alignment = CENTER
                rows[figure.key] = row
                row += 1
            last = max(row - 1, first)
            sheet[f"A{first}"] = f"{item.number}. {text_in(item.title, labels.language)}"
            sheet[f"B{first}"] = text_in(item.standard, labels.language)
            if last > first:
                sheet.merge_cells(f"A{first}:A{last}")
                sheet.merge_cells(f"B{first}:B{last}")
            sheet[f"A{first}"].alignment = WRAP
            sheet[f"B{first}"].alignment = WRAP
            row = max(row, first + 1)
    for column, width in zip("ABCDE", (26, 50, 42, 14, 10), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.column_dimensions[KEY_COLUMN].hidden = True
    sheet.freeze_panes = f"A{FIRST_ROW}"
    return rows


def _validate_inputs(sheet: Worksheet, form: Form, rows: dict[str, int], labels: Labels) -> None:
    """Open the value cells for input (the rest is protected, without a password) and let
    Excel check whole numbers and offer yes / no."""
    whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                           allow_blank=True, showErrorMessage=True, error=labels.bad_count)
    choice = DataValidation(type="list", formula1=f'"{labels.yes},{labels.no}"',
                            allow_blank=True, showErrorMessage=True)
    for _, figure in form.figures:
        cell = sheet[f"{VALUE_COLUMN}{rows[figure.key]}"]
        cell.protection = Protection(locked=False)
        cell.fill = INPUT
        if figure.type == "count":
            whole.add(cell.coordinate)
        elif figure.type == "yesno":
            choice.add(cell.coordinate)
    for validation in (whole, choice):
        if validation.sqref:
            sheet.add_data_validation(validation)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.protection.formatCells = False


def _mark(workbook: Workbook, kind: str, form_id: int, unit_id: int | None) -> None:
    marker = workbook.create_sheet(MARKER_SHEET)
    marker.append([MARKER, kind, form_id, unit_id])
    marker.sheet_state = "veryHidden"


def _sheet_name(name: str) -> str:
    return SHEET_NAME_BAD.sub("_", name).strip("'")[:31] or "_"


def _unique(name: str, used: set[str]) -> str:
    candidate, number = name, 2
    while candidate.lower() in {existing.lower() for existing in used} \
            or candidate == MARKER_SHEET:
        suffix = f" ({number})"
        candidate = name[: 31 - len(suffix)] + suffix
        number += 1
    used.add(candidate)
    return candidate


def _bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ------------------------------------------------------------------ reading

def open_workbook(data: bytes) -> Workbook:
    if len(data) > MAX_BYTES:
        raise WorkbookUnreadable("too big")
    try:
        return load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError,
            TypeError, AttributeError, IndexError) as error:
        # whatever a damaged or foreign file makes openpyxl raise: it is not ours to read
        raise WorkbookUnreadable(str(error)) from error


def read_marker(workbook: Workbook) -> Marker | None:
    """The marker of a workbook this bot made, or None for any other workbook."""
    if MARKER_SHEET not in workbook.sheetnames:
        return None
    kind, form_id, unit_id = (workbook[MARKER_SHEET][f"{column}1"].value
                              for column in "BCD")
    if workbook[MARKER_SHEET]["A1"].value != MARKER or kind not in ("unit", "totals"):
        return None
    try:
        return Marker(str(kind), int(form_id),
                      int(unit_id) if unit_id not in (None, "") else None)
    except (TypeError, ValueError):
        return None


def read_values(workbook: Workbook, form: Form
                ) -> tuple[dict[str, Value], list[CellProblem]]:
    """The figures in the unit's table, and every cell that does not hold a good value."""
    sheet = next(sheet for sheet in workbook.worksheets if sheet.title != MARKER_SHEET)
    by_key = {figure.key: (item, figure) for item, figure in form.figures}
    values: dict[str, Value] = {}
    problems: list[CellProblem] = []
    for row in range(FIRST_ROW, sheet.max_row + 1):
        key = sheet[f"{KEY_COLUMN}{row}"].value
        if not isinstance(key, str) or key not in by_key or key in values:
            continue
        item, figure = by_key[key]
        cell = sheet[f"{VALUE_COLUMN}{row}"]
        try:
            value = parse_value(figure, cell.value)
        except BadValue as problem:
            problems.append(CellProblem(cell.coordinate, item, figure, problem.key))
            continue
        if value is not None:
            values[key] = value
    return values, problems
