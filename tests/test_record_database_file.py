"""Issue 13 point 3: the database file deleted or replaced under the running bot (a real
process): noticed, no submission taken into the lost file, the bot stops; a start on an
empty database beside a media store holding files is refused unless told."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import time

import pytest

from tests.conftest import ADMIN_ID
from tests.processes import BotProcess
from tests.test_faults import seed_open_week
from tests.test_record_albums import LIAISON, open_week_or_skip
from tests.test_submissions_flow import jpeg

pytestmark = pytest.mark.sqlite_only(
    reason="the SQLite file deleted or replaced under the bot; PostgreSQL's files are the server's")

LOST_LINE = "was deleted or replaced while the bot ran"


async def exited(process: BotProcess, timeout: float = 20) -> int:
    return await asyncio.wait_for(process.process.wait(), timeout)


async def running_with_a_photo(sandbox, tmp_path):
    open_week_or_skip()
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    await seed_open_week(data_dir / "bot.sqlite3", 1, LIAISON, time(23, 58))
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    await process.start()
    liaison = sandbox.user(LIAISON, "李明")
    await liaison.send_photo(jpeg(1))
    assert "已收到" in (await liaison.wait_reply(timeout=20))[-1].text
    return data_dir, process, liaison


async def test_a_database_replaced_under_the_bot_stops_it_and_loses_no_message(
        sandbox, tmp_path):
    data_dir, process, liaison = await running_with_a_photo(sandbox, tmp_path)
    database = data_dir / "bot.sqlite3"
    copy = data_dir / "copy.sqlite3"
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)              # what a restore over the running bot would do
    copy.replace(database)
    assert await exited(process) == 3
    assert LOST_LINE in process.log() and "no submissions are taken" in process.log()

    await liaison.send("本周开展应急演练")   # while no bot runs: Telegram keeps it
    await process.start()
    try:
        receipt = await liaison.wait_reply(timeout=20)
    finally:
        await process.stop()
    assert "已收到：文字" in receipt[-1].text      # into the database that is there now


async def test_a_deleted_database_stops_the_bot_and_an_empty_one_is_refused_unless_told(
        sandbox, tmp_path):
    data_dir, process, liaison = await running_with_a_photo(sandbox, tmp_path)
    for suffix in ("", "-wal", "-shm"):
        (data_dir / f"bot.sqlite3{suffix}").unlink(missing_ok=True)
    assert await exited(process) == 3
    assert LOST_LINE in process.log()

    with pytest.raises(AssertionError, match="bot exited with 4"):
        await process.start()              # no database, but the media store holds photos
    assert "refusing to start" in process.log() and "BOT_ALLOW_EMPTY_DATABASE" in process.log()
    assert not (data_dir / "bot.sqlite3").exists()      # nothing was created

    process.extra_env["BOT_ALLOW_EMPTY_DATABASE"] = "1"
    await process.start()                  # told to start afresh
    try:
        await liaison.send("你好")
        answer = await liaison.wait_reply(timeout=20)
    finally:
        await process.stop()
    assert "已收到" not in answer[-1].text   # a stranger to the new database
