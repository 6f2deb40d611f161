"""The bot as a real process (``python -m bot``) under Debian's faketime, a few seconds before
a due time: the real JobQueue fires the Thursday prompt; a restart sends nothing again and
catches up on the reminder; the deadline's digest names the missing."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.storage import Storage
from tests import backends
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess
from tests.schedule_support import deliver, local, seed

ROOT = Path(__file__).resolve().parents[1]
FAKETIME = shutil.which("faketime")

pytestmark = pytest.mark.skipif(FAKETIME is None,
                                reason="faketime is not on PATH (apt-get install faketime)")


def under_faketime(local_time: str) -> list[str]:
    """An @ time is the process's local time (TZ is set to China time for the bot)."""
    return [FAKETIME, "-f", f"@{local_time}"]


async def wait_for(condition, process: BotProcess, timeout: float = 45.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert process.process.returncode is None, process.log()
        assert loop.time() < deadline, "not in time; the bot's log:\n" + process.log()
        await asyncio.sleep(0.2)


def weekly(sandbox, chat_id: int) -> list:
    return [sent for sent in sandbox.messages_to(chat_id)
            if sent.find_button("📤 开始报送") is not None]


async def test_thursday_prompt_reminder_and_digest_from_a_process_under_faketime(
        sandbox, tmp_path):
    data_dir = tmp_path / "data"
    liaisons = await seed(data_dir, liaisons=3, only=("weekly",))
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    sandbox.user(ADMIN_ID, "王主任")
    bot = BotProcess(sandbox, data_dir, [ADMIN_ID], extra_env={"TZ": "Asia/Shanghai"})

    # 1. started twenty seconds before 08:00 (a start-up on a loaded 2-core machine has taken
    # eight): nothing is due at start; the 08:00 job prompts
    await bot.start(prefix=under_faketime("2026-06-04 07:59:40"))
    try:
        await wait_for(lambda: all(weekly(sandbox, one.person_id) for one in liaisons), bot)
        await asyncio.sleep(0.5)
    finally:
        assert await bot.stop() == 0, bot.log()
    log = bot.log()
    started = log.index("bot @safety_month_bot started")
    assert "message(s) written to the outbox" in log[started:], log   # by the job, not at start
    assert "message(s) written to the outbox" not in log[:started], log
    for liaison in liaisons:
        (prompt,) = weekly(sandbox, liaison.person_id)
        assert "请于 6月4日（周四）10:00 前报送" in prompt.plain_text

    # between the runs one unit delivers
    delivered, *missing = liaisons
    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
    await storage.open()
    await deliver(storage, delivered.unit_id, "weekly", "2026-06-04", local(2026, 6, 4, 9, 0))
    await storage.close()

    # 2. restarted at 09:59:53: no second prompt; the 15-minute reminder (still open) goes to
    # the missing only; at 10:00 the digest names them with their mobiles
    await bot.start(prefix=under_faketime("2026-06-04 09:59:53"))
    try:
        await wait_for(lambda: any(sent.plain_text.startswith("📋 每周活动材料")
                                   for sent in sandbox.messages_to(ADMIN_ID)), bot)
        await asyncio.sleep(0.5)
    finally:
        assert await bot.stop() == 0, bot.log()
    assert len(weekly(sandbox, delivered.person_id)) == 1
    for liaison in missing:
        prompt, reminder = weekly(sandbox, liaison.person_id)
        assert "⏰ 提醒" in reminder.plain_text and "尚未报送" in reminder.plain_text
    (digest,) = [sent.plain_text for sent in sandbox.messages_to(ADMIN_ID)
                 if sent.plain_text.startswith("📋 每周活动材料")]
    assert "按时：1 个单位" in digest and "未交：2 个单位" in digest
    for liaison in missing:
        assert f"{liaison.unit_name} — {liaison.name}，{liaison.mobile}" in digest
    assert delivered.mobile not in digest
