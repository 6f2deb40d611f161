"""The week's photos as contact sheets (/photos): JPEG grids of numbered tiles, each with
its unit's name (on two lines when long), the date it was sent and, when the unit was late,
a red marker. Images sent as files (原图, to avoid Telegram's compression) count as photos.
Synchronous: the handler runs it in a worker thread.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image

from bot.desk import drawing
from bot.media.images import open_capped

TILE = 240
LABEL = 74                   # the label under a tile: two lines of name, one of date
COLUMNS = 5
ROWS = 6
FONT_SIZE = 17
LINE = 22
PICTURES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff")
LATE_RED = (200, 30, 30)


def is_picture(kind: str, mime_type: str | None) -> bool:
    """A photo, or an image a liaison sent as a file."""
    return kind == "photo" or (kind == "document" and (mime_type or "") in PICTURES)


@dataclass(frozen=True)
class Tile:
    unit_name: str
    source: Path | None     # a thumbnail or the picture itself; None: not archived
    sent: datetime          # when it was sent, local (shown as 06-11 09:30)
    late: str | None = None     # "迟交 2 小时" when the unit was late; None: on time


def contact_sheets(tiles: list[Tile]) -> Iterator[tuple[bytes, list[tuple[int, str]]]]:
    """JPEG grids of ``COLUMNS × ROWS`` tiles; yields (jpeg, [(number, unit name)]) per
    sheet so the caption can name the units whatever the fonts on the machine (without a
    CJK font a tile shows its number, date and marker only)."""
    from PIL import ImageDraw

    face, cjk = drawing.font(FONT_SIZE)
    small, _ = drawing.font(FONT_SIZE - 3)
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
            name = f"{number} {tile.unit_name}" if cjk else str(number)
            for line_number, line in enumerate(drawing.wrap(name, face, TILE - 12, 2)):
                draw.text((x + 6, y + TILE + 3 + line_number * LINE), line, fill="black",
                          font=face)
            draw.text((x + 6, y + TILE + 3 + 2 * LINE), f"{tile.sent:%m-%d %H:%M}",
                      fill=(90, 90, 90), font=small)
            if tile.late:
                _late_marker(draw, tile.late if cjk else "!", x, y, small)
            legend.append((number, tile.unit_name))
        buffer = io.BytesIO()
        sheet.save(buffer, format="JPEG", quality=85)
        yield buffer.getvalue(), legend


def _late_marker(draw, text: str, x: int, y: int, face) -> None:
    """A red band with the lateness across the top of the tile, and a red frame."""
    width = min(TILE - 8, int(face.getlength(text)) + 12)
    draw.rectangle((x + 4, y + 4, x + 4 + width, y + 4 + LINE), fill=LATE_RED)
    draw.text((x + 10, y + 6), text, fill="white", font=face)
    draw.rectangle((x + 1, y + 1, x + TILE - 2, y + TILE - 2), outline=LATE_RED, width=3)


def _paste(sheet: Image.Image, tile: Tile, x: int, y: int) -> None:
    """The picture fitted into its square, centred; a grey square when it cannot be read."""
    picture = None
    if tile.source is not None:
        try:
            with open_capped(tile.source, TILE) as image:   # a big JPEG: at a fraction
                picture = image.convert("RGB")
                picture.thumbnail((TILE - 8, TILE - 8))
        except (OSError, ValueError, Image.DecompressionBombError):
            picture = None
    if picture is None:
        sheet.paste((200, 200, 200), (x + 4, y + 4, x + TILE - 4, y + TILE - 4))
        return
    sheet.paste(picture, (x + (TILE - picture.width) // 2, y + (TILE - picture.height) // 2))


def legend_ranges(legend: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """A sheet's legend with consecutive tile numbers of one unit as one entry:
    [(3, unit), (4, unit), (5, unit)] -> [('3–5', unit)]."""
    found: list[list] = []
    for number, unit in legend:
        if found and found[-1][2] == unit and found[-1][1] == number - 1:
            found[-1][1] = number
        else:
            found.append([number, number, unit])
    return [(str(first) if first == last else f"{first}–{last}", unit)
            for first, last, unit in found]
