"""The materials export (/export): a zip a person can browse, and the zip in parts when it
is larger than Telegram takes. Synchronous: the handler runs it in a worker thread.

Inside, one top-level folder named for the campaign and what was exported::

    2026年安全生产月_每周活动材料_6月18日一期/
        index.html                  the gallery: status, liaison, time sent, thumbnails
        报送汇总.xlsx                 the summary workbook
        每周活动材料/6月18日一期/<unit>/<unit>_<original name>, 说明.txt
        活动方案/<unit>/…
        thumbs/<item>.jpg           the gallery's thumbnails

A unit's folder name is valid on Windows, macOS and Linux and unique in the export
(:func:`unit_folders`: ``甲/乙`` and ``甲_乙``, ``长春市.`` and ``长春市``, ``CON``); every link
in index.html is percent-encoded (a ``#``, ``%``, ``?`` or space in a unit name is common);
every entry carries the time its material was sent, in the campaign's time zone.
"""

from __future__ import annotations

import html
import math
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from PIL import Image

from bot.desk.standings import Column
from bot.kernel.clock import from_iso
from bot.kernel.text import safe_file_name
from bot.kernel.words import Words
from bot.media.images import open_capped
from bot.media.paths import media_file
from bot.storage.models import Liaison, Unit
from bot.storage.submissions import DeskItem

# Telegram's "50 MB" for an upload is 50,000,000 bytes (the sandbox refuses more, as the Bot
# API server does); a part and its multipart envelope stay well under it
PART_BYTES = 49_000_000
COPY_CHUNK = 1024 * 1024
UNIT_FOLDER_LIMIT = 40                  # characters: the whole path stays under 260
EXTENSIONS = {"photo": ".jpg", "video": ".mp4"}
MIME_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "video/mp4": ".mp4",
                   "application/pdf": ".pdf", "text/plain": ".txt"}
SHOWN_IMAGES = ("image/jpeg", "image/png", "image/gif", "image/webp")   # a browser shows


