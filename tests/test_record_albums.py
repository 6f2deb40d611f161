"""Issue 13 point 1: albums survive any stop of the bot (a real process, SIGTERM and kill -9)."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections import Counter
from datetime import datetime, time

import pytest

from bot.storage import Storage
from tests import backends
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess
from tests.test_faults import SHANGHAI, seed_open_week
from tests.test_submissions_flow import jpeg

LIAISON = 4300


def open_week_or_skip() -> None:
    if datetime.now(SHANGHAI).time() > time(23, 50):
        pytest.skip("the week's period closes at 23:59 China time")


async def stored_items(data_dir) -> list:
    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
    await storage.open()
    try:
        return await storage.db.fetchall(
            "SELECT message_id, archived, media_sha256 FROM item ORDER BY id")
    finally:
        await storage.close()


async def wait_receipts(sandbox, chat_id: int, count: int, timeout: float) -> list[str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        receipts = [sent.text for sent in sandbox.messages_to(chat_id) if "已收到" in sent.text]
        if len(receipts) >= count or asyncio.get_running_loop().time() > deadline:
            return receipts
        await asyncio.sleep(0.1)


async def every_receipt(sandbox, albums: list[int], timeout: float) -> None:
    """Until every album has its receipt, matched by its count of photos (not by the number
    of receipts: a repeated one would end the wait before the last album's came)."""
    give_up = asyncio.get_running_loop().time() + timeout
    while Counter(albums) - receipt_counts(sandbox) and \
            asyncio.get_running_loop().time() < give_up:
        await asyncio.sleep(0.1)


def receipt_counts(sandbox) -> Counter:
    """How many receipts name each album size (``已收到：5 张图片`` counts under 5)."""
    return Counter(int(sent.text.split("已收到：")[1].split(" ")[0])
                   for sent in sandbox.messages_to(LIAISON) if "已收到：" in sent.text)


async def test_an_album_stopped_half_a_second_in_is_stored_and_answered_after_the_restart(
        sandbox, tmp_path):
    open_week_or_skip()
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    await seed_open_week(data_dir / "bot.sqlite3", 1, LIAISON, time(23, 58))
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    liaison = sandbox.user(LIAISON, "李明")
    await process.start()
    try:
        for round_, stop in enumerate((process.stop, process.kill)):   # SIGTERM, then kill -9
            await liaison.send_album([("photo", jpeg(10 * round_ + n), None) for n in range(4)])
            await sandbox.wait_fetched(timeout=10)
            await asyncio.sleep(0.5)
            await stop()
            if stop == process.kill:                    # killed: nothing said for this album
                assert len(await wait_receipts(sandbox, LIAISON, 2, timeout=0)) == 1
            await process.start()
            receipts = await wait_receipts(sandbox, LIAISON, round_ + 1, timeout=20)
            assert len(receipts) == round_ + 1          # the receipt, after the restart
        await asyncio.sleep(2.0)
    finally:
        await process.stop()
    assert len(receipts) == 2 and all("4 张图片" in text for text in receipts)
    assert len(await wait_receipts(sandbox, LIAISON, 3, timeout=0)) == 2
    items = await stored_items(data_dir)
    assert len(items) == 8 and {row["archived"] for row in items} == {"yes"}


@pytest.mark.parametrize("draw", [13, 14])
async def test_albums_of_2_to_10_parts_stopped_at_random_moments_lose_and_repeat_nothing(
        sandbox, tmp_path, draw):
    """10 cycles for each of two random draws (two tests, so that two workers can run them:
    one of 20 cycles was the suite's longest): an album, then SIGTERM or kill -9 at a random
    moment (before, during or after its quiet window, its downloads and its receipt), then a
    restart. Every photo is stored once (the unique (liaison, message) index); a receipt
    repeats only as a message in flight at a kill -9."""
    open_week_or_skip()
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    await seed_open_week(data_dir / "bot.sqlite3", 1, LIAISON, time(23, 58))
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    liaison = sandbox.user(LIAISON, "李明")
    chance = random.Random(draw)
    sent: dict[int, bytes] = {}            # message id -> the photo's bytes
    albums = []
    kills = 0
    await process.start()
    try:
        for cycle in range(10):
            photos = [jpeg(100 * cycle + n) for n in range(chance.randint(2, 10))]
            messages = await liaison.send_album([("photo", data, None) for data in photos])
            albums.append(len(photos))
            sent.update(zip((message["message_id"] for message in messages), photos,
                            strict=True))
            await asyncio.sleep(chance.uniform(0.0, 1.8))
            if chance.random() < 0.5:
                kills += 1
                await process.kill()
                await process.start()
                # the album the kill cut short is finished before the next kill may come: two
                # kill -9s during one album's handling are what the poison guard sets aside
                # by design (bot.intake.albums; test_record_poison), not a loss
                await every_receipt(sandbox, albums, timeout=40)
            else:
                await process.stop()
                await process.start()
        await every_receipt(sandbox, albums, timeout=40)
        await asyncio.sleep(2.0)           # nothing more comes
    finally:
        await process.stop()
    receipts = await wait_receipts(sandbox, LIAISON, len(albums) + kills + 1, timeout=0)
    # one receipt per album, each for its whole album; a kill -9 just after a receipt went
    # and before its album was marked done may send it again (the message in flight at the
    # death, issue 18's allowance): at most one more per kill, never one for a part
    counted = receipt_counts(sandbox)
    assert sum((counted - Counter(albums)).values()) <= kills, (receipts, albums, kills)
    assert Counter(albums) - counted == Counter()                # none without its receipt
    assert set(counted) <= set(albums)                           # never one for a part
    items = await stored_items(data_dir)
    assert Counter(row["message_id"] for row in items) == Counter(list(sent))   # once each
    assert [row for row in items if row["archived"] != "yes"] == []      # none pending
    for row in items:
        assert row["media_sha256"] == hashlib.sha256(sent[row["message_id"]]).hexdigest()
        path = data_dir / "media" / row["media_sha256"][:2] / row["media_sha256"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["media_sha256"]
