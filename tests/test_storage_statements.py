"""The storage backends run a repository's statements alike: many rows in one
``executemany`` (on PostgreSQL one multi-row INSERT or one pipelined trip), and values of
another type than the column's taken as SQLite takes them, whether PostgreSQL gets the
statement prepared with bound parameters (from its second use) or as text with literals."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.storage.outbox import FIRST, Message
from bot.storage.submissions import NewItem


async def test_many_outbox_rows_are_written_once_each_in_their_order_and_counted(storage):
    outbox = storage.outbox
    assert await outbox.add([Message(1, "2026-06-04", 7, "prompt", 7, "早")]) == 1
    # more rows than one multi-row INSERT takes (5,000), one of them already written
    # and one twice in the batch: each key stored once, the new ones counted
    people = list(range(12_000))
    batch = [Message(1, "2026-06-04", person, "prompt", person, f"第{person}条",
                     [[("📤 开始报送", f"s:{person}")]] if person % 2 else None)
             for person in people]
    batch.append(Message(1, "2026-06-04", 11_999, "prompt", 11_999, "重复"))
    assert await outbox.add(batch) == 11_999
    rows = await outbox.rows(period="2026-06-04")
    assert [row.person_id for row in rows] == [7] + [p for p in people if p != 7]
    assert rows[-1].text == "第11999条"
    assert rows[2].buttons == [[("📤 开始报送", "s:1")]] and rows[3].buttons is None
    # a claim of 3,000 marks the 2,000 sent before it in the same trip
    first = await outbox.claim_batch(2_000)
    second = await outbox.claim_batch(3_000, sent_before=[row.id for row in first])
    assert [row.id for row in second] == [row.id for row in rows[2_000:5_000]]
    states = await outbox.rows(period="2026-06-04")
    assert sum(row.state == "sent" for row in states) == 2_000
    assert sum(row.state == "sending" for row in states) == 3_000
    await outbox.release([row.id for row in second] + [10**9])
    assert await outbox.open_count() == 10_000
    assert all(row.attempts == 0 for row in await outbox.pending(limit=3_000))


async def test_rows_someone_waits_for_are_claimed_before_the_mass_queued_ahead(storage):
    outbox = storage.outbox
    await outbox.add([Message(1, "2026-06-11", person, "prompt", person, "早")
                      for person in range(100)])
    await outbox.add([Message(1, "2026-06-11", 9_000, "digest@x", 9_000, "汇总", priority=FIRST),
                      Message(1, "2026-06-11", 9_000, "digest@x#2", 9_000, "（续）",
                              priority=FIRST)])
    pending = await outbox.pending(limit=5)
    assert [row.kind for row in pending] == ["digest@x", "digest@x#2"] + ["prompt"] * 3
    first = await outbox.claim_batch(3)
    assert [(row.kind, row.person_id) for row in first] == [
        ("digest@x", 9_000), ("digest@x#2", 9_000), ("prompt", 0)]
    await outbox.release([first[0].id])          # given back: first again
    again = await outbox.claim_batch(2)
    assert [(row.kind, row.person_id) for row in again] == [("digest@x", 9_000), ("prompt", 1)]


async def test_values_of_another_type_than_the_column_are_taken_as_sqlite_takes_them(storage):
    db = storage.db
    await db.execute("INSERT INTO person (telegram_id, chat_id, first_name, language, "
                     "first_seen) VALUES (?, ?, ?, 'zh', ?)", ("5", 5, "甲", "2026"))
    for _ in range(3):           # the first time as text, then prepared
        assert (await db.fetchone("SELECT count(*) FROM person WHERE telegram_id = ?",
                                  ("5",)))[0] == 1
        assert (await db.fetchone("SELECT count(*) FROM person WHERE telegram_id = ?",
                                  (5.0,)))[0] == 1
        assert (await db.fetchone("SELECT count(*) FROM person WHERE telegram_id = ?",
                                  (5.5,)))[0] == 0
        assert (await db.fetchone("SELECT count(*) FROM person WHERE telegram_id = ?",
                                  (5,)))[0] == 1
        assert (await db.fetchone("SELECT telegram_id + ? FROM person", (2 ** 40,))
                )[0] == 5 + 2 ** 40
        assert (await db.fetchone("SELECT ? IS NULL", (None,)))[0] in (1, True)
        assert (await db.fetchone("SELECT first_name FROM person WHERE chat_id = :chat",
                                  {"chat": 5}))[0] == "甲"
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("INSERT INTO person (telegram_id, chat_id, first_name, "
                             "language, first_seen) VALUES (?, ?, ?, 'zh', ?)",
                             (5, 5, "乙", "2026"))
    row = await db.fetchone("SELECT telegram_id, first_name FROM person")
    assert (row[0], row[1]) == (5, "甲")

    def rename(conn) -> int:
        return conn.executemany("UPDATE person SET first_name = ? WHERE telegram_id = ?",
                                [("丙", 5), ("丁", 6), ("戊", "5")]).rowcount
    assert await db.run(rename, write=True) == 2
    assert (await db.fetchone("SELECT first_name FROM person"))[0] == "戊"


async def test_a_text_holding_a_nul_character_is_stored_on_both_backends(storage, backend):
    """A person can type U+0000; PostgreSQL's text cannot hold it: there it is kept as
    U+FFFD (bound and literal alike, one row and many), never a failed write."""
    kept = "\x00" if backend == "sqlite" else "\ufffd"
    first = await storage.units.create("甲\x00单位", None, None)     # a literal, then bound
    second = await storage.units.create("乙\x00单位", None, None)
    assert (await storage.units.get(first.id)).name == f"甲{kept}单位"
    assert (await storage.units.get(second.id)).name == f"乙{kept}单位"
    await storage.outbox.add([Message(1, "2026-06-04", person, "prompt", person, "早\x00安")
                              for person in (1, 2)])
    assert [row.text for row in await storage.outbox.rows(period="2026-06-04")] == \
        [f"早{kept}安"] * 2


async def test_a_replayed_message_is_recorded_once_and_found_as_recorded_before(storage):
    """An item's INSERT skips a (liaison, message) already stored (migration 0013's unique
    index): a replayed burst gets the first run's ids back, marked recorded before, and a
    new message in the same burst is stored beside them."""
    db = storage.db
    await db.execute("INSERT INTO campaign (year, name, starts_on, ends_on, timezone, "
                     "created_at) VALUES (2026, '安全生产月', '2026-06-01', '2026-06-30', "
                     "'Asia/Shanghai', '2026-05-01')")
    await db.execute("INSERT INTO deliverable (campaign_id, key, kind, updated_at) "
                     "VALUES (1, 'weekly', 'weekly', '2026-05-01')")
    await db.execute("INSERT INTO unit (name, parent_id, created_at, created_by) "
                     "VALUES ('一号单位', NULL, '2026-05-01', NULL)")
    await db.execute("INSERT INTO person (telegram_id, chat_id, first_name, language, "
                     "first_seen) VALUES (7, 7, '甲', 'zh', '2026-05-01')")
    await db.execute("INSERT INTO liaison (unit_id, person_id, name, mobile, status, "
                     "registered_at) VALUES (1, 7, '甲', '13800000000', 'active', "
                     "'2026-05-01')")
    sent = datetime(2026, 6, 4, 8, tzinfo=UTC)

    def photo(message_id: int) -> NewItem:
        return NewItem(kind="photo", received_at=sent, file_id=f"f{message_id}",
                       file_unique_id=f"u{message_id}", mime_type="image/jpeg",
                       message_id=message_id)

    first = await storage.submissions.add_items(1, 1, "2026-06-04", 1, [photo(1), photo(2)])
    assert first.recorded_before == frozenset()
    again = await storage.submissions.add_items(1, 1, "2026-06-04", 1,
                                                [photo(1), photo(2), photo(3)])
    assert again.item_ids[:2] == first.item_ids
    assert again.recorded_before == frozenset(first.item_ids)
    assert again.item_ids[2] not in first.item_ids
    rows = await db.fetchall("SELECT message_id, submission_id FROM item ORDER BY id")
    assert [(row["message_id"], row["submission_id"]) for row in rows] == [
        (1, first.submission.id), (2, first.submission.id), (3, first.submission.id)]
    # items without a message id (a restore's) never conflict with one another
    await db.execute("INSERT INTO item (submission_id, kind, text, received_at, liaison_id) "
                     "VALUES (1, 'text', '甲', '2026-06-04', 1)")
    await db.execute("INSERT INTO item (submission_id, kind, text, received_at, liaison_id) "
                     "VALUES (1, 'text', '乙', '2026-06-04', 1)")
    assert (await db.fetchone("SELECT count(*) FROM item"))[0] == 5


@pytest.mark.postgres_only(reason="the connection pool is PostgreSQL's (SQLite has one file)")
async def test_a_bursts_connections_are_closed_once_idle_and_an_old_one_when_given_back(
        database_url):
    """After a burst the pool keeps what is still used: the connections the burst opened
    close on the server after ``idle_seconds`` unused (the most recent one is lent first, so
    a heartbeat keeps one alive, not all), and a connection older than ``lifetime_seconds``
    closes when it is given back; the next borrower gets a new one."""
    import asyncpg

    from bot.storage.pg import BotConnection, Pool

    now = [0.0]
    pool = Pool(lambda: asyncpg.connect(database_url, statement_cache_size=0,
                                        connection_class=BotConnection),
                4, idle_seconds=300, lifetime_seconds=3600, monotonic=lambda: now[0])
    watcher = await asyncpg.connect(database_url)

    async def alive(pids: set[int], expected: set[int]) -> set[int]:
        """The pids among these whose backends run, once they are ``expected`` (a closed
        connection's backend exits soon after) or after 5 s."""
        for _ in range(100):
            running = {row[0] for row in await watcher.fetch(
                "SELECT pid FROM pg_stat_activity WHERE pid = any($1::int[])", list(pids))}
            if running == expected:
                break
            await asyncio.sleep(0.05)
        return running

    async def one_statement() -> int:
        async with pool.acquire() as conn:
            return await conn.fetchval("SELECT pg_backend_pid()")

    try:
        await pool.open()
        release, pids = asyncio.Event(), set()

        async def busy() -> None:
            async with pool.acquire() as conn:
                pids.add(await conn.fetchval("SELECT pg_backend_pid()"))
                await release.wait()

        burst = [asyncio.create_task(busy()) for _ in range(4)]
        async with asyncio.timeout(30):
            while len(pids) < 4:
                await asyncio.sleep(0.01)
        release.set()
        await asyncio.gather(*burst)
        assert pool.open_count == 4 and await alive(pids, pids) == pids

        now[0] = 200.0                      # a heartbeat: the same connection each time
        kept = await one_statement()
        assert await one_statement() == kept and pool.open_count == 4
        now[0] = 301.0                      # the other three unused for 301 s
        assert await one_statement() == kept
        assert pool.open_count == 1 and await alive(pids, {kept}) == {kept}

        now[0] = 3600.0                     # an hour old: closed as it is given back
        assert await one_statement() == kept
        assert pool.open_count == 0 and await alive({kept}, set()) == set()
        fresh = await one_statement()
        assert fresh != kept and pool.open_count == 1
    finally:
        await pool.close()
        await watcher.close()
