"""``python -m bot restore SRC [--force]``: a backup (``bot/ops/backup.py``) into the data folder.

Every file is copied into a staging folder inside the data folder and checked against the
manifest's sha256 on the way; only when all of them match (and the database passes
``quick_check`` and is not newer than this bot) are they moved into place, the media first
and the database last. A data folder that is not empty is refused unless ``--force``; then
its database is kept beside the restored one as ``bot.sqlite3.before-restore-<time>`` (with
its ``-wal`` / ``-shm``, so it still opens) and the media are merged (content-addressed: a file
of the same name is the same file). Stop the bot before restoring.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.config import DATABASE_FILE, MEDIA_FOLDER
from bot.media.paths import copy_hashed, media_file
from bot.ops.backup import SNAPSHOT_NAME, BackupError, Snapshot, fsync_folder, read_snapshot
from bot.storage import maintenance
from bot.storage.db import latest_schema_version

STAGING_PREFIX = ".restore-"
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class RestoreReport:
    snapshot: Snapshot
    media_files: int
    media_bytes: int
    kept_as: Path | None       # the database that was there before (--force)


def _contents(folder: Path) -> list[str]:
    return sorted(child.name for child in folder.iterdir()) if folder.is_dir() else []


def _stage(snapshot: Snapshot, staging: Path) -> tuple[list[str], int]:
    """Copy the database and the media into ``staging``, checking each; returns the
    problems found and the media bytes copied."""
    problems: list[str] = []
    expected = snapshot.manifest["database"]
    try:
        sha, size = copy_hashed(snapshot.database, staging / DATABASE_FILE)
        if (sha, size) != (expected["sha256"], expected["bytes"]):
            problems.append(f"{snapshot.database}: sha256 or size differs from the manifest")
    except OSError as error:
        problems.append(f"{snapshot.database}: {error.strerror or error}")
    copied = 0
    for name, size in snapshot.manifest["media"].items():
        source = media_file(snapshot.media_root, name)
        target = media_file(staging / MEDIA_FOLDER, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            sha, got = copy_hashed(source, target)
        except OSError as error:
            problems.append(f"{source}: {error.strerror or error}")
            continue
        if sha != name or got != size:
            problems.append(f"{source}: its sha256 differs from its name (damaged)")
        copied += got
    return problems, copied


def _check_database(path: Path) -> list[str]:
    try:
        conn = maintenance.open_read_only(path)
        try:
            problems = maintenance.quick_check(conn)
            version = maintenance.schema_version(conn)
        finally:
            conn.close()
    except sqlite3.Error as error:
        return [f"the restored database cannot be opened: {error}"]
    if problems:
        return [f"the restored database fails quick_check: {problems[0]}"]
    if version > latest_schema_version():
        return [f"the backup's schema {version} is newer than this bot's "
                f"({latest_schema_version()}): install the version that made it"]
    return []


def _keep_old_database(data_dir: Path, now: datetime) -> Path | None:
    """Rename the database there (and its companions) out of the way; returns its new name."""
    database = data_dir / DATABASE_FILE
    if not database.exists():
        return None
    kept = data_dir / f"{DATABASE_FILE}.before-restore-{now.strftime(SNAPSHOT_NAME)}"
    for suffix in SQLITE_COMPANIONS:
        companion = data_dir / f"{DATABASE_FILE}{suffix}"
        if companion.exists():
            os.replace(companion, Path(f"{kept}{suffix}"))
    return kept


def restore(source: Path, data_dir: Path, force: bool = False,
            now: datetime | None = None) -> RestoreReport:
    snapshot = read_snapshot(source)
    found = [name for name in _contents(data_dir) if not name.startswith(STAGING_PREFIX)]
    if found and not force:
        raise BackupError(f"{data_dir} is not empty ({', '.join(found[:5])}): restore into an "
                          f"empty folder (BOT_DATA_DIR), or add --force to replace its "
                          f"database (kept as {DATABASE_FILE}.before-restore-…)")
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = data_dir / f"{STAGING_PREFIX}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        problems, media_bytes = _stage(snapshot, staging)
        if not problems:
            problems = _check_database(staging / DATABASE_FILE)
        if problems:
            raise BackupError("nothing restored: " + "; ".join(problems[:10])
                              + (f"; and {len(problems) - 10} more" if len(problems) > 10
                                 else ""))
        for name in snapshot.manifest["media"]:
            target = media_file(data_dir / MEDIA_FOLDER, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(media_file(staging / MEDIA_FOLDER, name), target)
        kept = _keep_old_database(data_dir, now or datetime.now(UTC))
        os.replace(staging / DATABASE_FILE, data_dir / DATABASE_FILE)
        fsync_folder(data_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreReport(snapshot, len(snapshot.manifest["media"]), media_bytes, kept)


def main(source: Path, data_dir: Path, force: bool) -> int:
    try:
        report = restore(source, data_dir, force)
    except BackupError as error:
        print(f"restore refused: {error}")
        return 1
    manifest = report.snapshot.manifest
    counts = manifest["counts"]
    print(f"restored {report.snapshot.folder} (made {manifest['created_at']}, schema "
          f"{manifest['schema_version']}) into {data_dir}")
    print(f"{counts['units']} units, {counts['liaisons']} liaisons, {counts['submissions']} "
          f"submissions, {counts['items']} items; {report.media_files} media files "
          f"({report.media_bytes / 1024**2:.1f} MB); every file's sha256 checked")
    if report.kept_as is not None:
        print(f"the database that was there is kept as {report.kept_as}")
    return 0
