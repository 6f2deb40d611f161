"""The statistics table as an .xlsx in the attachment 2 layout: written, read back, totalled.

Layout of a table sheet, as the notice prints it: ``附件2``, the title, the lines the unit
fills by hand (填报单位（盖章）, 填报人, 联系电话, 填报日期), a header row (item, standard,
figure, value, unit), then per section a title row and per item one row per figure; the
item and its standard are merged down the item's rows. Column F (hidden) holds each row's
figure key, so the file is read by key, not by position (files of the earlier layout, with
the header in row 3, read the same). A very hidden sheet ``_form`` carries the marker:
``A1`` = MARKER, ``B1`` = kind (unit / totals), ``C1`` = form version, ``D1`` = unit id.

Every sheet prints on A4 portrait one page wide with the header row repeated and rows tall
enough for their wrapped text (``bot.office.sheets``); every text is a string cell, so a
unit's answer starting with ``=`` stays the unit's answer.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.office import sheets, untrusted
from bot.office.sheets import BOX, CENTRE, WRAP, Look, put
from bot.stats.forms import BadValue, Figure, Form, Item, Value, parse_value, text_in

MARKER = "safety-month-stats"
MARKER_SHEET = "_form"
KEY_COLUMN = "F"
VALUE_COLUMN = "D"
FIRST_ROW = 4           # the reader looks for keys from here on (the header is above)
HEADER_ROW = 5          # the writer's header row; the sections start below it
MAX_BYTES = 2 * 1024 * 1024
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
WIDTHS = {"A": 17, "B": 31, "C": 24, "D": 15, "E": 8}    # about one A4 page wide

INPUT = PatternFill("solid", fgColor="FFF8DC")
SECTION = PatternFill("solid", fgColor="DDEBF7")
CELL = Look(border=BOX, alignment=WRAP)
CELL_CENTRED = Look(border=BOX, alignment=CENTRE)
HEADER = Look(font=Font(bold=True), border=BOX, alignment=CENTRE, fill=sheets.HEADER_FILL)
SECTION_LOOK = Look(font=Font(bold=True), fill=SECTION, border=BOX, alignment=WRAP)
TITLE_LOOK = Look(font=Font(bold=True, size=15), alignment=CENTRE)
FILLER = Look(font=Font(size=11), alignment=sheets.LEFT)


@dataclass(frozen=True)
class Labels:
    """The workbook's fixed words, in the reader's language (from the catalogs)."""
    language: str
    table_sheet: str     # the unit's sheet: "统计表"
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
    annex: str           # "附件2"
    filled_unit: str     # "填报单位（盖章）：{unit}"
    filled_by: str       # "填报人：{name}"
    filled_phone: str    # "联系电话：{phone}"
    filled_on: str       # "填报日期：{date}"
    date_blank: str      # what 填报日期 shows before the unit fills it in: "    年  月  日"
    texts_sheet: str     # the totals' sheet of text answers: "文字项"
    texts_header: tuple[str, ...]
    texts_see: str       # a text total's cell: "见“文字项”表（{count} 个单位）"
    page_footer: str     # "第 &P 页 共 &N 页"


@dataclass(frozen=True)
class Filler:
    """Who fills the table in, as its head lines say (blank where not known)."""
    unit: str
    person: str = ""
    phone: str = ""
    day: str = ""


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


class WorkbookTooBig(WorkbookUnreadable):
    """One of ours over a limit: ``key`` names the catalog text of the reason."""

    def __init__(self, key: str, limit: int) -> None:
        super().__init__(f"{key} (limit {limit})")
        self.key = key
        self.limit = limit


# ------------------------------------------------------------------ writing

def unit_workbook(form: Form, form_id: int, unit_id: int, filler: Filler,
                  values: dict[str, Value], labels: Labels) -> bytes:
    """The table for one unit to fill: its name and previous values in, input cells open."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_name(labels.table_sheet)
    rows = _write_table(sheet, form, labels, filler,
                        {key: _shown(value, labels) for key, value in values.items()},
                        {})
    _validate_inputs(sheet, form, rows, labels)
    for filled_in in ("C3", "A4", "C4"):      # 填报日期, 填报人, 联系电话: the unit may type them
        sheet[filled_in].protection = Protection(locked=False)
    _mark(workbook, "unit", form_id, unit_id)
    return _bytes(workbook)


