"""Issue 13 point 2: files left pending are retried at start-up and periodically from their
stored file_id; after the retries, failed, and the liaison told which file to send again."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, time

from bot.sandbox import generate_bytes
from bot.storage import Storage
from bot.storage.submissions import NewItem
from tests import backends
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess
from tests.test_faults import SHANGHAI, seed_open_week
from tests.test_record_albums import LIAISON, open_week_or_skip


async def record_pending(database, files) -> list[int]:
    """Items recorded 'pending' as a run stopped in their downloads leaves them."""
    storage = Storage(backends.target(database))
    await storage.open()
    try:
        liaison = await storage.liaisons.open_for_person(LIAISON)
        weekly = (await storage.campaigns.calendar()).rule("weekly")
        period = datetime.now(SHANGHAI).date().isoformat()      # seed_open_week's week
        added = await storage.submissions.add_items(
            liaison.unit_id, weekly.id, period, liaison.id,
            [NewItem(kind="document", received_at=datetime.now(UTC), file_id=record.file_id,
                     file_unique_id=record.file_unique_id, file_name=name,
                     mime_type="application/pdf", size=len(data), message_id=900 + n)
             for n, (name, data, record) in enumerate(files)])
        return added.item_ids
    finally:
        await storage.close()


async def items(database) -> dict[int, tuple]:
    storage = Storage(backends.target(database))
    await storage.open()
    try:
        rows = await storage.db.fetchall(
            "SELECT id, archived, media_sha256, archive_attempts FROM item")
    finally:
        await storage.close()
    return {row["id"]: (row["archived"], row["media_sha256"], row["archive_attempts"])
            for row in rows}


async def test_pending_files_are_fetched_at_start_up_or_given_up_with_the_file_named(
        sandbox, tmp_path):
    open_week_or_skip()
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    database = data_dir / "bot.sqlite3"
    await seed_open_week(database, 1, LIAISON, time(23, 58))
    good, bad = generate_bytes(300_000, "good"), generate_bytes(200_000, "bad")
    files = [(name, data, sandbox.store_file(data, "document", name, "application/pdf"))
             for name, data in (("活动方案.pdf", good), ("培训签到表.pdf", bad))]
    sandbox.break_download(files[1][2].file_unique_id)       # this one never downloads
    good_id, bad_id = await record_pending(database, files)
    liaison = sandbox.user(LIAISON, "李明")

    process = BotProcess(sandbox, data_dir, [ADMIN_ID], extra_env={"BOT_RETRY_SECONDS": "1"})
    await process.start()
    try:
        told = await liaison.wait_reply(timeout=30)
        await asyncio.sleep(1.5)                               # nothing more is said
    finally:
        await process.stop()
    assert len(told) == 1 and "培训签到表.pdf" in told[0].text and "重新发送" in told[0].text
    assert len(sandbox.messages_to(LIAISON)) == 1
    found = await items(database)
    sha = hashlib.sha256(good).hexdigest()
    assert found[good_id][:2] == ("yes", sha)                  # fetched by the start-up sweep
    assert (data_dir / "media" / sha[:2] / sha).read_bytes() == good
    assert found[bad_id][:2] == ("failed", None)               # after its retries
    assert found[bad_id][2] == 3
    assert "try 3 of 3" in process.log()


async def test_a_download_that_kills_the_bot_each_time_is_given_up_after_its_tries(
        sandbox, tmp_path):
    """The tries are counted before they start: a download cut short by kill -9 counts."""
    open_week_or_skip()
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    database = data_dir / "bot.sqlite3"
    await seed_open_week(database, 1, LIAISON, time(23, 58))
    data = generate_bytes(400_000, "hangs")
    files = [("现场照片.pdf", data, sandbox.store_file(data, "document", "现场照片.pdf"))]
    (item_id,) = await record_pending(database, files)
    liaison = sandbox.user(LIAISON, "李明")
    process = BotProcess(sandbox, data_dir, [ADMIN_ID], extra_env={"BOT_RETRY_SECONDS": "1"})
    sandbox.timeout_hang = 30.0
    sandbox.fail_requests(3, status="timeout", methods=["getFile"])      # getFile hangs
    for _ in range(3):
        await process.start()
        await asyncio.sleep(2.0)                               # the sweep's try is under way
        await process.kill()
    await process.start()
    try:
        told = await liaison.wait_reply(timeout=20)
    finally:
        await process.stop()
    assert "现场照片.pdf" in told[-1].text and "重新发送" in told[-1].text
    assert (await items(database))[item_id][:2] == ("failed", None)
