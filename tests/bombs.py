"""Hostile files, built small: for tests/test_guard_files.py and bench/bombs.py.

Each is made in a few hundred milliseconds without ever holding its expanded form: the zip
entries and the PNG's pixel stream are compressed chunk by chunk.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from openpyxl import Workbook

SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def _base(marker: bool) -> bytes:
    workbook = Workbook()
    workbook.active.title = "统计表"
    workbook.active["A1"] = "附件2"
    if marker:
        sheet = workbook.create_sheet("_form")
        sheet.append(["safety-month-stats", "unit", 1, 1])
        sheet.sheet_state = "veryHidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _replace_sheet(base: bytes, chunks) -> bytes:
    """``base`` with its first sheet's XML replaced by the text ``chunks`` yield."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, source.read(info.filename))
                continue
            entry = zipfile.ZipInfo(info.filename)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with target.open(entry, "w", force_zip64=True) as sheet:
                for chunk in chunks:
                    sheet.write(chunk.encode())
    return out.getvalue()


def xlsx_bomb(rows: int = 1_000_000, columns: int = 20, marker: bool = True,
              dimension: bool = True, claimed_rows: int | None = None) -> bytes:
    """A workbook whose first sheet holds ``rows`` × ``columns`` cells (20 M by default,
    ~330 MB of XML, ~1.5 MB zipped), with the statistics marker's sheet when ``marker``;
    its ``<dimension>`` says ``claimed_rows`` rows (default: the truth), or is left out."""
    row = "<row>" + "<c><v>1</v></c>" * columns + "</row>"

    def chunks():
        yield SHEET_HEAD
        if dimension:
            yield f'<dimension ref="A1:{_column(columns)}{claimed_rows or rows}"/>'
        yield "<sheetData>"
        block = row * 1000
        for _ in range(rows // 1000):
            yield block
        yield row * (rows % 1000)
        yield "</sheetData></worksheet>"

    return _replace_sheet(_base(marker), chunks())


def wide_row_xlsx(cells: int = 3_000_000) -> bytes:
    """A unit list of one row of ``cells`` cells (~48 MB of XML, well under 100 KB zipped)."""
    def chunks():
        yield SHEET_HEAD + '<sheetData><row r="1">'
        block = "<c><v>1</v></c>" * 10_000
        for _ in range(cells // 10_000):
            yield block
        yield "<c><v>1</v></c>" * (cells % 10_000)
        yield "</row></sheetData></worksheet>"

    return _replace_sheet(_base(marker=False), chunks())


def _column(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def deep_json(depth: int = 100_000) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def pixel_bomb_png(side: int = 9000) -> bytes:
    """A one-bit black PNG of ``side`` × ``side`` pixels: ~100 KB, 3 bytes a pixel once
    Pillow converts it to RGB (243 MB at 9,000 px), under Pillow's own bomb threshold."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (side + 7) // 8)
    pixels = b"".join(compressor.compress(row * 100) for _ in range(side // 100))
    pixels += compressor.compress(row * (side % 100)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))
