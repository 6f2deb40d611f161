"""Settings validation and the command line: no token, demo."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

pytestmark = pytest.mark.no_database      # opens no database: runs once

ROOT = Path(__file__).resolve().parents[1]
DEMO_TOP = "2026年安全生产月_每周活动材料_6月4日一期"      # the export's one folder
DEMO_WEEK = f"{DEMO_TOP}/每周活动材料/6月4日一期"


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


def demo_shows_the_week(out: str) -> None:
    """What ``python -m bot demo`` must print: the week as the people in it read it."""
    expected = [
        "王主任 › /campaign",
        "✅ 已创建“2026年安全生产月”",
        "已新增单位“长春市工信局”", "已新增单位“吉林市应急管理局”",
        "登记成功！您现在是“长春市工信局”的联络员",
        # Thursday 08:00, the prompt to both liaisons
        "🤖 → 李明 › 📅 每周活动材料请于 6月4日（周四）10:00 前报送。",
        "🤖 → 王芳 › 📅 每周活动材料请于 6月4日（周四）10:00 前报送。",
        # the album and its one receipt
        "李明 › [图片", "6月3日全员安全培训",
        "🤖 → 李明 › ✅ 已收到：3 张图片", "按时报送。",
        # the reminder, to the one who sent nothing
        "🤖 → 王芳 › ⏰ 提醒：每周活动材料将于 6月4日（周四）10:00 截止，贵单位尚未报送。",
        # the digest at 10:00 names the missing unit and its liaison
        "🤖 → 王主任 › 📋 每周活动材料已于 6月4日（周四）10:00 截止。",
        "未交：1 个单位", "• 吉林市应急管理局 — 王芳，13900139000",
        # /status
        "报送情况 · 每周活动材料（6月4日一期）", "共 2 个单位：按时 1 · 迟交 0 · 未交 1",
        # /export and what the zip holds
        "export_2026-06-04.zip holds:",
        f"{DEMO_WEEK}/长春市工信局/长春市工信局_2026-06-04_3.jpg",
        f"{DEMO_TOP}/报送汇总.xlsx", f"{DEMO_TOP}/index.html",
        "(demo finished)",
    ]
    missing = [line for line in expected if line not in out]
    assert not missing, f"not in the demo's output: {missing}\n{out}"
    assert "⏰ 提醒" not in "".join(line for line in out.splitlines() if "→ 李明" in line)


def test_demo_plays_the_week_and_exits_0(tmp_path):
    result = run_bot("demo", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    demo_shows_the_week(result.stdout)
    assert result.stderr == ""          # no warning, no traceback
    assert list(tmp_path.iterdir()) == []   # nothing left behind without --keep


def test_demo_keep_leaves_the_data_the_export_and_the_media(tmp_path):
    kept = tmp_path / "kept"
    result = run_bot("demo", "--keep", str(kept), env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(kept / "exports" / "export_2026-06-04.zip") as archive:
        photos = [name for name in archive.namelist()
                  if name.startswith(f"{DEMO_WEEK}/长春市工信局/长春市工信局_2026-06-04_")]
    assert len(photos) == 3
    database = sqlite3.connect(kept / "data" / "bot.sqlite3")
    try:
        stored = database.execute("SELECT media_sha256 FROM item WHERE kind = 'photo'"
                                  ).fetchall()
    finally:
        database.close()
    assert len(stored) == 3
    for (sha,) in stored:
        path = kept / "data" / "media" / sha[:2] / sha
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    again = run_bot("demo", "--keep", str(kept), env=clean_env(), cwd=tmp_path)
    assert again.returncode == 2 and "not empty" in again.stdout


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
