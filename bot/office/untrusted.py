"""An .xlsx from a user is hostile until proven small: vetted here before openpyxl sees it.

A 617 KB workbook can hold 20 M cells (its XML compresses a thousandfold), and openpyxl —
even in read-only mode, which sizes every sheet when it opens the file — builds a tree
node per element it meets. So :func:`vet` reads the zip's directory (entries, their
declared uncompressed sizes, which zipfile enforces while reading) and streams every XML
part through expat, keeping nothing but counts: it stops at the first limit passed, so a
bomb costs a few milliseconds and a few kilobytes. A worksheet is also held to its
``<dimension>``, its row numbers and its cells per row. Only then is the file opened, in
read-only mode (:func:`open_read_only`), and read row by row with caps.

:func:`sheet_names` lists the sheets from ``xl/workbook.xml`` alone, so a caller looking
for one sheet (the statistics marker) knows whether to look without reading any other part.
Everything here is synchronous and CPU-bound: call it in a worker thread.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.parsers import expat

if TYPE_CHECKING:
    from openpyxl import Workbook

MB = 1024 * 1024
MAX_ENTRIES = 1000
MAX_UNCOMPRESSED = 32 * MB     # the whole package, images included
MAX_PART = 16 * MB             # one XML part
MAX_ELEMENTS = 500_000         # per XML part (the bot's table has ~2,000, a styles.xml ~5,000)
MAX_ROWS = 10_000              # the row number of any row or cell (the unit list caps at 5,000)
MAX_COLUMNS = 256              # the column of any cell
MAX_CELLS = 200_000            # cells in one sheet
WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
CELL_REFERENCE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
CHUNK = 64 * 1024


class Unreadable(Exception):
    """Not an .xlsx at all (not a zip, no workbook part, broken XML)."""


class TooBig(Exception):
    """Over a limit: ``key`` names the catalog text of the reason, ``limit`` its figure."""

    def __init__(self, key: str, limit: int, part: str = "") -> None:
        super().__init__(f"{key} (limit {limit}) in {part or 'the package'}")
        self.key = key
        self.limit = limit
        self.part = part


@dataclass
class _Counts:
    part: str
    worksheet: bool
    elements: int = 0
    cells: int = 0
    row: int = 0
    cells_in_row: int = 0
    sheets: list[str] = field(default_factory=list)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _over(counts: _Counts, key: str, limit: int) -> TooBig:
    return TooBig(key, limit, counts.part)


def _check_reference(counts: _Counts, reference: str) -> None:
    match = CELL_REFERENCE.match(reference)
    if match is None:
        return
    if _column_number(match.group(1)) > MAX_COLUMNS:
        raise _over(counts, "guard.limit_columns", MAX_COLUMNS)
    if int(match.group(2)) > MAX_ROWS:
        raise _over(counts, "guard.limit_rows", MAX_ROWS)


def _scan(archive: zipfile.ZipFile, info: zipfile.ZipInfo, worksheet: bool,
          names: bool = False) -> _Counts:
    """Stream one XML part through expat, counting; raise at the first limit passed."""
    counts = _Counts(info.filename, worksheet)
    parser = expat.ParserCreate(namespace_separator=" ")

    def start(tag: str, attributes: dict[str, str]) -> None:
        counts.elements += 1
        if counts.elements > MAX_ELEMENTS:
            raise _over(counts, "guard.limit_elements", MAX_ELEMENTS)
        local = tag.rsplit(" ", 1)[-1]
        if names and local == "sheet":
            counts.sheets.append(attributes.get("name", ""))
        if not worksheet:
            return
        if local == "dimension":
            for corner in attributes.get("ref", "").split(":"):
                _check_reference(counts, corner)
        elif local == "row":
            number = attributes.get("r")
            counts.row = int(number) if number and number.isdigit() else counts.row + 1
            if counts.row > MAX_ROWS:
                raise _over(counts, "guard.limit_rows", MAX_ROWS)
            counts.cells_in_row = 0
        elif local == "c":
            counts.cells += 1
            counts.cells_in_row += 1
            if counts.cells > MAX_CELLS:
                raise _over(counts, "guard.limit_cells", MAX_CELLS)
            if counts.cells_in_row > MAX_COLUMNS:
                raise _over(counts, "guard.limit_columns", MAX_COLUMNS)
            _check_reference(counts, attributes.get("r", ""))

    def doctype(*_: object) -> None:
        raise Unreadable(f"{info.filename}: a DOCTYPE has no place in an .xlsx")

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        with archive.open(info) as source:
            while chunk := source.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise Unreadable(f"{info.filename}: {error}") from error
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        raise Unreadable(f"{info.filename}: {error}") from error
    return counts


def _archive(data: bytes, sizes: bool = True) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise Unreadable(f"not a zip: {error}") from error
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise TooBig("guard.limit_entries", MAX_ENTRIES)
    if sizes and sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED:
        raise TooBig("guard.limit_uncompressed", MAX_UNCOMPRESSED // MB)
    return archive


def _workbook_part(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    try:
        info = archive.getinfo("xl/workbook.xml")
    except KeyError as error:
        raise Unreadable("no xl/workbook.xml") from error
    if info.file_size > MAX_PART:
        raise TooBig("guard.limit_part", MAX_PART // MB, info.filename)
    return info


def sheet_names(data: bytes) -> list[str]:
    """The sheets' names, in order, read from ``xl/workbook.xml`` alone (its size checked,
    not the other parts': they are not read)."""
    with _archive(data, sizes=False) as archive:
        return _scan(archive, _workbook_part(archive), worksheet=False, names=True).sheets


def vet(data: bytes) -> None:
    """Raise :class:`TooBig` (or :class:`Unreadable`) unless every part is within the
    limits; reads nothing into memory beyond one chunk at a time."""
    with _archive(data) as archive:
        _workbook_part(archive)
        for info in archive.infolist():
            name = info.filename
            if not name.endswith((".xml", ".rels", ".vml")):
                continue
            if info.file_size > MAX_PART:
                raise TooBig("guard.limit_part", MAX_PART // MB, name)
            _scan(archive, info, worksheet=bool(WORKSHEET.match(name)))


def open_read_only(data: bytes) -> Workbook:
    """The vetted file in openpyxl's read-only mode (values only): rows are parsed as they
    are iterated, nothing is kept. Call :func:`vet` first."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError,
            TypeError, AttributeError, IndexError) as error:
        raise Unreadable(str(error)) from error
