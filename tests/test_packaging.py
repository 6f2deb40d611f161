"""The bot as an office's IT person installs it: a wheel built from a checkout, installed into a
fresh virtual environment, run from an empty folder (no source tree anywhere near)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.test_config_and_cli import demo_shows_the_week

pytestmark = pytest.mark.no_database      # opens no database: runs once

ROOT = Path(__file__).resolve().parents[1]
LEFT_OUT = shutil.ignore_patterns(".git", ".venv", "data", "build", "dist", "*.egg-info",
                                  "__pycache__", ".pytest_cache", ".ruff_cache",
                                  ".hypothesis", "out")


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 180) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result


def test_the_wheel_installs_anywhere_and_its_demo_plays_the_week(tmp_path):
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT, checkout, symlinks=True, ignore=LEFT_OUT)
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, checkout,
        cwd=tmp_path)
    (wheel,) = dist.glob("safety_month_bot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    for migration in sorted((ROOT / "migrations").glob("*.sql")):
        assert f"bot/storage/migrations/{migration.name}" in shipped
    assert {"bot/forms/changchun_2019.json", "bot/texts/zh/common.toml",
            "bot/texts/en/common.toml"} <= shipped

    # a fresh environment; the machine's packages serve the dependencies, so only the
    # wheel installs (pip itself comes from them too)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv,
        cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", wheel, cwd=tmp_path)

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TELEGRAM_", "BOT_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = run(python, "-c", "import bot; print(bot.__file__)", cwd=empty, env=env)
    assert where.stdout.strip().startswith(str(venv / "lib"))
    usage = run(venv / "bin" / "safety-month-bot", "--help", cwd=empty, env=env).stdout
    for command in ("run", "demo", "check", "backup", "restore"):
        assert f"    {command} " in usage, usage
    played = run(python, "-m", "bot", "demo", cwd=empty, env=env)
    demo_shows_the_week(played.stdout)
    assert list(empty.iterdir()) == []
