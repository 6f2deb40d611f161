"""Every workbook's cells and pages: the one way to write a value and the one print setup.

A text a user typed (a unit name, a liaison's position, a statistics answer) may start with
``=``, ``+``, ``-``, ``@``, a tab or a line break; written as openpyxl guesses, ``=…``
becomes a live formula (``=HYPERLINK(…)`` a link, ``=长春市…`` ``#NAME?``) and ``#NAME?``
an error cell. :func:`put` writes every ``str`` as a string cell, whatever it starts with,
with the characters XML cannot hold dropped and cut at Excel's 32,767. The bot writes no
formula of its own.

:func:`print_setup` gives a sheet what an office prints it with: A4, the orientation, fit
to one page wide, title rows repeated on every page, frozen panes and a page-number footer.
:func:`height` is a row's height for its wrapped texts: neither Excel nor LibreOffice
grows a row to fit a merged cell, and a row of the default height cuts wrapped text.

Imported in the worker thread that writes the file (openpyxl is heavy).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties

MAX_CELL_TEXT = 32767           # Excel keeps no more in a cell
NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
A4 = 9                          # the page size code of A4 in SpreadsheetML
LINE_POINTS = 1.35              # a line's height in points per point of font size (CJK fonts)

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center")
RIGHT = Alignment(horizontal="right", vertical="center")
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")


@dataclass(frozen=True)
class Look:
    """How a cell looks; None leaves openpyxl's default."""
    font: Font | None = None
    fill: PatternFill | None = None
    border: Border | None = None
    alignment: Alignment | None = None
    number_format: str | None = None


TITLE = Look(font=Font(bold=True, size=16), alignment=CENTRE)
ANNEX = Look(font=Font(bold=True, size=12), alignment=LEFT)    # "附件1" above a title
NOTE = Look(alignment=RIGHT)
HEADER = Look(font=Font(bold=True), fill=HEADER_FILL, border=BOX, alignment=CENTRE)
BODY = Look(border=BOX, alignment=WRAP)
BODY_CENTRED = Look(border=BOX, alignment=CENTRE)
TOTAL = Look(font=Font(bold=True), fill=HEADER_FILL, border=BOX, alignment=CENTRE)


def clean(text: str) -> str:
    """A text as a cell can hold it: characters XML cannot carry dropped, cut to the limit."""
    return NOT_IN_XML.sub("", text)[:MAX_CELL_TEXT]


def put(cell, value: object, look: Look | None = None):
    """Write ``value`` into a cell (of any sheet); a ``str`` is always a string cell."""
    if isinstance(value, str):
        cell.value = clean(value)
        cell.data_type = "s"        # not "f" (a formula) nor "e" (an error code)
    else:
        cell.value = value
    if look is not None:
        if look.font is not None:
            cell.font = look.font
        if look.fill is not None:
            cell.fill = look.fill
        if look.border is not None:
            cell.border = look.border
        if look.alignment is not None:
            cell.alignment = look.alignment
        if look.number_format is not None:
            cell.number_format = look.number_format
    return cell


def cell(sheet, value: object, look: Look | None = None) -> WriteOnlyCell:
    """A cell for a write-only sheet's ``append``."""
    return put(WriteOnlyCell(sheet), value, look)


def cells(sheet, values: Iterable[object], look: Look | None = None) -> list[WriteOnlyCell]:
    return [cell(sheet, value, look) for value in values]


def print_setup(sheet, *, footer: str, landscape: bool, title_rows: tuple[int, int] | None,
                freeze: str | None = None) -> None:
    """A4 in the orientation, fit to one page wide (as many pages down as it takes),
    ``title_rows`` (first, last) repeated on every page, panes frozen above and left of
    ``freeze``, ``footer`` centred at the foot of every page ("第 &P 页 共 &N 页")."""
    setup = sheet.page_setup
    setup.paperSize = A4
    setup.orientation = "landscape" if landscape else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.7,
                                     header=0.3, footer=0.3)
    sheet.print_options.horizontalCentered = True
    if title_rows is not None:
        sheet.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
    if freeze is not None:
        sheet.freeze_panes = freeze
    sheet.oddFooter.center.text = footer
    sheet.oddFooter.center.size = 9


def text_width(text: str) -> float:
    """A line's width in column-width units (the width of a "0"): a wide character — CJK,
    full-width punctuation — counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def lines(text: object, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide."""
    if text is None or text == "":
        return 1
    usable = max(width - 1.5, 1)        # the cell's padding
    return sum(max(1, math.ceil(text_width(part) / usable))
               for part in str(text).split("\n"))


def height(texts: Iterable[tuple[object, float]], font_size: float = 11,
           minimum_lines: int = 1) -> float:
    """A row's height in points for (text, its column's width) pairs, every text wrapped."""
    count = max([minimum_lines, *(lines(text, width) for text, width in texts)])
    return round(count * font_size * LINE_POINTS + 5, 1)


def fitted_widths(rows: Iterable[Sequence[object]], minimum: float = 6,
                  maximum: float = 40) -> list[float]:
    """Column widths fitting the longest line of each column, within bounds."""
    found: list[float] = []
    for row in rows:
        for index, value in enumerate(row):
            if index == len(found):
                found.append(minimum)
            if value is None:
                continue
            longest = max(text_width(part) for part in str(value).split("\n"))
            found[index] = max(found[index], min(maximum, longest + 2))
    return found


def set_widths(sheet, widths: Sequence[float]) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def merge(sheet, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
    """Merge a range (in a write-only sheet too: its merged ranges are written at the end)."""
    from openpyxl.utils import get_column_letter

    if (first_row, first_column) == (last_row, last_column):
        return
    ref = (f"{get_column_letter(first_column)}{first_row}:"
           f"{get_column_letter(last_column)}{last_row}")
    if hasattr(sheet, "merge_cells"):
        sheet.merge_cells(ref)
    else:
        sheet.merged_cells.add(ref)
