"""The desk's files, built on disk: the roster and summary (.xlsx), the late list (.docx),
the materials export (.zip) and the photo contact sheets (.jpg).

Plain synchronous functions of loaded data: the handlers run them in a worker thread.
"""

from __future__ import annotations

import html
import io
import itertools
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image

from bot.desk.standings import GROUPS, Standing, Standings, Words
from bot.kernel.clock import from_iso
from bot.kernel.schedule import Deadline
from bot.media.paths import media_file
from bot.storage.models import LIAISON_FORM_FIELDS, Liaison, Unit
from bot.storage.submissions import DeskItem

TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024
PART_BYTES = 49 * 1024 * 1024          # a part and its multipart envelope stay under 50 MB
COPY_CHUNK = 1024 * 1024


# ------------------------------------------------------------------ roster


def write_roster(path: Path, words: Words, rows: Sequence[tuple[Unit, Liaison | None]]) -> None:
    """Attachment 1's fields, one row per unit (units without a liaison too)."""
    def body() -> Iterator[list[object]]:
        for number, (unit, liaison) in enumerate(rows, start=1):
            if liaison is None:
                yield [number, unit.name]
                continue
            form = liaison.form()
            if form.get("gender") in ("male", "female"):
                form["gender"] = words.plain(f"desk.gender_{form['gender']}")
            yield [number, unit.name, *(form[name] for name in LIAISON_FORM_FIELDS),
                   words.moment(from_iso(liaison.registered_at))]

    _write_table(path, words.plain("desk.roster_title"),
                 [words.plain("desk.roster_number"), words.plain("desk.roster_unit"),
                  *(words.plain(f"desk.field_{name}") for name in LIAISON_FORM_FIELDS),
                  words.plain("desk.roster_registered")], body)


def _write_table(path: Path, title: str, header: Sequence[object],
                 body: Callable[[], Iterable[Sequence[object]]],
                 footer: Sequence[Sequence[object]] = ()) -> None:
    """A one-sheet workbook: the header in bold, the body's rows, the footer's rows with their
    first cell in bold; each column as wide as its longest value (within bounds).

    Written row by row in openpyxl's write-only mode: no cell is kept, so 10,000 rows hold
    neither the memory nor the collector's time (whose full passes stop every thread) that a
    workbook held whole does. The widths come before the rows, so ``body`` is called twice.
    """
    from openpyxl import Workbook  # heavy: loaded on first use, in the worker thread
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    longest: dict[int, int] = {}
    for row in itertools.chain([header], body(), footer):
        for index, value in enumerate(row, start=1):
            longest[index] = max(longest.get(index, 0), len(str(value or "")))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for index, length in longest.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(8 + length * 1.6, 48)
    bold = Font(bold=True)

    def emphasised(value: object) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = bold
        return cell

    sheet.append([emphasised(value) for value in header])
    for row in body():
        sheet.append(row)
    for first, *rest in footer:
        sheet.append([emphasised(first), *rest])
    workbook.save(path)


# ------------------------------------------------------------------ summary


@dataclass(frozen=True)
class Column:
    """One (deliverable, period) of the summary and every unit's standing in it."""
    deadline: Deadline
    standings: Standings


def write_summary(path: Path, words: Words, units: Sequence[Unit],
                  columns: Sequence[Column]) -> None:
    """Unit × period: on time, late by how long, missing; totals per unit and per period."""
    def body() -> Iterator[list[object]]:
        for unit in units:
            row: list[object] = [unit.name]
            counts = dict.fromkeys(GROUPS, 0)
            for column in columns:
                standing = column.standings.standing(unit)
                counts[standing.group] += 1
                row.append(words.state(standing))
            yield [*row, *counts.values()]

    totals = [words.plain("desk.summary_total_on_time"), words.plain("desk.summary_total_late"),
              words.plain("desk.summary_total_missing")]
    _write_table(path, words.plain("desk.summary_sheet"),
                 [words.plain("desk.summary_unit"),
                  *(words.target(column.deadline) for column in columns), *totals],
                 body,
                 [[label, *(len(column.standings.members(group)) for column in columns)]
                  for label, group in zip(totals, GROUPS, strict=True)])


# ------------------------------------------------------------------ late list


def write_late_list(path: Path, words: Words, campaign_name: str, as_of: datetime,
                    scope_line: str,
                    sections: Sequence[tuple[str, Sequence[tuple[Deadline, Standing]]]]) -> None:
    """Per deliverable, the units late (by how long) or missing, as a Word document."""
    from docx import Document

    document = Document()
    document.add_heading(words.plain("desk.late_title"), level=0)
    document.add_paragraph(words.plain("desk.late_campaign", campaign=campaign_name))
    document.add_paragraph(words.plain("desk.late_date", date=words.moment(as_of)))
    document.add_paragraph(scope_line)
    for deliverable_key, entries in sections:
        document.add_heading(words.plain("desk.late_heading",
                                         deliverable=words.deliverable(deliverable_key)), level=1)
        if not entries:
            document.add_paragraph(words.plain("desk.late_none"))
            continue
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, key in zip(table.rows[0].cells, ("desk.late_column_number",
                                                    "desk.late_column_unit",
                                                    "desk.late_column_period",
                                                    "desk.late_column_state"), strict=True):
            cell.text = words.plain(key)
        for number, (deadline, standing) in enumerate(entries, start=1):
            cells = table.add_row().cells
            cells[0].text = str(number)
            cells[1].text = standing.unit.name
            cells[2].text = words.period(deadline) or words.moment(deadline.due)
            cells[3].text = words.state(standing)
    document.save(path)


