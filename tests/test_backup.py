"""``python -m bot backup`` of a bot running as a real process while liaisons send, and
``python -m bot restore`` into new folders, where a new bot finds every submission and file."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import ADMIN_ID
from tests.processes import BotProcess, run_command
from tests.schedule_support import seed

pytestmark = pytest.mark.sqlite_only(
    reason="bot backup and restore copy SQLite's file; on PostgreSQL they say pg_dump")

ROUNDS = 6          # a photo and a text each, per liaison
# enough liaisons sending together that receipts come every few tens of milliseconds: the
# backup (~0.2 s) then surely overlaps some (with 2, one in three runs saw none during it)
LIAISONS = 6


def photo(liaison: int, number: int) -> bytes:
    """A JPEG big enough for Telegram's 320 px copy (the thumbnail is a second file)."""
    image = Image.new("RGB", (640, 480), (40 + 100 * liaison, 20 * number, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def stored_items(database: Path) -> set[tuple]:
    """Every item with its submission, as a row that survives a copy unchanged."""
    conn = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        return set(conn.execute(
            "SELECT s.unit_id, s.deliverable_id, s.period, i.id, i.kind, i.text, "
            "i.media_sha256, i.thumb_sha256, i.archived, i.message_id, i.received_at "
            "FROM item i JOIN submission s ON s.id = i.submission_id").fetchall())
    finally:
        conn.close()


def assert_files_intact(data_dir: Path, items: set[tuple]) -> int:
    """Every file the items name is in the media store under its sha256; returns how many."""
    named = {sha for item in items for sha in (item[6], item[7]) if sha}
    for sha in named:
        path = data_dir / "media" / sha[:2] / sha
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, path
    return len(named)


async def test_a_backup_of_a_running_bot_restores_every_submission_and_file(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    liaisons = await seed(data_dir, liaisons=LIAISONS)
    users = [sandbox.user(liaison.person_id, liaison.name) for liaison in liaisons]
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    env = process.env()
    dest = tmp_path / "backups"
    answered: list[tuple[int, int, str]] = []      # (liaison, round, kind) with its receipt
    await process.start()
    try:
        for user in users:
            await user.command("plan")          # everything sent counts for the plan
            await user.wait_reply()

        async def send(index: int) -> None:
            user = users[index]
            for number in range(ROUNDS):
                await user.send_photo(photo(index, number))
                await user.wait_reply(timeout=20)
                answered.append((index, number, "photo"))
                await user.send(f"{user.first_name}的第{number + 1}条说明")
                await user.wait_reply(timeout=20)
                answered.append((index, number, "text"))

        sending = [asyncio.create_task(send(index)) for index in range(len(users))]
        async with asyncio.timeout(60):     # a bot that never answers fails, not hangs
            while len(answered) < 4:
                await asyncio.sleep(0.05)
        before_first = list(answered)
        code, first_out = await run_command(["backup", str(dest)], env, tmp_path)
        assert code == 0, first_out
        during_first = list(answered)
        await asyncio.gather(*sending)
        # submissions were taken while the backup ran, and after it
        assert len(before_first) < len(during_first) < len(answered)
        code, second_out = await run_command(["backup", str(dest)], env, tmp_path)
        assert code == 0, second_out
    finally:
        await process.stop()
    original = stored_items(data_dir / "bot.sqlite3")
    assert len(original) == LIAISONS * 2 * ROUNDS

    snapshots = sorted(path for path in dest.iterdir() if path.name != "media")
    assert len(snapshots) == 2
    first, second = (json.loads((snapshot / "manifest.json").read_text())
                     for snapshot in snapshots)
    # incremental and content-addressed: the second copied only what the first did not have
    new_files = set(second["media"]) - set(first["media"])
    assert new_files and set(first["media"]) <= set(second["media"])
    assert (f"media: {len(second['media'])} files, {len(new_files)} new" in second_out
            and f"{len(first['media'])} already in" in second_out), second_out
    assert sum(1 for _ in (dest / "media").glob("??/*")) == len(second["media"])

    # the later backup, restored into an empty folder, then a bot started there
    restored = tmp_path / "restored"
    restore_env = env | {"BOT_DATA_DIR": str(restored)}
    code, out = await run_command(["restore", str(dest)], restore_env, tmp_path)
    assert code == 0, out
    assert "every file's sha256 checked" in out
    assert stored_items(restored / "bot.sqlite3") == original
    assert assert_files_intact(restored, original) == len(second["media"])
    again = BotProcess(sandbox, restored, [ADMIN_ID])
    await again.start()
    try:
        assert f"{LIAISONS} units, {LIAISONS} liaisons, 0 messages pending in the outbox" \
            in again.log()
        for user, liaison in zip(users, liaisons, strict=True):
            await user.command("mysubmissions")
            listing = "\n".join(sent.plain_text or "" for sent in await user.wait_reply())
            mine = [item for item in original if item[0] == liaison.unit_id]
            assert len(mine) == 2 * ROUNDS
            for item in mine:
                assert f"#{item[3]} " in listing, listing
        await users[0].send("恢复之后的一条")
        receipt = await users[0].wait_reply(timeout=20)
        assert "已收到" in receipt[-1].plain_text
    finally:
        await again.stop()

    # the backup taken while they sent: everything confirmed before it began is in it
    early = tmp_path / "early"
    code, out = await run_command(["restore", str(snapshots[0])],
                                  env | {"BOT_DATA_DIR": str(early)}, tmp_path)
    assert code == 0, out
    early_items = stored_items(early / "bot.sqlite3")
    assert len(early_items) >= len(before_first)
    # a consistent moment: each item as it was then (a photo being archived at that moment
    # is still 'pending' in it, as in the bot's database at that moment)
    by_id = {item[3]: item for item in original}
    for item in early_items:
        later = by_id[item[3]]
        assert item == later or (item[8] == "pending" and item[:6] == later[:6])
    texts = {item[5] for item in early_items if item[4] == "text"}
    photos = {item[6] for item in early_items if item[4] == "photo"}
    for index, number, kind in before_first:
        if kind == "text":
            assert f"{users[index].first_name}的第{number + 1}条说明" in texts
        else:
            assert hashlib.sha256(photo(index, number)).hexdigest() in photos
    assert_files_intact(early, early_items)


async def test_restore_refuses_a_folder_in_use_and_a_damaged_backup(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    env = process.env()
    liaisons = await seed(data_dir, liaisons=1)
    user = sandbox.user(liaisons[0].person_id, liaisons[0].name)
    await process.start()
    try:
        await user.command("plan")
        await user.wait_reply()
        await user.send_photo(photo(0, 0))
        await user.wait_reply(timeout=20)
    finally:
        await process.stop()
    dest = tmp_path / "backups"
    code, out = await run_command(["backup", str(dest)], env, tmp_path)
    assert code == 0, out

    # a data folder that is not empty: refused, untouched; --force keeps its database aside
    before = (data_dir / "bot.sqlite3").read_bytes()
    code, out = await run_command(["restore", str(dest)], env, tmp_path)
    assert code == 1 and "is not empty" in out and "--force" in out
    assert (data_dir / "bot.sqlite3").read_bytes() == before
    code, out = await run_command(["restore", "--force", str(dest)], env, tmp_path)
    assert code == 0, out
    (kept,) = [path for path in data_dir.glob("bot.sqlite3.before-restore-*")
               if not path.name.endswith(("-wal", "-shm"))]
    assert f"the database that was there is kept as {kept}" in out
    assert stored_items(data_dir / "bot.sqlite3") == stored_items(kept)

    # one media file damaged in the backup: nothing restored, the file named
    victim = next((dest / "media").glob("??/*"))
    victim.write_bytes(b"bit rot")
    target = tmp_path / "elsewhere"
    code, out = await run_command(["restore", str(dest)], env | {"BOT_DATA_DIR": str(target)},
                                  tmp_path)
    assert code == 1
    assert f"restore refused: nothing restored: {victim}: its sha256 differs" in out
    assert not (target / "bot.sqlite3").exists()
    assert [path for path in target.glob("**/*") if path.is_file()] == []
    # and a backup folder with no complete snapshot in it
    code, out = await run_command(["restore", str(tmp_path / "nothing")], env, tmp_path)
    assert code == 1 and "is not a folder" in out
