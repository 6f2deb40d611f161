"""Where the media store keeps content, by sha256 (the one mapping).

Thumbnails are content-addressed too: an item's ``thumb_sha256`` names its thumbnail file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

CONTENT_NAME = re.compile(r"[0-9a-f]{64}")


def media_file(media_dir: Path, sha256: str) -> Path:
    return media_dir / sha256[:2] / sha256


def stored_files(media_dir: Path) -> Iterator[tuple[str, Path]]:
    """(sha256, path) of every file in the store, by the mapping above (``tmp/`` and anything
    else that is not a content name are left out)."""
    if not media_dir.is_dir():
        return
    for folder in sorted(media_dir.iterdir()):
        if len(folder.name) != 2 or not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if CONTENT_NAME.fullmatch(path.name) and path.name[:2] == folder.name \
                    and path.is_file():
                yield path.name, path
