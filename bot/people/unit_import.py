"""Reading a unit list (.xlsx or .csv): one unit per row, an optional parent unit column."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

HEADER_WORDS = {"单位", "单位名称", "名称", "unit", "unit name", "name"}
MAX_ROWS = 5000


class UnitFileError(Exception):
    """The file cannot be read at all; ``key`` names the catalog text."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class UnitRow:
    number: int          # as the person sees it in the sheet (1-based)
    name: str
    parent: str


def read_unit_rows(file_name: str, data: bytes) -> list[UnitRow]:
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
    return list(csv.reader(io.StringIO(text)))


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnitFileError("units.import_unreadable") from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(max_col=2, values_only=True):
            rows.append(list(values))
            if len(rows) > MAX_ROWS + 1:
                raise UnitFileError("units.import_too_many")
        return rows
    finally:
        workbook.close()
