"""Reading a unit list (.xlsx or .csv): one unit per row, an optional parent unit column."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from bot.office import untrusted

HEADER_WORDS = {"单位", "单位名称", "名称", "unit", "unit name", "name"}
MAX_ROWS = 5000


class UnitFileError(Exception):
    """The file cannot be read at all; ``key`` names the catalog text."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class UnitFileTooBig(UnitFileError):
    """Over one of the limits every workbook from a user is held to."""

    def __init__(self, reason_key: str, limit: int) -> None:
        super().__init__("guard.unit_list_too_big")
        self.reason_key = reason_key
        self.limit = limit


@dataclass(frozen=True)
class UnitRow:
    number: int          # as the person sees it in the sheet (1-based)
    name: str
    parent: str


def read_unit_rows(file_name: str, data: bytes) -> list[UnitRow]:
    """The rows of a unit list; CPU-bound (call it in a worker thread)."""
    lower = file_name.lower()
    if lower.endswith(".csv"):
        table = _csv_rows(data)
    elif lower.endswith(".xlsx"):
        table = _xlsx_rows(data)
    else:
        raise UnitFileError("units.import_unknown_type")
    rows: list[UnitRow] = []
    for number, cells in enumerate(table, start=1):
        name = _cell(cells, 0)
        parent = _cell(cells, 1)
        if number == 1 and name.lower() in HEADER_WORDS:
            continue
        if not name and not parent:
            continue
        rows.append(UnitRow(number, name, parent))
        if len(rows) > MAX_ROWS:
            raise UnitFileError("units.import_too_many")
    return rows


def _cell(cells: list, index: int) -> str:
    if index >= len(cells) or cells[index] is None:
        return ""
    return " ".join(str(cells[index]).split())


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnitFileError("units.import_unreadable")
    rows = []
    try:
        for cells in csv.reader(io.StringIO(text)):
            rows.append(cells[:2])            # only the two columns read: nothing else kept
            if len(rows) > MAX_ROWS + 1:
                raise UnitFileError("units.import_too_many")
    except csv.Error as error:
        raise UnitFileError("units.import_unreadable") from error
    return rows


def _xlsx_rows(data: bytes) -> list[list]:
    """The first sheet's first two columns, vetted first (:mod:`bot.office.untrusted`) and
    read row by row in read-only mode."""
    try:
        untrusted.vet(data)
        workbook = untrusted.open_read_only(data)
    except untrusted.TooBig as error:
        raise UnitFileTooBig(error.key, error.limit) from error
    except untrusted.Unreadable as error:
        raise UnitFileError("units.import_unreadable") from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(max_col=2, max_row=MAX_ROWS + 2, values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 1:
                raise UnitFileError("units.import_too_many")
        return rows
    except IndexError as error:
        raise UnitFileError("units.import_unreadable") from error
    finally:
        workbook.close()
