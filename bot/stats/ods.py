"""A statistics table re-saved as OpenDocument (.ods, LibreOffice's and WPS's "ODF" format)
read into an openpyxl workbook, so it is recognised and read exactly as the .xlsx it was.

Only what the table needs is read: each sheet's name and the values of its cells (numbers,
booleans, texts); styles, formulas and everything else are ignored. A hostile file is
refused before it costs anything: the zip's content.xml over ``MAX_CONTENT`` bytes
uncompressed, a cell with a value beyond ``MAX_ROWS`` × ``MAX_COLUMNS``, or more than
``MAX_CELLS`` values. Repeated empty rows and cells (LibreOffice writes the million empty
rows below a table as one row repeated) are counted, never expanded. The XML is parsed by
expat, which refuses entity expansion bombs; no external entity is ever fetched.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import ParseError, iterparse

MIME = b"application/vnd.oasis.opendocument.spreadsheet"
MAX_CONTENT = 16 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 64
MAX_CELLS = 50_000

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
SHEET = f"{{{TABLE}}}table"
ROW = f"{{{TABLE}}}table-row"
CELLS = (f"{{{TABLE}}}table-cell", f"{{{TABLE}}}covered-table-cell")
PARAGRAPH = f"{{{TEXT}}}p"


class NotReadable(Exception):
    """Not an OpenDocument spreadsheet, damaged, or over the limits (the reason says)."""


def is_ods(data: bytes) -> bool:
    """An OpenDocument spreadsheet: a zip whose first entry, ``mimetype``, says so."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read("mimetype").strip() == MIME
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return False


def read_sheets(data: bytes) -> dict[str, dict[tuple[int, int], object]]:
    """sheet name -> {(row, column) from 1: value}, in the file's order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        info = archive.getinfo("content.xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise NotReadable(f"not an OpenDocument file: {error}") from error
    if info.file_size > MAX_CONTENT:
        raise NotReadable(f"content.xml is {info.file_size} bytes uncompressed")
    sheets: dict[str, dict[tuple[int, int], object]] = {}
    cells = 0
    with archive, archive.open(info) as content:
        current: dict[tuple[int, int], object] | None = None
        row, column = 0, 0
        open_elements = []          # to drop each row and cell once read: memory stays flat
        try:
            for event, element in iterparse(content, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    open_elements.append(element)
                    if tag == SHEET:
                        name = element.get(f"{{{TABLE}}}name") or f"Sheet{len(sheets) + 1}"
                        current = sheets.setdefault(name, {})
                        row = 0
                    elif tag == ROW:
                        column = 0
                    continue
                open_elements.pop()
                if tag in CELLS and current is not None:
                    repeat = _repeat(element, "number-columns-repeated")
                    value = _value(element)
                    if value is not None:
                        if row + 1 > MAX_ROWS or column + repeat > MAX_COLUMNS:
                            raise NotReadable("a value beyond the table's size limits")
                        cells += repeat
                        if cells > MAX_CELLS:
                            raise NotReadable(f"more than {MAX_CELLS} values")
                        for offset in range(repeat):
                            current[(row + 1, column + offset + 1)] = value
                    column += repeat
                elif tag == ROW:
                    row += _repeat(element, "number-rows-repeated")
                elif tag == SHEET:
                    current = None
                if tag in (ROW, SHEET, *CELLS) and open_elements:
                    open_elements[-1].remove(element)
        except ParseError as error:
            raise NotReadable(f"damaged content.xml: {error}") from error
    return sheets


def _repeat(element, attribute: str) -> int:
    try:
        return max(1, int(element.get(f"{{{TABLE}}}{attribute}", "1")))
    except ValueError:
        return 1


def _value(element) -> object:
    """A cell's value: a number (an int when whole), a boolean, a text, or None."""
    kind = element.get(f"{{{OFFICE}}}value-type")
    if kind in ("float", "percentage", "currency"):
        try:
            number = float(element.get(f"{{{OFFICE}}}value", ""))
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        return element.get(f"{{{OFFICE}}}boolean-value") == "true"
    if kind is None:
        return None
    text = element.get(f"{{{OFFICE}}}string-value")
    if text is None:
        text = "\n".join(_text(paragraph) for paragraph in element.iter(PARAGRAPH))
    return text if text != "" else None


def _text(paragraph) -> str:
    """A paragraph's text with its spaces (``text:s``), tabs and line breaks."""
    parts = [paragraph.text or ""]
    for child in paragraph:
        name = child.tag.rsplit("}", 1)[-1]
        if name == "s":
            parts.append(" " * _count(child))
        elif name == "tab":
            parts.append("\t")
        elif name == "line-break":
            parts.append("\n")
        else:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _count(element) -> int:
    try:
        return min(1000, max(1, int(element.get(f"{{{TEXT}}}c", "1"))))
    except ValueError:
        return 1
