"""The 工作简报 as a .docx on the 公文 kit: plain synchronous functions of loaded data, run in
a worker thread (python-docx and Pillow are imported there)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.kernel.words import Words

MAX_PHOTOS = 3
PRINT_SIDE = 1800           # px: 156 mm at ~300 dpi
MAX_PHOTO_HEIGHT_MM = 110   # a portrait photo is not allowed the whole page


@dataclass(frozen=True)
class Piece:
    submission_id: int
    unit: str
    title: str | None           # an event report's title; None for weekly material
    texts: tuple[str, ...]
    photos: tuple[Path, ...]    # originals in the media store, at most MAX_PHOTOS
    levels: tuple[str, ...]     # the levels it was adopted at (names)


@dataclass(frozen=True)
class Figures:
    units: int
    reporting: int
    on_time: int
    late: int
    missing: int
    photos: int
    events: int


@dataclass(frozen=True)
class Bulletin:
    number: int
    week: str                   # 6月11日一期
    office: str
    dated: str                  # 2026年6月11日
    figures: Figures
    pieces: tuple[Piece, ...]
    adopted: bool               # False: nothing adopted, the pieces are the on-time ones
    unreported: tuple[str, ...]


def upright_copy(source: Path, target: Path) -> tuple[int, int] | None:
    """The photo turned upright by its EXIF orientation and scaled for print, as a JPEG;
    its size in pixels, or None when it is not a picture Pillow can read."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from bot.media.images import open_capped

    try:
        with open_capped(source, PRINT_SIDE) as image:   # over 16 M pixels: not decoded
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
        return None
    upright.thumbnail((PRINT_SIDE, PRINT_SIDE))
    upright.save(target, format="JPEG", quality=90)
    return upright.size


def write_bulletin(path: Path, words: Words, bulletin: Bulletin, work: Path) -> None:
    from bot.office.gongwen import TEXT_WIDTH_MM, OfficialDocument, chinese_number

    document = OfficialDocument()
    document.bulletin_masthead(words.plain("scoring.bulletin_name"),
                               words.plain("scoring.bulletin_number", number=bulletin.number),
                               bulletin.office, bulletin.dated)
    figures = bulletin.figures
    document.heading(words.plain("scoring.bulletin_figures_heading"))
    document.paragraph(words.plain(
        "scoring.bulletin_figures", week=bulletin.week, units=figures.units,
        reporting=figures.reporting, on_time=figures.on_time, late=figures.late,
        missing=figures.missing, photos=figures.photos, events=figures.events))
    document.heading(words.plain("scoring.bulletin_pieces_heading" if bulletin.adopted
                                 else "scoring.bulletin_on_time_heading"))
    if not bulletin.adopted:
        document.paragraph(words.plain("scoring.bulletin_on_time_caption"))
    if not bulletin.pieces:
        document.paragraph(words.plain("scoring.bulletin_no_pieces"))
    for number, piece in enumerate(bulletin.pieces, start=1):
        heading = piece.unit if piece.title is None else words.plain(
            "scoring.bulletin_event_heading", unit=piece.unit, title=piece.title)
        document.heading(words.plain("scoring.bulletin_piece_heading",
                                     number=chinese_number(number), unit=heading), level=2)
        for text in piece.texts:
            for part in text.split("\n"):
                if part.strip():
                    document.paragraph(part.strip())
        for index, photo in enumerate(piece.photos[:MAX_PHOTOS]):
            copy = work / f"{piece.submission_id}-{index}.jpg"
            size = upright_copy(photo, copy)
            if size is None:
                continue
            width, height = size
            document.picture(copy, min(TEXT_WIDTH_MM, MAX_PHOTO_HEIGHT_MM * width / height))
    document.heading(words.plain("scoring.bulletin_unreported_heading"))
    separator = words.plain("scoring.separator")
    document.paragraph(separator.join(bulletin.unreported) if bulletin.unreported
                       else words.plain("scoring.bulletin_unreported_none"))
    document.save(path)

