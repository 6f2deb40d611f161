"""The bot as a real process (``python -m bot``) against the in-test sandbox: for kill -9 and
for runs under Debian's faketime."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.sandbox import FakeTelegram
from tests import backends

ROOT = Path(__file__).resolve().parents[1]
STARTED_LINE = "bot.app: bot @"   # bot.app.on_startup logs it once the bot is set up


class BotProcess:
    """``[prefix…] python -m bot`` with the sandbox's settings; the log goes to ``bot.log``
    beside the data folder. ``prefix`` wraps the bot (e.g. ``faketime -f @…``)."""

    def __init__(self, sandbox: FakeTelegram, data_dir: Path, admin_ids: Sequence[int],
                 prefix: Sequence[str] = (), extra_env: dict[str, str] | None = None) -> None:
        self.sandbox = sandbox
        self.data_dir = data_dir
        self.admin_ids = admin_ids
        self.prefix = list(prefix)
        self.extra_env = extra_env or {}
        self.log_path = data_dir.parent / "bot.log"
        self.process: asyncio.subprocess.Process | None = None

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("TELEGRAM_", "BOT_", "FAKETIME"))}
        env.update({
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": self.sandbox.token,
            "TELEGRAM_API_BASE_URL": self.sandbox.api_base_url,
            "TELEGRAM_FILE_BASE_URL": self.sandbox.file_base_url,
            "BOT_DATA_DIR": str(self.data_dir),
            "BOT_ADMIN_IDS": ",".join(str(i) for i in self.admin_ids),
        })
        if backends.current():
            env["BOT_DATABASE_URL"] = backends.current()
        env.update(self.extra_env)
        return env

    async def start(self, wait_ready: float = 20.0, prefix: Sequence[str] | None = None,
                    polls: bool = True) -> None:
        """Start (``prefix``: this run's wrapper, else the one given at construction) and
        wait until the bot polls: it logged its start-up (so a SIGTERM from now on is a clean
        stop) and a getUpdates reached the sandbox. The log line is needed too: a killed
        predecessor's getUpdates that the sandbox was still delaying may complete meanwhile."""
        if prefix is not None:
            self.prefix = list(prefix)
        polls_before = self._polls()
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.prefix, sys.executable, "-m", "bot", cwd=str(self.data_dir.parent),
                env=self.env(), stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )
        deadline = asyncio.get_running_loop().time() + wait_ready
        while (polls and self._polls() <= polls_before) or \
                STARTED_LINE not in self._logged_since(log_offset):
            if self.process.returncode is not None:
                raise AssertionError(f"bot exited with {self.process.returncode}: "
                                     + self.log()[-3000:])
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("bot did not start polling: " + self.log()[-3000:])
            await asyncio.sleep(0.05)

    def _polls(self) -> int:
        """getUpdates calls, or setWebhook calls for a bot in webhook mode (it polls no more:
        it listens once it has set its webhook)."""
        return self.sandbox.stats["getUpdates"] + self.sandbox.stats["setWebhook"]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _logged_since(self, offset: int) -> str:
        """What the log gained after ``offset`` bytes (this run's part of it)."""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def _bot_pids(self) -> list[int]:
        """The bot itself: a wrapper such as faketime runs it as a child and does not pass
        signals on, so the child is signalled."""
        assert self.process is not None
        pid = self.process.pid
        if not self.prefix:
            return [pid]
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return [int(child) for child in children] or [pid]

    async def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        if self.process and self.process.returncode is None:
            for pid in {*self._bot_pids(), self.process.pid}:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> int | None:
        """SIGTERM and wait (kill -9 after 30 s); returns the exit code."""
        if self.process and self.process.returncode is None:
            for pid in self._bot_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                await self.kill()
        return self.process.returncode if self.process else None


async def run_command(args: Sequence[str], env: dict[str, str], cwd: Path,
                      timeout: float = 120.0, prefix: Sequence[str] = ()) -> tuple[int, str]:
    """``[prefix…] python -m bot <args>`` to its end, without blocking the event loop (which
    serves the sandbox the command may talk to); returns the exit code and stdout + stderr."""
    process = await asyncio.create_subprocess_exec(
        *prefix, sys.executable, "-m", "bot", *args, cwd=str(cwd), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return process.returncode, out.decode(errors="replace")
