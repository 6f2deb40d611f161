"""The bot's log as an operator reads it (the bot as a real process): one line per event, the
level setting, the start-up line, and never the token — also when the connection breaks."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot import __version__
from bot.sandbox import FakeTelegram
from bot.storage.db import latest_schema_version
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess

TOKEN = "123456:AAH-secret-part-of-the-token_abcdefghij"
SECRET = TOKEN.split(":", 1)[1]
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL)"
                    r" [\w.]+: ")


def records(log: str) -> list[str]:
    lines = log.splitlines()
    strays = [line for line in lines if not RECORD.match(line)]
    assert not strays, f"lines that are not one record each: {strays[:5]}"
    return lines


async def wait_logged(process: BotProcess, text: str, count: int, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while process.log().count(text) < count:
        assert loop.time() < deadline, process.log()[-3000:]
        await asyncio.sleep(0.1)


async def test_the_start_up_line_says_what_the_bot_runs_on(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    await process.start()
    await process.stop()
    lines = records(process.log())
    (started,) = [line for line in lines if "bot.app: bot @" in line]
    assert started.endswith(
        f"INFO bot.app: bot @safety_month_bot started: version {__version__}, schema "
        f"{latest_schema_version()}, data folder {data_dir}, time zone Asia/Shanghai; 0 units, "
        "0 liaisons, 0 messages pending in the outbox")
    assert not [line for line in lines if " DEBUG " in line]     # BOT_LOG_LEVEL: INFO


async def test_the_token_is_redacted_from_every_record_when_the_connection_breaks(tmp_path):
    sandbox = FakeTelegram(token=TOKEN)
    await sandbox.start()
    process = BotProcess(sandbox, tmp_path / "data", [ADMIN_ID],
                         extra_env={"BOT_LOG_LEVEL": "DEBUG"})
    broken = None
    try:
        await process.start()
        port = sandbox.port
        await sandbox.stop()

        # the connection breaks: what now answers on the port cuts the request short and
        # answers garbage, and aiohttp's errors quote the URL, token included
        async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(65536)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n")
            await writer.drain()
            writer.close()

        broken = await asyncio.start_server(garbage, "127.0.0.1", port)
        await wait_logged(process, "getUpdates failed", 2)
        broken.close()
        await broken.wait_closed()
        broken = None
        await sandbox.start(port=port)            # the connection is back
        admin = sandbox.user(ADMIN_ID, "王主任")
        await admin.command("start")
        await admin.wait_reply(timeout=40)
    finally:
        if broken is not None:
            broken.close()
        await process.stop()
        await sandbox.stop()
    log = process.log()
    assert SECRET not in log
    lines = records(log)
    failures = [line for line in lines if "getUpdates failed" in line]
    assert len(failures) >= 2
    assert any("/bot123456:<redacted>/getUpdates" in line for line in failures), failures
    # python-telegram-bot's own debug lines name both URLs
    assert any(line.endswith(f"Set Bot API URL: {sandbox.api_base_url}123456:<redacted>")
               for line in lines)
    assert any(line.endswith(f"Set Bot API File URL: {sandbox.file_base_url}123456:<redacted>")
               for line in lines)
    assert any(" DEBUG " in line for line in lines)          # BOT_LOG_LEVEL=DEBUG


def test_a_bad_log_level_is_one_line_and_exit_2(tmp_path: Path):
    from tests.test_config_and_cli import clean_env, run_bot

    result = run_bot(env=clean_env() | {"BOT_LOG_LEVEL": "LOUD"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == "error: BOT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, " \
                            "got 'LOUD'\n"
