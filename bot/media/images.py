"""Opening a user's picture: its size is checked before a pixel is decoded.

A PNG of 30,000 × 30,000 one-colour pixels is a few hundred kilobytes and 2.7 GB once
decoded; Pillow only refuses above ~179 M pixels and merely warns above ~89 M. Here a JPEG
is first set to decode at a reduced scale (``draft``: 1/2 to 1/8, free), then any picture
whose pixels to decode exceed :data:`MAX_DECODED_PIXELS` is refused with Pillow's own
``DecompressionBombError``, so every caller's ``except`` for unreadable pictures covers it.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from PIL import Image

MAX_DECODED_PIXELS = 16_000_000     # 4,000 × 4,000: at most 64 MB decoded as RGBA


def open_capped(source: Path | BinaryIO, draft_side: int | None = None) -> Image.Image:
    """The picture opened (header read, nothing decoded), a JPEG drafted to at least
    ``draft_side`` px; ``Image.DecompressionBombError`` when what remains to decode is over
    :data:`MAX_DECODED_PIXELS`. Use it as a context manager, like ``Image.open``."""
    image = Image.open(source)
    try:
        if draft_side is not None:
            image.draft("RGB", (draft_side, draft_side))
        width, height = image.size
        if width * height > MAX_DECODED_PIXELS:
            raise Image.DecompressionBombError(
                f"{width} × {height} pixels to decode, over {MAX_DECODED_PIXELS}")
    except BaseException:
        image.close()
        raise
    return image