@dataclass(frozen=True)
class UnitSheet:
    filler: Filler
    form: Form
    values: dict[str, Value]


def totals_workbook(form: Form, form_id: int, heading: str, totals: dict[str, object],
                    units: Sequence[UnitSheet], missing: Sequence[Sequence[str]],
                    labels: Labels) -> bytes:
    """Totals over the units (``totals`` as :func:`total_figures` gives: a text item's cell
    points to the sheet of text answers), a sheet per unit in its own form version, the
    text answers unit by unit, and the units that have not submitted."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_name(labels.totals_sheet)
    measures = {figure.key: labels.yes_count for _, figure in form.figures
                if figure.type == "yesno"}
    texts = [(unit.filler.unit, item, figure, unit.values[figure.key])
             for unit in units for item, figure in unit.form.figures
             if figure.type == "text" and isinstance(unit.values.get(figure.key), str)]
    shown = dict(totals)
    for _, figure in form.figures:
        if figure.type == "text":
            count = sum(1 for _, _, answered, _ in texts if answered.key == figure.key)
            shown[figure.key] = labels.texts_see.format(count=count) if count else None
    _write_table(sheet, form, labels, Filler(heading), shown, measures)
    used = {sheet.title}
    for unit in units:
        unit_sheet = workbook.create_sheet(_unique(_sheet_name(unit.filler.unit), used))
        _write_table(unit_sheet, unit.form, labels, unit.filler,
                     {key: _shown(value, labels) for key, value in unit.values.items()}, {})
    _list_sheet(workbook.create_sheet(_unique(_sheet_name(labels.texts_sheet), used)),
                labels, labels.texts_sheet, labels.texts_header,
                [(unit, f"{item.number}. {text_in(figure.label, labels.language)}", answer)
                 for unit, item, figure, answer in texts], (18, 30, 50))
    _list_sheet(workbook.create_sheet(_unique(_sheet_name(labels.missing_sheet), used)),
                labels, labels.missing_title, labels.missing_header, missing, (32, 32, 16, 16))
    _mark(workbook, "totals", form_id, None)
    return _bytes(workbook)


def _list_sheet(sheet: Worksheet, labels: Labels, title: str, header: Sequence[str],
                rows: Sequence[Sequence[object]], widths: Sequence[float]) -> None:
    """A title, a header and rows, printable: the totals' text answers and missing units."""
    put(sheet.cell(1, 1), title, Look(font=Font(bold=True, size=13)))
    for column, value in enumerate(header, start=1):
        put(sheet.cell(2, column), value, HEADER)
    for number, row in enumerate(rows, start=3):
        for column, value in enumerate(row, start=1):
            put(sheet.cell(number, column), value, CELL)
        sheet.row_dimensions[number].height = sheets.height(
            zip(row, widths, strict=False))
    sheets.set_widths(sheet, widths)
    sheets.print_setup(sheet, footer=labels.page_footer, landscape=False, title_rows=(2, 2),
                       freeze="A3")


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


