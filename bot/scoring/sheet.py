"""The ranking as an .xlsx: one row per unit, the cells exactly what /ranking shows in chat
(points, adoptions per level, on-time rate, late, missing). A plain synchronous function
run in a worker thread; every cell through ``bot.office.sheets.put`` (a text is a string
cell, never a formula), printed A4 landscape one page wide with the header on every page."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

RATE_FORMAT = "0.0%"


def write_ranking(path: Path, title: str, note: str, header: Sequence[str],
                  rows: Sequence[Sequence[object]], footer: str) -> None:
    """``rows``: rank, unit, points, one count per level, adopted, rate (a fraction or
    None), on time, late, missing, due."""
    from openpyxl import Workbook  # heavy: loaded on first use, in the worker thread

    from bot.office import sheets

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "积分排名"
    width = len(header)
    sheets.put(sheet.cell(1, 1), title, sheets.TITLE)
    sheets.merge(sheet, 1, 1, 1, width)
    sheet.row_dimensions[1].height = 30
    sheets.put(sheet.cell(2, 1), note, sheets.NOTE)
    sheets.merge(sheet, 2, 1, 2, width)
    for column, text in enumerate(header, start=1):
        sheets.put(sheet.cell(3, column), text, sheets.HEADER)
    rate_column = width - 4
    rate_look = sheets.Look(border=sheets.BOX, alignment=sheets.CENTRE,
                            number_format=RATE_FORMAT)
    for number, values in enumerate(rows, start=4):
        for column, value in enumerate(values, start=1):
            if column == rate_column:
                look = rate_look
            elif isinstance(value, int | float):
                look = sheets.BODY_CENTRED
            else:
                look = sheets.BODY
            sheets.put(sheet.cell(number, column), value, look)
    widths = sheets.fitted_widths([header, *rows], minimum=6, maximum=30)
    sheets.set_widths(sheet, widths)
    sheet.row_dimensions[3].height = sheets.height(
        (text, widths[index]) for index, text in enumerate(header))
    sheets.print_setup(sheet, footer=footer, landscape=True, title_rows=(3, 3), freeze="C4")
    sheet.auto_filter.ref = f"A3:{sheet.cell(3, width).column_letter}{max(len(rows), 1) + 3}"
    workbook.save(path)