@dataclass(frozen=True)
class ExportPlan:
    """What one export holds, as loaded by the handler."""
    folder: str                         # the top-level folder (made safe here)
    title: str                          # the index's title: campaign · what
    now: datetime                       # when it was made
    generated: str                      # when, as the index says it
    units: Sequence[Unit]               # in the office's order
    liaisons: Mapping[int, Liaison]     # unit id -> its active liaison
    columns: Sequence[Column]           # the deadlines shown, each unit's state in each
    items: Sequence[DeskItem]
    summary: Path                       # the summary workbook, written before
    summary_name: str
    # (deliverable key, period, unit id) -> the review desk's lines: returns, comments
    remarks: Mapping[tuple[str, str, int], Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    units: int
    files: int      # media files of the units (index, notes and summary aside)


def unit_folders(units: Sequence[Unit]) -> dict[int, str]:
    """unit id -> its folder name: safe everywhere and unique in the export, compared as
    macOS and Windows compare names (NFC, case-insensitive). A unit whose name is already
    safe keeps it; the others, in order, take the first free ``<name>_2``, ``<name>_3``…"""
    safe = {unit.id: safe_file_name(unit.name, limit=UNIT_FOLDER_LIMIT) for unit in units}

    def key(name: str) -> str:
        return unicodedata.normalize("NFC", name).casefold()

    taken: set[str] = set()
    found: dict[int, str] = {}
    for keeps in (True, False):
        for unit in units:
            name = safe[unit.id]
            if (name == unit.name) != keeps:
                continue
            candidate, number = name, 2
            while key(candidate) in taken:
                suffix = f"_{number}"
                candidate = safe_file_name(name[:UNIT_FOLDER_LIMIT - len(suffix)] + suffix)
                number += 1
            taken.add(key(candidate))
            found[unit.id] = candidate
    return found


def build_export(zip_path: Path, words: Words, plan: ExportPlan, media_dir: Path,
                 work_dir: Path) -> ExportResult:
    """The zip, written to disk file by file (media are copied from the store in chunks,
    never read whole)."""
    top = safe_file_name(plan.folder)
    folders = unit_folders(plan.units)
    grouped: dict[tuple[str, str], dict[int, list[DeskItem]]] = {}
    for item in plan.items:
        grouped.setdefault((item.deliverable_key, item.period), {}).setdefault(
            item.unit_id, []).append(item)
    keys = [(c.deadline.key, c.deadline.period) for c in plan.columns]
    keys += sorted(key for key in grouped if key not in keys)
    columns = {(c.deadline.key, c.deadline.period): c for c in plan.columns}
    cards: list[str] = []
    periods: list[tuple[str, str]] = []
    files = 0
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        writer = _Writer(archive, top, words, media_dir, work_dir, plan.now)
        for number, key in enumerate(keys):
            deliverable, period = key
            label = words.target_key(deliverable, period)
            periods.append((f"p{number}", label))
            place = [safe_file_name(words.deliverable(deliverable))]
            if words.period_key(period):
                place.append(safe_file_name(words.period_key(period)))
            column = columns.get(key)
            for unit in plan.units:
                items = grouped.get(key, {}).get(unit.id, [])
                if column is None and not items:
                    continue
                entries = writer.unit_files("/".join([*place, folders[unit.id]]),
                                            folders[unit.id], items)
                files += sum(1 for entry in entries if entry.path and entry.item.kind != "text")
                state = column.state(unit) if column else "delivered"
                status = column.text(words, unit) if column else ""
                sent = column.sent_at(unit) if column else None
                liaison = plan.liaisons.get(unit.id)
                if entries:
                    writer.notes("/".join([*place, folders[unit.id]]), unit, label, status,
                                 liaison, entries,
                                 plan.remarks.get((deliverable, period, unit.id), ()))
                cards.append(_card(words, unit, f"p{number}", label, state, status, liaison,
                                   sent, entries))
        archive.write(plan.summary, f"{top}/{plan.summary_name}")
        writer.text("index.html", _index(words, plan, periods, cards))
    return ExportResult(zip_path, len(plan.units), files)


@dataclass(frozen=True)
class Entry:
    """One item as the export holds it: its path in the folder (None: not archived) and its
    thumbnail's (None: none)."""
    item: DeskItem
    path: str | None
    thumb: str | None


class _Writer:
    """Writes into the top-level folder of the zip, each entry dated as the bot knows it."""

    def __init__(self, archive: zipfile.ZipFile, top: str, words: Words, media_dir: Path,
                 work_dir: Path, now: datetime) -> None:
        self.archive = archive
        self.top = top
        self.words = words
        self.media_dir = media_dir
        self.work_dir = work_dir
        self.now = now.astimezone(words.timezone)

    def unit_files(self, folder: str, prefix: str, items: Sequence[DeskItem]) -> list[Entry]:
        """A unit's files in its folder under ``<unit>_<original name>`` (a photo, which has
        none: ``<unit>_<date>_<n>.jpg``); a file sent twice is stored once."""
        entries: list[Entry] = []
        written: dict[str, Entry] = {}      # sha -> where it went
        used: set[str] = set()
        unnamed = 0
        for item in items:
            if item.kind == "text":
                entries.append(Entry(item, None, None))
                continue
            source = media_file(self.media_dir, item.media_sha256) if item.media_sha256 \
                else None
            if source is None or not source.is_file():
                entries.append(Entry(item, None, None))
                continue
            if item.media_sha256 in written:
                first = written[item.media_sha256]
                entries.append(Entry(item, first.path, first.thumb))
                continue
            if item.file_name:
                name = safe_file_name(f"{prefix}_{item.file_name}")
            else:
                unnamed += 1
                day = self._local(item.received_at).date().isoformat()
                name = f"{prefix}_{day}_{unnamed}{_extension(item)}"
            path = f"{folder}/{_unused(name, used)}"
            self._copy(source, path, item.received_at)
            written[item.media_sha256] = Entry(item, path, self._thumbnail(item))
            entries.append(written[item.media_sha256])
        return entries

    def notes(self, folder: str, unit: Unit, label: str, status: str,
              liaison: Liaison | None, entries: Sequence[Entry],
              remarks: Sequence[str] = ()) -> None:
        """说明.txt beside the files: the unit, period, state and liaison, what the review
        desk said (returns, comments); then every item in order with its time, a file's
        name and caption, a text in full."""
        w = self.words
        lines = [w.plain("desk.notes_unit", unit=unit.name),
                 w.plain("desk.notes_target", target=label)]
        if status:
            lines.append(w.plain("desk.notes_state", state=status))
        lines.append(w.plain("desk.notes_liaison", liaison=_liaison_text(w, liaison)))
        lines += remarks
        lines.append("")
        for number, entry in enumerate(entries, start=1):
            at = w.moment(from_iso(entry.item.received_at))
            if entry.item.kind == "text":
                lines.append(w.plain("desk.notes_text", number=number, time=at))
                lines += ["    " + line for line in (entry.item.text or "").splitlines()]
                continue
            name = entry.path.rsplit("/", 1)[1] if entry.path else \
                w.plain("desk.export_missing_file")
            lines.append(w.plain("desk.notes_file", number=number, name=name, time=at))
            if entry.item.text:
                lines.append(w.plain("desk.notes_caption", text=entry.item.text))
        latest = max(entry.item.received_at for entry in entries)
        self.text(f"{folder}/{w.plain('desk.notes_name')}", "\r\n".join(lines) + "\r\n",
                  latest)

    def text(self, path: str, content: str, at: str | None = None) -> None:
        info = zipfile.ZipInfo(f"{self.top}/{path}", date_time=self._zip_time(at))
        info.compress_type = zipfile.ZIP_DEFLATED
        self.archive.writestr(info, content.encode("utf-8"))

    def _copy(self, source: Path, path: str, at: str) -> None:
        """Stream a stored file into the zip (stored, not deflated: media are compressed)."""
        info = zipfile.ZipInfo(f"{self.top}/{path}", date_time=self._zip_time(at))
        info.compress_type = zipfile.ZIP_STORED
        with source.open("rb") as reader, self.archive.open(info, "w",
                                                             force_zip64=True) as writer:
            while chunk := reader.read(COPY_CHUNK):
                writer.write(chunk)

    def _local(self, at: str) -> datetime:
        return from_iso(at).astimezone(self.words.timezone)

    def _zip_time(self, at: str | None) -> tuple[int, int, int, int, int, int]:
        moment = self._local(at) if at else self.now
        return (max(moment.year, 1980), *moment.timetuple()[1:6])

    def _thumbnail(self, item: DeskItem) -> str | None:
        """A thumbnail for the index: the store's, or made from an image; None when
        neither."""
        name = f"thumbs/{item.id}.jpg"
        stored = media_file(self.media_dir, item.thumb_sha256) if item.thumb_sha256 else None
        if stored is not None and stored.is_file():
            self._copy(stored, name, item.received_at)
            return name
        if not _shows_as_image(item):
            return None
        made = self.work_dir / "thumb.jpg"
        try:
            with open_capped(media_file(self.media_dir, item.media_sha256), 320) as image:
                image = image.convert("RGB")
                image.thumbnail((320, 320))
                image.save(made, format="JPEG", quality=80)
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
        self._copy(made, name, item.received_at)
        return name


def _shows_as_image(item: DeskItem) -> bool:
    """A photo, or an image sent as a file (原图), that a browser displays."""
    return item.kind == "photo" or (item.kind == "document"
                                    and (item.mime_type or "") in SHOWN_IMAGES)


def _extension(item: DeskItem) -> str:
    return MIME_EXTENSIONS.get(item.mime_type or "", EXTENSIONS.get(item.kind, ".bin"))


def _unused(name: str, used: set[str]) -> str:
    """``name``, or ``stem_2.ext``… when a file of that name (in any case) is in the folder."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    candidate, number = name, 2
    while candidate.casefold() in used:
        candidate = f"{stem}_{number}{dot}{extension}"
        number += 1
    used.add(candidate.casefold())
    return candidate


def _liaison_text(words: Words, liaison: Liaison | None) -> str:
    if liaison is None:
        return words.plain("desk.export_no_liaison")
    return words.plain("desk.export_liaison_name", name=liaison.name, mobile=liaison.mobile)


def href(path: str) -> str:
    """A path inside the folder as a link: percent-encoded (``#``, ``%``, ``?``, spaces and
    every non-ASCII character), then HTML-escaped."""
    return html.escape(quote(path, safe="/"), quote=True)


def _card(words: Words, unit: Unit, period_id: str, label: str, state: str, status: str,
          liaison: Liaison | None, sent: str | None, entries: Sequence[Entry]) -> str:
    e = html.escape
    meta = [e(label), e(_liaison_text(words, liaison))]
    if sent:
        meta.append(e(words.plain("desk.export_sent", time=words.moment(from_iso(sent)))))
    pictures, links, texts = [], [], []
    for entry in entries:
        item = entry.item
        caption = f"<figcaption>{e(item.text)}</figcaption>" if item.text else ""
        if item.kind == "text":
            texts.append(f"<p class=\"text\">{e(item.text or '')}</p>")
        elif entry.path is None:
            links.append(f"<li>{e(words.plain('desk.export_missing_file'))}"
                         f"{(' ' + e(item.text)) if item.text else ''}</li>")
        elif entry.thumb and _shows_as_image(item):
            pictures.append(
                f"<figure><a class=\"photo\" href=\"{href(entry.path)}\">"
                f"<img src=\"{href(entry.thumb)}\" alt=\"{e(unit.name)}\" loading=\"lazy\">"
                f"</a>{caption}</figure>")
        else:
            kind = words.plain("desk.export_video" if item.kind == "video"
                               else "desk.export_document")
            thumb = f"<img src=\"{href(entry.thumb)}\" alt=\"\" loading=\"lazy\">" \
                if entry.thumb else ""
            links.append(f"<li><a href=\"{href(entry.path)}\">{thumb}{e(kind)} "
                         f"{e(entry.path.rsplit('/', 1)[1])}</a>"
                         f"{(' — ' + e(item.text)) if item.text else ''}</li>")
    parts = [f"<article class=\"card s-{e(state)}\" data-unit=\"{unit.id}\" "
             f"data-period=\"{period_id}\" data-state=\"{e(state)}\">",
             f"<header><h3>{e(unit.name)}</h3>"
             + (f"<span class=\"badge\">{e(status)}</span>" if status else "") + "</header>",
             f"<p class=\"meta\">{' · '.join(meta)}</p>"]
    if pictures:
        parts.append(f"<div class=\"photos\">{''.join(pictures)}</div>")
    if links:
        parts.append(f"<ul class=\"files\">{''.join(links)}</ul>")
    parts += texts
    parts.append("</article>")
    return "".join(parts)


def _index(words: Words, plan: ExportPlan, periods: Sequence[tuple[str, str]],
           cards: Sequence[str]) -> str:
    e = html.escape
    units = "".join(f"<option value=\"{unit.id}\">{e(unit.name)}</option>"
                    for unit in plan.units)
    weeks = "".join(f"<option value=\"{key}\">{e(label)}</option>" for key, label in periods)
    states = "".join(f"<option value=\"{state}\">{e(words.group(state))}</option>"
                     for state in ("on_time", "late", "nil", "missing"))
    return INDEX_PAGE.format(
        language="zh-CN" if words.language == "zh" else "en", title=e(plan.title),
        generated=e(plan.generated), summary=href(plan.summary_name),
        summary_label=e(words.plain("desk.export_summary_link", file=plan.summary_name)),
        unit_label=e(words.plain("desk.export_filter_unit")),
        all_units=e(words.plain("desk.export_filter_all_units")), units=units,
        period_label=e(words.plain("desk.export_filter_period")),
        all_periods=e(words.plain("desk.export_filter_all_periods")), periods=weeks,
        state_label=e(words.plain("desk.export_filter_state")),
        all_states=e(words.plain("desk.export_filter_all_states")), states=states,
        shown=e(words.plain("desk.export_shown")), close=e(words.plain("desk.export_close")),
        cards="\n".join(cards) or f"<p>{e(words.plain('desk.export_nothing'))}</p>")


INDEX_PAGE = """<!DOCTYPE html>
<html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
*{{box-sizing:border-box}}
body{{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",
sans-serif;margin:0;background:#f4f5f7;color:#222}}
.top{{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid #ddd;
padding:.6em 1em}}
@media (max-width:640px){{.top{{position:static}}}}
h1{{font-size:1.25em;margin:.2em 0}}
.sub{{color:#555;font-size:.9em;margin:.2em 0 .5em}}
.filters{{display:flex;flex-wrap:wrap;gap:.5em;align-items:center;font-size:.95em}}
select{{font-size:1em;padding:.25em;max-width:100%}}
main{{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,320px),1fr));
gap:.8em;padding:1em}}
.card{{background:#fff;border-radius:8px;border-left:6px solid #bbb;padding:.6em .8em;
box-shadow:0 1px 2px rgba(0,0,0,.08);min-width:0}}
.card[hidden]{{display:none}}
.card header{{display:flex;justify-content:space-between;gap:.5em;align-items:baseline}}
h3{{font-size:1.05em;margin:0;overflow-wrap:anywhere}}
.badge{{font-size:.85em;padding:.1em .5em;border-radius:1em;background:#eee;
white-space:normal;text-align:right}}
.s-on_time{{border-left-color:#2e7d32}}.s-on_time .badge{{background:#e3f3e4;color:#1b5e20}}
.s-late{{border-left-color:#ef6c00}}.s-late .badge{{background:#fff0dd;color:#a04500}}
.s-nil{{border-left-color:#1565c0}}.s-nil .badge{{background:#e1ecfa;color:#0d3c78}}
.s-missing{{border-left-color:#c62828}}.s-missing .badge{{background:#fbe3e3;color:#8e1212}}
.meta{{color:#555;font-size:.85em;margin:.3em 0}}
.photos{{display:grid;grid-template-columns:repeat(auto-fill,minmax(96px,1fr));gap:4px}}
figure{{margin:0}}
.photos img{{width:100%;aspect-ratio:1;object-fit:cover;border-radius:4px;display:block;
background:#ddd}}
figcaption{{font-size:.75em;color:#444;overflow-wrap:anywhere}}
.files{{padding-left:1.2em;font-size:.9em;overflow-wrap:anywhere}}
.files img{{max-width:64px;max-height:64px;vertical-align:middle;margin-right:.3em}}
.text{{white-space:pre-wrap;font-size:.9em;background:#fafafa;padding:.4em;margin:.4em 0;
border-radius:4px;overflow-wrap:anywhere}}
#box{{position:fixed;inset:0;background:rgba(0,0,0,.88);z-index:5;display:flex;
align-items:center;justify-content:center;cursor:zoom-out}}
#box[hidden]{{display:none}}
#box img{{max-width:96vw;max-height:92vh}}
</style></head>
<body>
<div class="top"><h1>{title}</h1>
<p class="sub">{generated} · <a href="{summary}">{summary_label}</a></p>
<div class="filters">
<label>{unit_label} <select id="unit"><option value="">{all_units}</option>{units}
</select></label>
<label>{period_label} <select id="period"><option value="">{all_periods}</option>{periods}
</select></label>
<label>{state_label} <select id="state"><option value="">{all_states}</option>{states}
</select></label>
<span>{shown} <b id="count"></b></span>
</div></div>
<main>
{cards}
</main>
<div id="box" hidden title="{close}"><img alt=""></div>
<script>
(function(){{
var cards=[].slice.call(document.querySelectorAll(".card"));
var unit=document.getElementById("unit"),period=document.getElementById("period"),
state=document.getElementById("state"),count=document.getElementById("count");
function apply(){{var n=0;cards.forEach(function(c){{
var show=(!unit.value||c.dataset.unit===unit.value)
&&(!period.value||c.dataset.period===period.value)&&(!state.value||c.dataset.state===state.value);
c.hidden=!show;if(show)n++;}});count.textContent=n;}}
[unit,period,state].forEach(function(s){{s.addEventListener("change",apply);}});apply();
var box=document.getElementById("box"),big=box.querySelector("img");
document.addEventListener("click",function(e){{var a=e.target.closest("a.photo");
if(!a)return;e.preventDefault();big.src=a.getAttribute("href");box.hidden=false;}});
box.addEventListener("click",function(){{box.hidden=true;big.removeAttribute("src");}});
document.addEventListener("keydown",function(e){{if(e.key==="Escape")box.click();}});
}})();
</script>
</body></html>
"""


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
