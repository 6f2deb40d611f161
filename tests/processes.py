"""The bot as a real process (``python -m bot``) against the in-test sandbox: for kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.sandbox import FakeTelegram

ROOT = Path(__file__).resolve().parents[1]


class BotProcess:
    def __init__(self, sandbox: FakeTelegram, data_dir: Path, admin_ids: Sequence[int],
                 prefix: Sequence[str] = (), extra_env: dict[str, str] | None = None) -> None:
        self.sandbox = sandbox
        self.data_dir = data_dir
        self.admin_ids = admin_ids
        self.prefix = list(prefix)
        self.extra_env = extra_env or {}
        self.process: asyncio.subprocess.Process | None = None

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("TELEGRAM_", "BOT_"))}
        env.update({
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": self.sandbox.token,
            "TELEGRAM_API_BASE_URL": self.sandbox.api_base_url,
            "TELEGRAM_FILE_BASE_URL": self.sandbox.file_base_url,
            "BOT_DATA_DIR": str(self.data_dir),
            "BOT_ADMIN_IDS": ",".join(str(i) for i in self.admin_ids),
        })
        env.update(self.extra_env)
        return env

    async def start(self, wait_ready: float = 20.0) -> None:
        """Start and wait until the bot polls (its first getUpdates reached the sandbox)."""
        polls_before = self.sandbox.stats["getUpdates"]
        self.process = await asyncio.create_subprocess_exec(
            *self.prefix, sys.executable, "-m", "bot", cwd=str(self.data_dir.parent),
            env=self.env(), stdout=asyncio.subprocess.DEVNULL,
            stderr=open(self.data_dir.parent / "bot.log", "ab"),  # noqa: SIM115
        )
        deadline = asyncio.get_running_loop().time() + wait_ready
        while self.sandbox.stats["getUpdates"] <= polls_before:
            if self.process.returncode is not None:
                raise AssertionError(f"bot exited with {self.process.returncode}: {self.log()}")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("bot did not start polling: " + self.log())
            await asyncio.sleep(0.05)

    def log(self) -> str:
        path = self.data_dir.parent / "bot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    async def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        if self.process and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                await self.kill()