# ------------------------------------------------------------------ export


SAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
EXTENSIONS = {"photo": ".jpg", "video": ".mp4", "text": ".txt"}
MIME_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "video/mp4": ".mp4",
                   "application/pdf": ".pdf", "text/plain": ".txt"}


def safe_name(name: str) -> str:
    return SAFE_NAME.sub("_", name).strip(" .") or "_"


def _extension(item: DeskItem) -> str:
    if item.kind in ("photo", "text"):
        return EXTENSIONS[item.kind]
    if item.file_name and "." in item.file_name:
        return "." + safe_name(item.file_name.rsplit(".", 1)[1].lower())[:10]
    return MIME_EXTENSIONS.get(item.mime_type or "", EXTENSIONS.get(item.kind, ".bin"))


@dataclass(frozen=True)
class ExportResult:
    path: Path
    units: int
    files: int      # media and text files of the units (index and summary aside)


def build_export(zip_path: Path, words: Words, units: Sequence[Unit], items: Sequence[DeskItem],
                 media_dir: Path, summary: Path, work_dir: Path) -> ExportResult:
    """A folder per unit with its files under readable names (``<unit>_<date>_<n>.<ext>``),
    thumbnails for the index, ``index.html`` and ``summary.xlsx``: written to disk file by
    file (media are copied from the store in chunks, never read whole)."""
    by_unit: dict[int, list[DeskItem]] = {}
    for item in items:
        by_unit.setdefault(item.unit_id, []).append(item)
    sections: list[str] = []
    files = 0
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for unit in units:
            folder = safe_name(unit.name)
            entries: list[str] = []
            written: dict[str, str] = {}       # sha -> name: a file sent twice is stored once
            counters: dict[str, int] = {}
            for item in by_unit.get(unit.id, []):
                day = from_iso(item.received_at).astimezone(words.timezone).date().isoformat()
                label = html.escape(words.period_key_label(item.deliverable_key, item.period))
                if item.kind != "text" and item.media_sha256 in written:
                    entries.append(_entry_html(item, written[item.media_sha256], None, label,
                                               words))
                    continue
                source = media_file(media_dir, item.media_sha256) if item.media_sha256 else None
                if item.kind != "text" and (source is None or not source.is_file()):
                    entries.append(f"<li>{label} · {html.escape(item.kind)} "
                                   f"{html.escape(words.plain('desk.export_missing_file'))}"
                                   f"{_caption(item)}</li>")
                    continue
                counters[day] = counters.get(day, 0) + 1
                stem = f"{folder}_{day}_{counters[day]}"
                name = f"{folder}/{stem}{_extension(item)}"
                if item.kind == "text":
                    archive.writestr(name, (item.text or "") + "\n")
                else:
                    _copy_into(archive, source, name)
                    written[item.media_sha256] = name
                files += 1
                thumb = _thumbnail_into(archive, item, media_dir, work_dir,
                                        f"{folder}/thumbs/{stem}.jpg")
                entries.append(_entry_html(item, name, thumb, label, words))
            body = "".join(entries) or f"<li>{html.escape(words.plain('desk.export_nothing'))}</li>"
            sections.append(f"<section><h2>{html.escape(unit.name)}</h2><ul>{body}</ul>"
                            f"</section>")
        archive.write(summary, "summary.xlsx")
        title = html.escape(words.plain("desk.export_index_title"))
        archive.writestr("index.html", INDEX_PAGE.format(title=title, body="".join(sections)))
    return ExportResult(zip_path, len(units), files)


