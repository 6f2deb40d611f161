"""The materials export (/export): a zip with a folder per unit, its files under readable
names, an ``index.html`` and the summary workbook; and the zip in parts when it is larger
than Telegram takes. Synchronous: the handler runs it in a worker thread.
"""

from __future__ import annotations

import html
import math
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image

from bot.kernel.clock import from_iso
from bot.kernel.text import safe_file_name
from bot.kernel.words import Words
from bot.media.paths import media_file
from bot.storage.models import Unit
from bot.storage.submissions import DeskItem

PART_BYTES = 49 * 1024 * 1024          # a part and its multipart envelope stay under 50 MB
COPY_CHUNK = 1024 * 1024
EXTENSIONS = {"photo": ".jpg", "video": ".mp4", "text": ".txt"}
MIME_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "video/mp4": ".mp4",
                   "application/pdf": ".pdf", "text/plain": ".txt"}


def _extension(item: DeskItem) -> str:
    if item.kind in ("photo", "text"):
        return EXTENSIONS[item.kind]
    if item.file_name and "." in item.file_name:
        return "." + safe_file_name(item.file_name.rsplit(".", 1)[1].lower())[:10]
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
            folder = safe_file_name(unit.name)
            entries: list[str] = []
            written: dict[str, str] = {}       # sha -> name: a file sent twice is stored once
            counters: dict[str, int] = {}
            for item in by_unit.get(unit.id, []):
                day = from_iso(item.received_at).astimezone(words.timezone).date().isoformat()
                label = html.escape(words.target_key(item.deliverable_key, item.period))
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
