"""/review over 1,000 submissions stays paged, and every message and keyboard the bot sends
stays inside Telegram's limits: 4096 characters a message, at most 100 buttons, at most 8
in a row, callback data of 1-64 bytes, an album of 2-10 media."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.kernel.schedule import deadlines, default_rules
from bot.kernel.text import utf16_length
from bot.ptb.buttons import ReviewShow
from bot.storage.submissions import ArchivedItem
from tests.conftest import ADMIN_ID, BotUnderTest
from tests.desk_seed import TZ, Clock, _store, photo_bytes

UNITS = 1000
WEEK = "2026-06-11"
BIG = 1                      # the first on time: 12 photos and three 9,000-character texts




@pytest.fixture
async def world(sandbox, tmp_path, database_url):
    clock = Clock(datetime(2026, 6, 1, 9, 0, tzinfo=TZ))
    bot = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock)
    await bot.start()
    storage = bot.storage
    await storage.campaigns.create(2026, "2026年安全生产月", "人人讲安全、个个会应急",
                                   date(2026, 6, 1), date(2026, 6, 30), "Asia/Shanghai",
                                   default_rules(2026), created_by=ADMIN_ID)
    weekly = (await storage.campaigns.calendar()).rule("weekly")
    due = next(d for d in deadlines(weekly, TZ) if d.period == WEEK).due
    for index in range(UNITS):
        unit = await storage.units.create(f"第{index:04d}号单位安全生产委员会办公室", None,
                                          ADMIN_ID)
        late = 3600 + index if index % 3 == 0 else None
        at = due + timedelta(seconds=late) if late else due - timedelta(hours=3)
        items = [ArchivedItem("text", at, f"第{index}号单位本周开展安全宣传活动。")]
        if index == BIG:
            items = [ArchivedItem("photo", at, f"照片{number}",
                                  *_store(bot.settings.media_dir,
                                          photo_bytes(1, 1, number), thumb=False),
                                  None, "image/jpeg", 900)
                     for number in range(12)]
            items += [ArchivedItem("text", at, "很长的文字说明。" * 1125) for _ in range(3)]
        await storage.submissions.record_archived(unit.id, weekly.id, WEEK, items,
                                                  late_seconds=late)
    clock.now = datetime(2026, 6, 12, 9, 0, tzinfo=TZ)
    yield bot, weekly.id
    await bot.stop()


def check_limits(sent) -> None:
    text = sent.text or ""
    assert utf16_length(sent.plain_text or text) <= 4096, sent
    if sent.media is not None:
        assert 2 <= len(sent.media) <= 10
    rows = (sent.reply_markup or {}).get("inline_keyboard", [])
    assert sum(len(row) for row in rows) <= 100
    for row in rows:
        assert 1 <= len(row) <= 8
        for button in row:
            assert 1 <= len(button["callback_data"].encode()) <= 64


async def test_review_over_a_thousand_submissions_is_paged_within_telegrams_limits(
        world, sandbox, admin):
    _bot, weekly_id = world
    await admin.command("review", "6月11日")
    # the album, then the card in parts: the last (its buttons) ends with the note
    first = await admin.wait_for("全文见 /export", timeout=30)
    album = first[0]
    assert album.method == "sendMediaGroup" and len(album.media) == 10
    card = first[-1]
    assert "第0001号单位" in first[1].plain_text and f"第 1/{UNITS} 份 · 按时" in \
        first[1].plain_text
    assert "另有 2 张图片" in first[1].plain_text
    # 27,038 characters (the three texts and the twelve captions), 10,000 shown
    assert "（其余文字 17038 字未显示，全文见 /export）" in card.plain_text
    assert "（续）" in card.plain_text and card.button_texts()[-1] == "📋 列表"

    await admin.press("📋 列表", card)
    listing = (await admin.wait_reply())[-1]
    on_time = UNITS - len(range(0, UNITS, 3))
    assert f"共 {UNITS} 份（按时 {on_time}，迟交 {UNITS - on_time}" in listing.plain_text
    assert "第 1/100 页" in listing.plain_text
    await admin.press("末页 ⏭", listing)
    listing = (await admin.wait_reply())[-1]
    assert "第 100/100 页" in listing.plain_text and "1000. 第" in listing.plain_text
    assert "迟交" in listing.plain_text.splitlines()[-1]     # the late ones come last
    await admin.press("◀ 上一页", listing)
    listing = (await admin.wait_reply())[-1]
    assert "第 99/100 页" in listing.plain_text
    label = next(text for text in listing.button_texts() if text.startswith("990. "))
    await admin.press(label, listing)
    card = (await admin.wait_reply())[-1]
    assert f"第 990/{UNITS} 份 · 迟交" in card.plain_text

    await admin.press_data(ReviewShow(weekly_id, UNITS, WEEK).pack())
    assert (await admin.wait_reply())[-1].plain_text == "这已是最后一份。"
    for sent in admin.messages:
        check_limits(sent)
        for edit in sent.edits:
            check_limits(edit)
