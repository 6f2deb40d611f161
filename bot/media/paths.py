"""Where the media store keeps content, by sha256 (the one mapping), and the one way a file
is copied or read while it is hashed (the store's local copies, backup and restore, check).

Thumbnails are content-addressed too: an item's ``thumb_sha256`` names its thumbnail file.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

CONTENT_NAME = re.compile(r"[0-9a-f]{64}")
CHUNK = 1 << 20


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


def copy_hashed(source: Path, target: Path, chunk: int = CHUNK) -> tuple[str, int]:
    """Copy ``source`` to ``target`` and fsync it; returns the sha256 and size of what was
    read. ``target``'s folder must exist; an OSError leaves ``target`` to the caller."""
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while block := reader.read(chunk):
            digest.update(block)
            writer.write(block)
            size += len(block)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest(), size


def sha256_of(path: Path, chunk: int = CHUNK) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while block := reader.read(chunk):
            digest.update(block)
    return digest.hexdigest()
