"""Settings validation and the command line: no token, demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]


def run_bot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def clean_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TELEGRAM_", "BOT_"))}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_no_token_is_one_line_and_exit_2(tmp_path):
    result = run_bot(env=clean_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_token_is_one_line_and_exit_2(tmp_path):
    env = clean_env() | {"TELEGRAM_BOT_TOKEN": "not a token"}
    result = run_bot(env=env, cwd=tmp_path)
    assert result.returncode == 2 and "malformed" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_plays_the_scene_and_exits_0(tmp_path):
    result = run_bot("demo", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "/addunit 长春市工信局" in out
    assert "登记成功" in out
    assert "单位列表" in out and "李明" in out


def test_settings_from_env_file(tmp_path):
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=123456:ABCDEFGHIJ\nBOT_ADMIN_IDS=1, 2\nBOT_LANGUAGE=en\n"
        "BOT_DATA_DIR=/tmp/x\n", encoding="utf-8")
    settings = load_settings({}, tmp_path / ".env")
    assert settings.admin_ids == {1, 2} and settings.language == "en"
    assert str(settings.data_dir) == "/tmp/x" and settings.timezone.key == "Asia/Shanghai"
    with pytest.raises(ConfigError):
        load_settings({"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJ", "BOT_TIMEZONE": "Mars/Base"},
                      None)
    with pytest.raises(ConfigError):
        load_settings({"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJ", "BOT_ADMIN_IDS": "abc"}, None)
