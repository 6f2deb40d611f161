"""``python -m bot backup DEST``: a consistent copy of a (running) bot's data folder.

A backup folder holds snapshots that share one copy of the media::

    DEST/media/<ab>/<sha256>             every file of the media store, once (content-addressed:
                                         a second backup copies only the files that are new)
    DEST/<YYYYMMDDTHHMMSSZ>/bot.sqlite3  the database, by SQLite's online backup API
    DEST/<YYYYMMDDTHHMMSSZ>/manifest.json  what the snapshot holds, each file with its sha256

The database is copied first, then the media: files in the store are never changed or
removed, so every file the copied database names is already there when the media are copied.
A snapshot folder is named and its manifest written only when everything in it is complete
(until then it is ``<name>.partial``), so a backup cut short is never taken for one.
Every file copied is hashed on the way and fsynced before it takes its final name.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import __version__
from bot.config import DATABASE_FILE, MEDIA_FOLDER
from bot.media.paths import copy_hashed, media_file, sha256_of, stored_files
from bot.storage import maintenance

MANIFEST = "manifest.json"
FORMAT = 1
SNAPSHOT_NAME = "%Y%m%dT%H%M%SZ"


class BackupError(Exception):
    """The backup or restore cannot go on; the message is one line for the operator."""


def fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def temporary_name(folder: Path) -> Path:
    return folder / f".{secrets.token_hex(8)}.part"


@dataclass
class MediaCopy:
    copied: int = 0
    copied_bytes: int = 0
    present: int = 0
    files: dict[str, int] = field(default_factory=dict)        # sha256 -> bytes
    damaged: list[str] = field(default_factory=list)           # in the store, not its name


def copy_media(store: Path, target: Path) -> MediaCopy:
    """Every file of the ``store`` into the content-addressed ``target``, skipping those
    already there (same name and size: a final name only ever holds a complete file)."""
    result = MediaCopy()
    work = target / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    for leftover in work.glob(".*.part"):      # of a backup that was cut short
        leftover.unlink(missing_ok=True)
    for sha, path in stored_files(store):
        size = path.stat().st_size
        final = media_file(target, sha)
        if final.is_file() and final.stat().st_size == size:
            result.present += 1
            result.files[sha] = size
            continue
        part = temporary_name(work)
        try:
            got, copied = copy_hashed(path, part)
            if got != sha:
                result.damaged.append(sha)
                continue
            final.parent.mkdir(exist_ok=True)
            os.replace(part, final)
        finally:
            part.unlink(missing_ok=True)
        result.copied += 1
        result.copied_bytes += copied
        result.files[sha] = copied
    return result


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    manifest: dict[str, Any]

    @property
    def media_root(self) -> Path:
        return self.folder.parent / MEDIA_FOLDER

    @property
    def database(self) -> Path:
        return self.folder / self.manifest["database"]["file"]


def read_snapshot(source: Path) -> Snapshot:
    """``source`` is a snapshot folder, or a backup folder (then its newest snapshot)."""
    if not source.is_dir():
        raise BackupError(f"{source} is not a folder")
    if (source / MANIFEST).is_file():
        folder = source
    else:
        complete = sorted(child for child in source.iterdir()
                          if child.is_dir() and (child / MANIFEST).is_file())
        if not complete:
            raise BackupError(f"{source} holds no complete backup (no */{MANIFEST})")
        folder = complete[-1]
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{folder / MANIFEST} cannot be read: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder / MANIFEST}: format {manifest.get('format')!r} is not "
                          f"{FORMAT}, the one this version reads")
    return Snapshot(folder, manifest)


def _snapshot_folder(dest: Path, now: datetime) -> Path:
    name = now.strftime(SNAPSHOT_NAME)
    folder, number = dest / name, 1
    while folder.exists() or folder.with_name(folder.name + ".partial").exists():
        number += 1
        folder = dest / f"{name}-{number}"
    return folder


@dataclass(frozen=True)
class BackupReport:
    snapshot: Path
    manifest: dict[str, Any]
    media: MediaCopy
    missing: list[str]          # named by the database, not in the store


def backup(data_dir: Path, dest: Path, now: datetime | None = None) -> BackupReport:
    database = data_dir / DATABASE_FILE
    if not database.is_file():
        raise BackupError(f"no database at {database} (BOT_DATA_DIR)")
    dest.mkdir(parents=True, exist_ok=True)
    created = now or datetime.now(UTC)
    final = _snapshot_folder(dest, created)
    partial = final.with_name(final.name + ".partial")
    partial.mkdir()
    copy = partial / DATABASE_FILE
    maintenance.online_backup(database, copy)
    conn = maintenance.open_read_only(copy)
    try:
        problems = maintenance.quick_check(conn)
        version = maintenance.schema_version(conn)
        held = maintenance.counts(conn)
        named = maintenance.referenced_media(conn)
    finally:
        conn.close()
    if problems:
        shutil.rmtree(partial)
        raise BackupError(f"the copy of {database} fails quick_check: {problems[0]} "
                          "(the bot's database is damaged: python -m bot check)")
    media = copy_media(data_dir / MEDIA_FOLDER, dest / MEDIA_FOLDER)
    manifest = {
        "format": FORMAT,
        "created_at": created.astimezone(UTC).isoformat(timespec="seconds"),
        "bot_version": __version__,
        "schema_version": version,
        "database": {"file": DATABASE_FILE, "sha256": sha256_of(copy),
                     "bytes": copy.stat().st_size},
        "counts": {"units": held.units, "liaisons": held.liaisons,
                   "submissions": held.submissions, "items": held.items},
        "media": dict(sorted(media.files.items())),
    }
    missing = sorted(named - media.files.keys())
    part = temporary_name(partial)
    part.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    with part.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(part, partial / MANIFEST)
    fsync_folder(partial)
    os.replace(partial, final)
    fsync_folder(dest)
    return BackupReport(final, manifest, media, missing)


def _megabytes(count: int) -> str:
    return f"{count / 1024**2:.1f} MB"


def main(data_dir: Path, dest: Path) -> int:
    try:
        report = backup(data_dir, dest)
    except BackupError as error:
        print(f"backup failed: {error}")
        return 1
    manifest, media = report.manifest, report.media
    counts = manifest["counts"]
    print(f"backup {report.snapshot}: database {_megabytes(manifest['database']['bytes'])} "
          f"(schema {manifest['schema_version']}; {counts['units']} units, "
          f"{counts['liaisons']} liaisons, {counts['submissions']} submissions, "
          f"{counts['items']} items)")
    print(f"media: {len(media.files)} files, {media.copied} new "
          f"({_megabytes(media.copied_bytes)} copied), {media.present} already in "
          f"{dest / MEDIA_FOLDER}")
    failed = False
    if media.damaged:
        failed = True
        print(f"{len(media.damaged)} file(s) of the media store do not match their name "
              f"(damaged, not copied): " + ", ".join(media.damaged[:10]))
    if report.missing:
        failed = True
        print(f"{len(report.missing)} file(s) the database names are not in the media store: "
              + ", ".join(report.missing[:10]))
    return 1 if failed else 0
