"""Several bot processes on one PostgreSQL database (issue 18 point 2 and its acceptance):
two real processes (``python -m bot``) share the work; the leader is killed (kill -9) twice
and started again while liaisons send albums, photos and texts (tests/cluster_acceptance.py).

The acceptance's size, 200 liaisons, is one command:
``BOT_SCALE_LIAISONS=200 python -m pytest -s -n 0 tests/test_scale_processes.py -k killed``
passed three times on the shared 2-core machine: 43.9 s, 38.7 s (5 receipts repeated, load
average 1.3) and 39.9 s (5 repeated, load 3.2). Two such tests (polling and webhook) would
take 80 s of CI's 10 minutes, so the suite runs 16 liaisons (18 s).
"""

from __future__ import annotations

import asyncio
import os
from datetime import time

import pytest

from tests import cluster_acceptance
from tests.cluster_acceptance import jpeg, until
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess, run_command
from tests.test_faults import seed_open_week

LIAISONS = int(os.environ.get("BOT_SCALE_LIAISONS", "16"))

pytestmark = pytest.mark.postgres_only(reason="several processes share the work only on PostgreSQL")


async def test_two_processes_lose_nothing_when_the_leader_is_killed_twice(sandbox, tmp_path):
    figures = await cluster_acceptance.run(sandbox, tmp_path, LIAISONS, 8000, webhook=False)
    print(f"{LIAISONS} liaisons: {figures}")


async def test_an_album_whose_process_is_killed_mid_way_is_finished_by_the_other_at_once(
        sandbox, tmp_path):
    """The album's claim names its process; killed (kill -9) while its downloads hang, the
    other process finds its pid gone and takes the album over — the receipt comes within
    seconds, not after the claim's 120 s lease."""
    cluster_acceptance.skip_late_in_the_day()
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    (liaison_id,) = await seed_open_week(data_dir / "bot.sqlite3", 1, 8300, time(23, 58))
    liaison = sandbox.user(liaison_id, "李明")
    processes, storage = await cluster_acceptance.two_processes(sandbox, data_dir, tmp_path)

    async def owner() -> str | None:
        row = await storage.db.fetchone("SELECT claimed_by FROM album")
        return row["claimed_by"] if row else None

    try:
        await asyncio.gather(*(process.start(wait_ready=60, polls=False)
                               for process in processes))
        await liaison.send_album([("photo", jpeg(n), None) for n in range(3)])
        await sandbox.wait_fetched(timeout=20)
        sandbox.latency = 5.0          # every Bot API call hangs: the claimed album waits
        await until(owner, 20, "the album claimed")
        claimant = await owner()
        pid = int(claimant.split(":")[1])
        victim, = [process for process in processes if process.process.pid == pid]
        await victim.kill()
        sandbox.latency = 0.0
        # well before the lease: the other process found the victim's pid gone
        await until(lambda: _receipts(sandbox, liaison_id, 1), 30, "the album's receipt")
        await asyncio.sleep(2.0)       # and no second one
        assert len([sent for sent in sandbox.messages_to(liaison_id)
                    if "已收到" in sent.text]) == 1
        assert "3 张图片" in sandbox.messages_to(liaison_id)[-1].text
        rows = await storage.db.fetchall("SELECT message_id, archived FROM item")
        assert len({row["message_id"] for row in rows}) == len(rows) == 3
        assert {row["archived"] for row in rows} == {"yes"}
        stopped = {row.id: row.stopped_at for row in await storage.processes.recent()}
        assert stopped[claimant] is not None          # found gone, as its peer logged
        survivor, = [process for process in processes if process is not victim]
        assert f"{claimant} found gone" in survivor.log()
    finally:
        sandbox.latency = 0.0
        for process in processes:
            await process.stop()
        await storage.close()


async def _receipts(sandbox, chat_id: int, count: int) -> bool:
    return len([sent for sent in sandbox.messages_to(chat_id) if "已收到" in sent.text]) >= count


async def test_check_names_the_backend_the_leader_and_each_process_and_backup_says_pg_dump(
        sandbox, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    await seed_open_week(data_dir / "bot.sqlite3", 2, 8100, time(0, 0))
    first = BotProcess(sandbox, data_dir, [ADMIN_ID])
    first.log_path = tmp_path / "a.log"
    second = BotProcess(sandbox, data_dir, [ADMIN_ID])
    second.log_path = tmp_path / "b.log"
    await first.start()
    await second.start(polls=False)
    try:
        env = first.env()
        code, out = await run_command(["check"], env, tmp_path)
        lines = {line.split("] ", 1)[1].split(":", 1)[0]: line for line in out.splitlines()
                 if line.startswith("[")}
        assert lines["database"].startswith("[ok  ] database: PostgreSQL 15") or \
            lines["database"].startswith("[ok  ] database: PostgreSQL 1"), lines["database"]
        assert "2 units, 2 liaisons" in lines["database"]
        assert lines["processes"].startswith("[ok  ] processes: 2 running: "), out
        assert lines["processes"].count(" leader (") == 1, lines["processes"]
        code, out = await run_command(["backup", str(tmp_path / "backup")], env, tmp_path)
        assert code == 2 and "pg_dump" in out
        assert not (tmp_path / "backup").exists()
    finally:
        await second.stop()
        await first.stop()
    code, out = await run_command(["check"], first.env(), tmp_path)
    assert "[ok  ] processes: none running" in out
