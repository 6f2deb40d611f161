"""Start and stop like a Telegram client should (issue 14, point 7, the parts not about
webhooks): a revoked token (401) stops the process with a non-zero exit code, at start-up
and while it runs."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest

from bot.runtime import EXIT_TOKEN_REFUSED
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess

REVOKED = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"     # well formed, not the sandbox's


async def wait_exit(process: BotProcess, timeout: float = 30.0) -> int:
    return await asyncio.wait_for(process.process.wait(), timeout)


async def test_a_token_revoked_while_running_stops_the_process_non_zero(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    try:
        await process.start()
        sandbox.token = REVOKED      # @BotFather revoked it: every call 401
        await sandbox.user(ADMIN_ID, "王主任").send("你好")   # ends the poll under way
        assert await wait_exit(process) == EXIT_TOKEN_REFUSED
        assert "Telegram refused the bot token" in process.log()
    finally:
        await process.stop()


async def test_a_refused_token_at_start_up_exits_non_zero(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    process = BotProcess(sandbox, data_dir, [ADMIN_ID],
                         extra_env={"TELEGRAM_BOT_TOKEN": REVOKED})
    with process.log_path.open("ab") as log:
        process.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=str(data_dir.parent), env=process.env(),
            stdout=asyncio.subprocess.DEVNULL, stderr=log)
    try:
        assert await wait_exit(process) == EXIT_TOKEN_REFUSED
        assert "Telegram refused the bot token at start-up" in process.log()
        assert "Traceback" not in process.log()
    finally:
        await process.stop()


@pytest.mark.sandbox_refusals          # the injected 409s
async def test_a_409_from_another_poller_is_logged_as_such_and_retried(bot, sandbox, admin,
                                                                      caplog):
    caplog.set_level(logging.WARNING, logger="bot.runtime")
    await admin.command("start")
    await admin.wait_reply()
    sandbox.fail_requests(3, 409, ["getUpdates"])
    for _ in range(100):                             # the poll under way ends, then 3 refused
        if sandbox.stats["409"] >= 3:
            break
        await asyncio.sleep(0.1)
    await admin.command("help")
    await admin.wait_reply(timeout=30)               # answered once the conflict is over
    conflicts = [record.getMessage() for record in caplog.records
                 if "another process polls with this token" in record.getMessage()]
    assert len(conflicts) == 3
    assert [float(line.rsplit("retrying in ", 1)[1].split()[0]) for line in conflicts] == \
        [0.5, 1.0, 2.0]                              # backing off
