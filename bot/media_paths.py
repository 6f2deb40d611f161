"""Where the media store keeps a file and its thumbnail, by sha256 (the one mapping)."""

from __future__ import annotations

from pathlib import Path


def media_file(media_dir: Path, sha256: str) -> Path:
    return media_dir / sha256[:2] / sha256


def thumb_file(media_dir: Path, sha256: str) -> Path:
    return media_dir / "thumbs" / sha256[:2] / (sha256 + ".jpg")
