"""``python -m bot check`` as an operator runs it, against the sandbox: a good token, a refused
token, a read-only data folder, a damaged media file, a proxy that takes no connections."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

from bot.media.paths import media_file
from bot.sandbox import FakeTelegram
from bot.storage import Storage
from bot.storage.db import latest_schema_version
from bot.storage.submissions import ArchivedItem
from tests import backends
from tests.processes import BotProcess, run_command
from tests.schedule_support import local, seed


def check_env(sandbox: FakeTelegram, data_dir: Path, **extra: str) -> dict[str, str]:
    env = BotProcess(sandbox, data_dir, []).env()
    env.update(extra)
    return env


async def seed_with_a_photo(data_dir: Path) -> tuple[str, Path]:
    """A campaign, two units with liaisons and one archived photo; returns its sha256 and
    where the media store keeps it."""
    liaisons = await seed(data_dir, liaisons=2)
    photo = b"\xff\xd8\xff\xe0 a photo of a drill " * 50
    sha = hashlib.sha256(photo).hexdigest()
    path = media_file(data_dir / "media", sha)
    path.parent.mkdir(parents=True)
    path.write_bytes(photo)
    storage = Storage(backends.target(data_dir / "bot.sqlite3"))
    await storage.open()
    try:
        weekly = (await storage.campaigns.calendar()).rule("weekly")
        await storage.submissions.record_archived(
            liaisons[0].unit_id, weekly.id, "2026-06-04",
            [ArchivedItem("photo", local(2026, 6, 4, 8, 30), "演练", sha, None, None,
                          "image/jpeg", len(photo))])
    finally:
        await storage.close()
    return sha, path


def lines_of(out: str) -> dict[str, str]:
    """The check's lines by subject: ``{"token": "[ok  ] token: @…", …}``."""
    found = {}
    for line in out.splitlines():
        if line.startswith("[") and "] " in line:
            subject = line.split("] ", 1)[1].split(":", 1)[0]
            found[subject] = line
    return found


async def test_a_good_configuration_passes_and_a_damaged_file_fails(sandbox, tmp_path,
                                                                   database_url):
    data_dir = tmp_path / "data"
    sha, path = await seed_with_a_photo(data_dir)
    code, out = await run_command(["check"], check_env(sandbox, data_dir), tmp_path)
    assert code == 0, out
    lines = lines_of(out)
    assert lines["token"] == "[ok  ] token: @safety_month_bot (Safety Month Bot, id 123456)"
    assert lines["data folder"].startswith(f"[ok  ] data folder: {data_dir} writable, ")
    assert "GB free" in lines["data folder"] or "MB free" in lines["data folder"]
    if database_url:
        schema = database_url.rsplit("search_path=", 1)[1]
        assert re.fullmatch(
            rf"\[ok  \] database: PostgreSQL 1\d\.\d+ at 127\.0\.0\.1:5432/test, schema "
            rf"{schema}: schema {latest_schema_version()}; 2 units, 2 liaisons, 1 submissions, "
            r"0 messages waiting in the outbox", lines["database"]), lines["database"]
    else:
        assert lines["database"].startswith(
            f"[ok  ] database: schema {latest_schema_version()}, quick_check ok; 2 units, "
            "2 liaisons, 1 submissions")
    assert lines["media store"] == "[ok  ] media store: 1 of 1 files read back against " \
                                   "their sha256, all intact"
    assert lines["time zone"].startswith("[ok  ] time zone: Asia/Shanghai, now ")
    assert lines["Bot API server"].startswith(
        f"[ok  ] Bot API server: local: API at {sandbox.api_base_url} (HTTP 200), files at "
        f"{sandbox.file_base_url} (HTTP ")
    assert lines["proxy"] == "[ok  ] proxy: none set"
    assert lines["processes"] == "[ok  ] processes: none running"
    assert lines["webhook"] == "[ok  ] webhook: none: long polling (0 update(s) waiting)"
    assert set(lines) == {"settings", "token", "data folder", "database", "processes",
                          "media store", "time zone", "Bot API server", "proxy", "CJK font",
                          "webhook"}
    assert out.rstrip().endswith("the bot can run")
    assert sandbox.token not in out

    path.write_bytes(b"not the photo any more")
    code, out = await run_command(["check"], check_env(sandbox, data_dir), tmp_path)
    assert code == 1
    assert lines_of(out)["media store"] == (
        f"[FAIL] media store: 1 of 1 sampled files: {sha[:12]}… damaged (its sha256 differs)")
    assert "the bot cannot run: 1 problem(s) above" in out


async def test_a_refused_token_fails_without_printing_it(sandbox, tmp_path, database_url):
    wrong = "123456:NOT-THE-TOKEN-abcdefghijklmnopqrstuv"
    env = check_env(sandbox, tmp_path / "data", TELEGRAM_BOT_TOKEN=wrong)
    code, out = await run_command(["check"], env, tmp_path)
    assert code == 1
    lines = lines_of(out)
    assert lines["token"].startswith("[FAIL] token: refused by Telegram (Unauthorized)")
    assert wrong not in out and "NOT-THE-TOKEN" not in out
    assert sandbox.stats["401"] >= 1
    # nothing to look at yet is not a fault: the first start creates the folder and database
    assert lines["data folder"].startswith(f"[ok  ] data folder: {tmp_path / 'data'} "
                                           "writable")
    assert "does not exist yet" in lines["data folder"]
    if database_url:                                  # the server's schema, not created here
        assert lines["database"].endswith(": empty, migrated to "
                                          f"{latest_schema_version()} at the next start")
    else:
        assert lines["database"].startswith("[ok  ] database: none yet")
    assert not (tmp_path / "data").exists()


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[list[str]]:
    """The folder refuses new files, even to root; yields a command prefix to run under
    (empty, unless only a read-only bind mount in a namespace of its own can do it)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield []
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        try:
            yield []
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        return
    yield ["unshare", "--map-root-user", "--mount", "sh", "-c",
           'mount --bind -o ro "$0" "$0" && exec "$@"', str(folder)]


async def test_a_read_only_data_folder_fails(sandbox, tmp_path):
    data_dir = tmp_path / "data"
    await seed_with_a_photo(data_dir)
    with read_only(data_dir) as prefix:
        code, out = await run_command(["check"], check_env(sandbox, data_dir), tmp_path,
                                      prefix=prefix)
    assert code == 1, out
    line = lines_of(out)["data folder"]
    assert line.startswith(f"[FAIL] data folder: {data_dir} is not writable: ")
    assert any(reason in line for reason in
               ("Operation not permitted", "Read-only file system", "Permission denied"))
    assert lines_of(out)["token"].startswith("[ok  ] token: @safety_month_bot")
    assert "the bot cannot run: 1 problem(s) above" in out


async def test_a_proxy_that_takes_no_connections_fails(sandbox, tmp_path):
    with socket.socket() as probe:      # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proxy = f"http://operator:s3cret@127.0.0.1:{port}"
    env = check_env(sandbox, tmp_path / "data", HTTP_PROXY=proxy, HTTPS_PROXY=proxy,
                    NO_PROXY="", no_proxy="")
    code, out = await run_command(["check"], env, tmp_path)
    assert code == 1
    lines = lines_of(out)
    assert lines["proxy"].startswith(f"[FAIL] proxy: http://operator:<redacted>@127.0.0.1:{port}"
                                     " (for 127.0.0.1) takes no connections")
    assert lines["token"].startswith("[FAIL] token: Telegram did not answer getMe")
    assert "s3cret" not in out
