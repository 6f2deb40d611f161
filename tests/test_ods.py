"""The .ods reader (bot/stats/ods.py) on LibreOffice's own file and on hostile ones."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bot.stats import ods

pytestmark = pytest.mark.no_database      # opens no database: runs once

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "stats_unit1.ods"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        '<office:spreadsheet><table:table table:name="表">')
TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"


def ods_file(content: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ods.MIME.decode(), compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def text_cell(text: str, repeat: int = 1) -> str:
    return (f'<table:table-cell table:number-columns-repeated="{repeat}" '
            f'office:value-type="string"><text:p>{text}</text:p></table:table-cell>')


def test_libreoffices_file_reads_with_its_hidden_marker_sheet():
    data = FIXTURE.read_bytes()
    assert ods.is_ods(data)
    sheets = ods.read_sheets(data)
    assert list(sheets) == ["统计表", "_form"]
    assert sheets["_form"][(1, 1)] == "safety-month-stats"
    assert sheets["统计表"][(1, 1)] == "附件2"


def test_a_million_empty_rows_are_counted_not_expanded():
    content = (HEAD + "<table:table-row>" + text_cell("甲") + "</table:table-row>"
               + '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
               'table:number-columns-repeated="1024"/></table:table-row>'
               + "<table:table-row>" + text_cell("乙") + "</table:table-row>" + TAIL)
    with pytest.raises(ods.NotReadable):            # a value a million rows down
        ods.read_sheets(ods_file(content))
    content = content.replace(text_cell("乙"), "<table:table-cell/>")
    assert ods.read_sheets(ods_file(content)) == {"表": {(1, 1): "甲"}}   # expanded: 1e9 cells


def test_over_the_limits_is_refused():
    wide = HEAD + "<table:table-row>" + text_cell("x", 10_000) + "</table:table-row>" + TAIL
    with pytest.raises(ods.NotReadable):
        ods.read_sheets(ods_file(wide))
    rows = "".join("<table:table-row>" + text_cell("x", 60) + "</table:table-row>"
                   for _ in range(1000))
    with pytest.raises(ods.NotReadable):             # 60,000 values
        ods.read_sheets(ods_file(HEAD + rows + TAIL))
    with pytest.raises(ods.NotReadable):             # content.xml too big uncompressed
        ods.read_sheets(ods_file(HEAD + " " * (ods.MAX_CONTENT + 1) + TAIL))
    with pytest.raises(ods.NotReadable):
        ods.read_sheets(ods_file(HEAD + "<table:table-row>"))
    assert not ods.is_ods(b"PK\x03\x04 not a zip")