def _write_table(sheet: Worksheet, form: Form, labels: Labels, filler: Filler,
                 values: dict[str, object], measures: dict[str, str]) -> dict[str, int]:
    """Write one table; returns figure key -> its row."""
    language = labels.language
    put(sheet["A1"], labels.annex, Look(font=Font(bold=True, size=12)))
    sheet.merge_cells("A2:E2")
    title = text_in(form.title, language)
    put(sheet["A2"], title, TITLE_LOOK)
    sheet.row_dimensions[2].height = sheets.height([(title, sum(WIDTHS.values()))], 15)
    for row, left, right in ((3, labels.filled_unit.format(unit=filler.unit),
                              labels.filled_on.format(date=filler.day or labels.date_blank)),
                             (4, labels.filled_by.format(name=filler.person),
                              labels.filled_phone.format(phone=filler.phone))):
        sheet.merge_cells(f"A{row}:B{row}")
        sheet.merge_cells(f"C{row}:E{row}")
        put(sheet[f"A{row}"], left, FILLER)
        put(sheet[f"C{row}"], right, FILLER)
        sheet.row_dimensions[row].height = sheets.height(
            [(left, WIDTHS["A"] + WIDTHS["B"]), (right, WIDTHS["C"] + WIDTHS["D"] + 8)])
    headers = (labels.item, labels.standard, labels.figure, labels.value, labels.measure)
    for column, header in zip("ABCDE", headers, strict=True):
        put(sheet[f"{column}{HEADER_ROW}"], header, HEADER)
    sheet.row_dimensions[HEADER_ROW].height = sheets.height([("", 1)])
    rows: dict[str, int] = {}
    row = HEADER_ROW + 1
    for section in form.sections:
        sheet.merge_cells(f"A{row}:E{row}")
        section_title = text_in(section.title, language)
        put(sheet[f"A{row}"], section_title, SECTION_LOOK)
        sheet.row_dimensions[row].height = sheets.height(
            [(section_title, sum(WIDTHS.values()))])
        row += 1
        for item in section.items:
            first = row
            heights = []
            for figure in item.figures:
                label = text_in(figure.label, language)
                value = values.get(figure.key)
                measure = measures.get(figure.key, figure.unit or "")
                put(sheet[f"C{row}"], label, CELL)
                put(sheet[f"{VALUE_COLUMN}{row}"], value, CELL)
                if figure.type == "count":
                    sheet[f"{VALUE_COLUMN}{row}"].number_format = "0"
                put(sheet[f"E{row}"], measure, CELL_CENTRED)
                put(sheet[f"{KEY_COLUMN}{row}"], figure.key)
                for column in "AB":
                    sheet[f"{column}{row}"].border = BOX
                heights.append(sheets.height([(label, WIDTHS["C"]), (value, WIDTHS["D"]),
                                              (measure, WIDTHS["E"])]))
                rows[figure.key] = row
                row += 1
            last = max(row - 1, first)
            name = f"{item.number}. {text_in(item.title, language)}"
            standard = text_in(item.standard, language)
            put(sheet[f"A{first}"], name, CELL)
            put(sheet[f"B{first}"], standard, CELL)
            if last > first:
                sheet.merge_cells(f"A{first}:A{last}")
                sheet.merge_cells(f"B{first}:B{last}")
            needed = sheets.height([(name, WIDTHS["A"]), (standard, WIDTHS["B"])])
            heights = heights or [sheets.height([])]
            extra = max(0.0, needed - sum(heights)) / len(heights)
            for offset, height in enumerate(heights):
                sheet.row_dimensions[first + offset].height = round(height + extra, 1)
            row = max(row, first + 1)
    sheets.set_widths(sheet, list(WIDTHS.values()))
    sheet.column_dimensions[KEY_COLUMN].hidden = True
    sheet.oddHeader.right.text = filler.unit
    sheet.oddHeader.right.size = 9
    sheets.print_setup(sheet, footer=labels.page_footer, landscape=False,
                       title_rows=(HEADER_ROW, HEADER_ROW), freeze=f"A{HEADER_ROW + 1}")
    sheet.print_area = f"A1:E{row - 1}"
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
    """A user's .xlsx, vetted (:func:`bot.office.untrusted.vet`: the zip's uncompressed
    size, every part's elements, each sheet's dimension, rows and cells) and opened in
    read-only mode; :class:`WorkbookTooBig` when over a limit. Runs in a worker thread."""
    if len(data) > MAX_BYTES:
        raise WorkbookTooBig("guard.limit_file", MAX_BYTES // (1024 * 1024))
    try:
        untrusted.vet(data)
        return untrusted.open_read_only(data)
    except untrusted.TooBig as error:
        raise WorkbookTooBig(error.key, error.limit) from error
    except untrusted.Unreadable as error:
        raise WorkbookUnreadable(str(error)) from error


def has_marker_sheet(data: bytes) -> bool:
    """Whether an .xlsx has the marker's sheet, read from its sheet list alone (the only
    part read): any other workbook is left alone, however big."""
    try:
        return MARKER_SHEET in untrusted.sheet_names(data)
    except (untrusted.TooBig, untrusted.Unreadable):
        return False


def open_marked(data: bytes, kind: str) -> tuple[Workbook, Marker] | None:
    """A workbook this bot made (``kind``: xlsx or ods) with its marker, or None for any
    other; the marker's sheet is looked for before anything else is read. Raises
    :class:`WorkbookTooBig` for one of ours over the limits. Runs in a worker thread."""
    if kind == "ods":
        workbook = open_ods(data)
    elif not has_marker_sheet(data):
        return None
    else:
        workbook = open_workbook(data)
    marker = read_marker(workbook)
    return (workbook, marker) if marker is not None else None


def open_ods(data: bytes) -> Workbook:
    """A table re-saved as .ods, as a workbook :func:`read_marker` and :func:`read_values`
    read like the .xlsx it was (values only)."""
    from bot.stats import ods

    if len(data) > MAX_BYTES:
        raise WorkbookUnreadable("too big")
    try:
        found = ods.read_sheets(data)
    except ods.NotReadable as error:
        raise WorkbookUnreadable(str(error)) from error
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, cells in found.items():
        sheet = workbook.create_sheet(_sheet_name(name))
        for (row, column), value in cells.items():
            put(sheet.cell(row, column), value)
    return workbook


def marked_in_binary(data: bytes) -> bool:
    """Whether a binary spreadsheet (.xls, WPS's .et) holds this bot's marker: a table
    re-saved in Excel's old format, which the bot does not read."""
    return MARKER.encode("ascii") in data or MARKER.encode("utf-16-le") in data


def read_marker(workbook: Workbook) -> Marker | None:
    """The marker of a workbook this bot made, or None for any other workbook."""
    if MARKER_SHEET not in workbook.sheetnames:
        return None
    first = next(workbook[MARKER_SHEET].iter_rows(max_row=1, max_col=4, values_only=True),
                 ())
    mark, kind, form_id, unit_id = (tuple(first) + (None,) * 4)[:4]
    if mark != MARKER or kind not in ("unit", "totals"):
        return None
    try:
        return Marker(str(kind), int(form_id),
                      int(unit_id) if unit_id not in (None, "") else None)
    except (TypeError, ValueError):
        return None


MAX_READ_ROWS = 5000


def read_values(workbook: Workbook, form: Form
                ) -> tuple[dict[str, Value], list[CellProblem]]:
    """The figures in the unit's table, and every cell that does not hold a good value.
    Read row by row (a read-only workbook parses as it goes), at most ``MAX_READ_ROWS``."""
    sheet = next(sheet for sheet in workbook.worksheets if sheet.title != MARKER_SHEET)
    by_key = {figure.key: (item, figure) for item, figure in form.figures}
    values: dict[str, Value] = {}
    problems: list[CellProblem] = []
    key_index = ord(KEY_COLUMN) - ord("A")
    value_index = ord(VALUE_COLUMN) - ord("A")
    rows = sheet.iter_rows(min_row=FIRST_ROW, max_row=FIRST_ROW + MAX_READ_ROWS,
                           max_col=key_index + 1, values_only=True)
    for row, cells in enumerate(rows, start=FIRST_ROW):
        key = cells[key_index] if len(cells) > key_index else None
        if not isinstance(key, str) or key not in by_key or key in values:
            continue
        item, figure = by_key[key]
        raw = cells[value_index] if len(cells) > value_index else None
        try:
            value = parse_value(figure, raw)
        except BadValue as problem:
            problems.append(CellProblem(f"{VALUE_COLUMN}{row}", item, figure, problem.key))
            continue
        if value is not None:
            values[key] = value
    return values, problems