INDEX_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:1em}}li{{margin:.5em 0;list-style:none}}
img{{max-width:160px;max-height:160px;vertical-align:middle;margin-right:.5em}}
pre{{white-space:pre-wrap;margin:.2em 0}}</style></head>
<body><h1>{title}</h1><p><a href="summary.xlsx">summary.xlsx</a></p>{body}</body></html>
"""


def _caption(item: DeskItem) -> str:
    return f"<pre>{html.escape(item.text)}</pre>" if item.text and item.kind != "text" else ""


def _entry_html(item: DeskItem, name: str, thumb: str | None, label: str, words: Words) -> str:
    href = html.escape(name, quote=True)
    if item.kind == "text":
        return f"<li>{label} · <a href=\"{href}\">{html.escape(name.rsplit('/', 1)[1])}</a>" \
               f"<pre>{html.escape(item.text or '')}</pre></li>"
    if thumb:
        shown = f"<img src=\"{html.escape(thumb, quote=True)}\" alt=\"\">"
    elif item.kind == "video":
        shown = html.escape(words.plain("desk.export_video"))
    else:
        shown = html.escape(words.plain("desk.export_document"))
    return (f"<li>{label} · <a href=\"{href}\">{shown}{html.escape(name.rsplit('/', 1)[1])}"
            f"</a>{_caption(item)}</li>")


def _copy_into(archive: zipfile.ZipFile, source: Path, name: str) -> None:
    """Stream a stored file into the zip (stored, not deflated: media are compressed)."""
    info = zipfile.ZipInfo(name, date_time=_zip_time(source))
    info.compress_type = zipfile.ZIP_STORED
    with source.open("rb") as reader, archive.open(info, "w", force_zip64=True) as writer:
        while chunk := reader.read(COPY_CHUNK):
            writer.write(chunk)


def _zip_time(path: Path) -> tuple[int, int, int, int, int, int]:
    return datetime.fromtimestamp(path.stat().st_mtime).timetuple()[:6]


def _thumbnail_into(archive: zipfile.ZipFile, item: DeskItem, media_dir: Path, work_dir: Path,
                    name: str) -> str | None:
    """A thumbnail for the index: the store's, or made from a photo; None when neither."""
    if not item.media_sha256 or item.kind == "text":
        return None
    stored = media_file(media_dir, item.thumb_sha256) if item.thumb_sha256 else None
    if stored is not None and stored.is_file():
        archive.write(stored, name)
        return name
    if item.kind != "photo":
        return None
    made = work_dir / "thumb.jpg"
    try:
        with Image.open(media_file(media_dir, item.media_sha256)) as image:
            image = image.convert("RGB")
            image.thumbnail((320, 320))
            image.save(made, format="JPEG", quality=80)
    except OSError:
        return None
    archive.write(made, name)
    return name


def parts(path: Path, part_bytes: int = PART_BYTES) -> Iterator[tuple[int, bytes]]:
    """(part number from 1, bytes) of a file in slices of ``part_bytes``: one part in memory
    at a time; ``cat`` (or ``copy /b``) of the parts in order gives the file back."""
    with path.open("rb") as reader:
        number = 1
        while chunk := reader.read(part_bytes):
            yield number, chunk
            number += 1


def part_count(path: Path, part_bytes: int = PART_BYTES) -> int:
    return max(1, math.ceil(path.stat().st_size / part_bytes))


# ------------------------------------------------------------------ contact sheets


TILE = 240
LABEL = 30
COLUMNS = 5
ROWS = 6
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf")


@dataclass(frozen=True)
class Tile:
    unit_name: str
    source: Path | None     # a thumbnail or the photo itself; None: not archived


def _font(candidates: Sequence[str], size: int):
    from PIL import ImageFont

    for candidate in candidates:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return None


def contact_sheets(tiles: Sequence[Tile]) -> Iterator[tuple[bytes, list[tuple[int, str]]]]:
    """JPEG grids of ``COLUMNS × ROWS`` tiles, each labelled with its number and, when a
    CJK font is found, its unit's name; yields (jpeg, [(number, unit name)]) per sheet so the
    caption can name the units whatever the fonts on the machine."""
    from PIL import ImageDraw, ImageFont  # FreeType: loaded on first use, in the worker thread

    cjk = _font(CJK_FONTS, 18)
    font = cjk or _font(LATIN_FONTS, 18) or ImageFont.load_default()
    per_sheet = COLUMNS * ROWS
    for start in range(0, len(tiles), per_sheet):
        chunk = tiles[start:start + per_sheet]
        rows = math.ceil(len(chunk) / COLUMNS)
        columns = min(COLUMNS, len(chunk))
        sheet = Image.new("RGB", (columns * TILE, rows * (TILE + LABEL)), "white")
        draw = ImageDraw.Draw(sheet)
        legend = []
        for offset, tile in enumerate(chunk):
            number = start + offset + 1
            x, y = offset % COLUMNS * TILE, offset // COLUMNS * (TILE + LABEL)
            _paste(sheet, tile, x, y)
            label = f"{number} {tile.unit_name}" if cjk else str(number)
            draw.rectangle((x, y + TILE, x + TILE - 1, y + TILE + LABEL - 1), fill="white")
            draw.text((x + 6, y + TILE + 5), label, fill="black", font=font)
            legend.append((number, tile.unit_name))
        buffer = io.BytesIO()
        sheet.save(buffer, format="JPEG", quality=85)
        yield buffer.getvalue(), legend


def _paste(sheet: Image.Image, tile: Tile, x: int, y: int) -> None:
    """The picture fitted into its square, centred; a grey square when it cannot be read."""
    picture = None
    if tile.source is not None:
        try:
            with Image.open(tile.source) as image:
                picture = image.convert("RGB")
                picture.thumbnail((TILE - 8, TILE - 8))
        except OSError:
            picture = None
    if picture is None:
        sheet.paste((200, 200, 200), (x + 4, y + 4, x + TILE - 4, y + TILE - 4))
        return
    sheet.paste(picture, (x + (TILE - picture.width) // 2, y + (TILE - picture.height) // 2))
