"""The week's photos as contact sheets (/photos): JPEG grids of numbered tiles.
Synchronous: the handler runs it in a worker thread.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

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


def first_font(candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` that FreeType opens (``python -m bot check`` asks too)."""
    from PIL import ImageFont

    for candidate in candidates:
        try:
            ImageFont.truetype(candidate, 10)
        except OSError:
            continue
        return candidate
    return None


def _font(candidates: Sequence[str], size: int):
    from PIL import ImageFont

    found = first_font(candidates)
    return ImageFont.truetype(found, size) if found else None


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
