"""Several bot processes on one PostgreSQL database (issue 18 point 2 and its acceptance):
two real processes (``python -m bot``) share the work; the leader is killed (kill -9) twice
and started again while liaisons send albums, photos and texts (tests/cluster_acceptance.py).

The acceptance's size, 200 liaisons, is one command:
``BOT_SCALE_LIAISONS=200 python -m pytest -n 0 tests/test_scale_processes.py -k killed``
(the suite runs 16).
"""

from __future__ import annotations

import os
from datetime import time

import pytest

from tests import cluster_acceptance
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess, run_command
from tests.test_faults import seed_open_week

LIAISONS = int(os.environ.get("BOT_SCALE_LIAISONS", "16"))

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


async def test_two_processes_lose_nothing_when_the_leader_is_killed_twice(sandbox, tmp_path):
    figures = await cluster_acceptance.run(sandbox, tmp_path, LIAISONS, 8000, webhook=False)
    print(f"{LIAISONS} liaisons: {figures}")


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
