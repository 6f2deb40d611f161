"""Export parts under Telegram's 50,000,000 bytes (issue 14, point 7): an export of more than
that arrives in parts the sandbox (as strict as the Bot API server) accepts, one a second."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

from bot.media.paths import media_file
from bot.storage.submissions import ArchivedItem
from tests.limits_support import assert_within_limits

LIMIT = 50_000_000


async def test_an_export_over_fifty_megabytes_goes_in_parts_under_the_limit(desk, sandbox,
                                                                           admin):
    bot, seeded = desk.bot, desk.seeded
    data = os.urandom(56_000_000)           # does not compress: the zip is as big
    sha = hashlib.sha256(data).hexdigest()
    path = media_file(bot.settings.media_dir, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    name = seeded.names[5]
    calendar = await bot.storage.campaigns.calendar()
    weekly = calendar.rule("weekly")
    await bot.storage.submissions.record_archived(
        seeded.units[name], weekly.id, "2026-06-25",
        [ArchivedItem("document", desk.clock.now - timedelta(days=1), None, sha, None,
                      "现场录像.bin", "application/octet-stream", len(data))],
        late_seconds=None, liaison_id=None)
    await admin.command("export", "all")
    await admin.wait_reply(count=3, timeout=120)
    await admin.wait_quiet(2.0, timeout=120)
    parts = sorted((sent for sent in admin.messages if sent.document is not None),
                   key=lambda sent: sent.document.file_name)
    assert len(parts) >= 2
    assert all(part.document.size < LIMIT for part in parts)
    whole = b"".join(part.document.data for part in parts)
    assert len(whole) > LIMIT
    assert_within_limits(sandbox)
