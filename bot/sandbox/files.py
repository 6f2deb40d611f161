"""Files: test payloads (`generate_bytes`), Telegram's scaled copies of a photo, sizes as
people read them, getFile's size limit.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterable

#: getFile refuses files above this size unless the server runs in ``local_mode``.
MAX_GETFILE_SIZE = 20 * 1024 * 1024


def human_size(size: int) -> str:
    """A size as the transcript and the users' lines show it: ``512 B``, ``12 KB``, ``1.5 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def generate_bytes(size: int, seed: int | str = 0) -> bytes:
    """Deterministic pseudo-random bytes (same size and seed -> same bytes)."""
    return random.Random(f"{seed}:{size}").randbytes(size)


#: The boxes Telegram scales a photo into (types s, m, x, y): each one smaller than the
#: original is sent as its own PhotoSize, upright and re-encoded as JPEG, before the original.
PHOTO_SIZE_BOXES = (90, 320, 800, 1280)


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency of the project
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception:
        return None


ScaledCopy = tuple[bytes, int, int]   # JPEG bytes, width, height


def _scaled_copies(data: bytes, boxes: Iterable[int]
                   ) -> tuple[tuple[int, int], list[ScaledCopy]] | None:
    """The upright size of an image and a JPEG of it per box smaller than it (each at most
    box px on its longer side), or None when `data` is not an image."""
    try:
        from PIL import Image, ImageOps
    except ImportError:  # pragma: no cover
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            upright = ImageOps.exif_transpose(img).convert("RGB")
    except Exception:
        return None
    copies = []
    for box in boxes:
        if max(upright.size) <= box:
            break
        scaled = upright.copy()
        scaled.thumbnail((box, box))
        out = io.BytesIO()
        scaled.save(out, format="JPEG", quality=87)
        copies.append((out.getvalue(), scaled.size[0], scaled.size[1]))
    return upright.size, copies
