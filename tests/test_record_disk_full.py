"""Issue 13 point 4: a full disk gets one consistent answer (not "received"), and the desk
does not count the file as delivered (the bot as a real process under a file size limit)."""

from __future__ import annotations

import sys
from datetime import datetime, time

from bot.sandbox import generate_bytes
from bot.storage import Storage
from tests import backends
from tests.conftest import ADMIN_ID
from tests.processes import BotProcess
from tests.test_faults import SHANGHAI, seed_open_week
from tests.test_record_albums import LIAISON, open_week_or_skip
from tests.test_submissions_flow import FULL_DISK_LIMIT, OVER_THE_LIMIT

# runs the rest of its command line with files limited to FULL_DISK_LIMIT (Python ignores
# SIGXFSZ, so a write past the limit fails with EFBIG, as one on a full disk with ENOSPC)
LIMITED = [sys.executable, "-c",
           "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, "
           f"({FULL_DISK_LIMIT}, resource.RLIM_INFINITY)); os.execv(sys.argv[1], sys.argv[1:])"]


async def delivered(database) -> dict[int, int | None]:
    storage = Storage(backends.target(database))
    await storage.open()
    try:
        weekly = (await storage.campaigns.calendar()).rule("weekly")
        return await storage.submissions.delivered_units(
            weekly.id, datetime.now(SHANGHAI).date().isoformat())
    finally:
        await storage.close()


async def test_a_video_on_a_full_disk_is_not_received_and_not_delivered(sandbox, tmp_path):
    open_week_or_skip()
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True)
    database = data_dir / "bot.sqlite3"
    await seed_open_week(database, 1, LIAISON, time(23, 58))
    liaison = sandbox.user(LIAISON, "李明")
    process = BotProcess(sandbox, data_dir, [ADMIN_ID])
    await process.start(prefix=LIMITED)
    try:
        await liaison.send_video(generate_bytes(OVER_THE_LIMIT, "full"))
        answer = await liaison.wait_reply(timeout=20)
        assert await liaison.wait_quiet(quiet=1.0) == []
    finally:
        await process.stop()
    assert len(answer) == 1
    text = answer[0].text
    assert "存储空间已满" in text and "重新发送" in text
    assert "已收到" not in text and "按时" not in text and "计入" not in text
    assert await delivered(database) == {}           # the desk: this unit has not delivered

    await process.start(prefix=[])                   # space again: sent again, received
    try:
        await liaison.send_video(generate_bytes(OVER_THE_LIMIT, "full"))
        receipt = await liaison.wait_reply(timeout=20)
    finally:
        await process.stop()
    assert "已收到：1 个视频" in receipt[-1].text and "按时" in receipt[-1].text
    assert list((await delivered(database)).values()) == [None]      # on time
