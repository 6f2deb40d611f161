"""Where the media store keeps content, by sha256 (the one mapping).

Thumbnails are content-addressed too: an item's ``thumb_sha256`` names its thumbnail file.
"""

from __future__ import annotations

from pathlib import Path


def media_file(media_dir: Path, sha256: str) -> Path:
    return media_dir / sha256[:2] / sha256
