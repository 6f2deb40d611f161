"""What liaisons send, end to end through the sandbox: intake, receipts, the media store."""

from __future__ import annotations

import io
import random
import resource
import signal
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.sandbox import generate_bytes
from tests.conftest import create_campaign, new_liaison

TZ = ZoneInfo("Asia/Shanghai")
MB = 1024 * 1024
# a file size limit put on the bot's process stands for a full disk; it applies to every file
# the process writes, so it stays above the offsets SQLite writes at (its WAL grows to ~1,000
# pages, 4.1 MB, before a checkpoint starts it again), and the video sent against it is larger
FULL_DISK_LIMIT = 8 * MB
OVER_THE_LIMIT = 12 * MB


class Clock:
    """The bot's clock and the sandbox's message dates, moved together by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment.astimezone(UTC)

    def set(self, *args: int) -> None:
        self.moment = datetime(*args, tzinfo=TZ)


def sandbox_clock(sandbox, moment: datetime) -> Clock:
    """A clock at ``moment`` that the sandbox's message dates follow."""
    clock = Clock(moment)
    sandbox.now = lambda: clock().timestamp()
    return clock


@pytest.fixture
def clock(sandbox) -> Clock:
    """Thursday 4 June 2026, 09:00 (the conftest's ``bot`` runs on it)."""
    return sandbox_clock(sandbox, datetime(2026, 6, 4, 9, 0, tzinfo=TZ))


def jpeg(seed: int, size: tuple[int, int] = (640, 480), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, ((seed * 40) % 256, (seed * 90) % 256, 120))
    out = io.BytesIO()
    if orientation is None:
        image.save(out, format="JPEG")
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def detailed_jpeg(seed: int, size: tuple[int, int]) -> bytes:
    """A photo with detail (smooth random colours), so that two ways of scaling it down give
    different bytes."""
    coarse = Image.frombytes("RGB", (40, 30), random.Random(seed).randbytes(40 * 30 * 3))
    out = io.BytesIO()
    coarse.resize(size, Image.Resampling.BILINEAR).save(out, format="JPEG")
    return out.getvalue()


async def rule_id(bot, key: str) -> int:
    return (await bot.storage.campaigns.calendar()).rule(key).id


async def unit_of(bot, user) -> int:
    return (await bot.storage.liaisons.open_for_person(user.id)).unit_id


async def submission(bot, user, key: str, period: str):
    return await bot.storage.submissions.find(await unit_of(bot, user), await rule_id(bot, key),
                                              period)


def stored_files(bot) -> list[Path]:
    media = bot.settings.media_dir
    return sorted(path for path in media.rglob("*") if path.is_file()
                  and path.parent != media / "tmp")


async def test_album_of_five_photos_is_one_submission_with_thumbnails_and_one_receipt(
        bot, sandbox, liaison):
    await liaison.send_album([("photo", jpeg(index), "6月3日全员安全培训" if index == 0 else None)
                              for index in range(5)])
    receipt = await liaison.wait_reply(timeout=15)
    assert len(receipt) == 1
    assert "5 张图片" in receipt[0].text and "每周活动材料" in receipt[0].text
    assert "6月4日（周四）10:00" in receipt[0].text and "按时" in receipt[0].text
    assert await liaison.wait_quiet(quiet=2.0) == []      # one receipt, not five

    found = await submission(bot, liaison, "weekly", "2026-06-04")
    items = await bot.storage.submissions.items(found.id)
    assert [item.kind for item in items] == ["photo"] * 5
    assert items[0].text == "6月3日全员安全培训"
    assert len({item.media_group_id for item in items}) == 1
    media = bot.app.bot_data.media
    for index, item in enumerate(items):
        assert item.archived == "yes"
        assert media.path_of(item.media_sha256).read_bytes() == jpeg(index)
        with Image.open(media.path_of(item.thumb_sha256)) as thumb:
            assert thumb.format == "JPEG" and max(thumb.size) <= 320
    assert len(stored_files(bot)) == 10


async def test_the_same_photo_twice_is_stored_once_and_recorded_twice(bot, sandbox, liaison):
    photo = jpeg(7)
    sent = await liaison.send_photo(photo)
    first = await liaison.wait_reply(timeout=10)
    await liaison.send_photo(photo)
    second = await liaison.wait_reply(timeout=10)
    assert "1 张图片" in first[-1].text and "1 张图片" in second[-1].text

    unique_id = sent["photo"][-1]["file_unique_id"]
    assert sandbox.download_count[unique_id] == 1
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    items = await bot.storage.submissions.items(found.id)
    assert len(items) == 2 and items[0].media_sha256 == items[1].media_sha256
    assert items[0].thumb_sha256 == items[1].thumb_sha256
    assert len(stored_files(bot)) == 2      # the photo and its thumbnail, once each


async def test_a_photos_thumbnail_is_telegrams_own_320_px_copy_stored_as_it_is(
        bot, sandbox, liaison):
    photo = detailed_jpeg(5, (1600, 1200))
    sent = await liaison.send_photo(photo)
    await liaison.wait_reply(timeout=10)
    sizes = sent["photo"]
    assert [(size["width"], size["height"]) for size in sizes] == [
        (90, 68), (320, 240), (800, 600), (1280, 960), (1600, 1200)]
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    item = (await bot.storage.submissions.items(found.id))[0]
    media = bot.app.bot_data.media
    assert media.path_of(item.media_sha256).read_bytes() == photo
    # not re-encoded from the original: the very bytes of Telegram's 320 px copy
    assert media.path_of(item.thumb_sha256).read_bytes() == \
        sandbox.file_bytes(sizes[1]["file_id"])
    assert [sandbox.download_count[size["file_unique_id"]] for size in sizes] == [0, 1, 0, 0, 1]
    assert len(stored_files(bot)) == 2


async def test_when_telegrams_copy_cannot_be_fetched_the_thumbnail_is_made_from_the_original(
        bot, sandbox, liaison):
    photo = detailed_jpeg(6, (1600, 1200))
    medium = (await liaison.send_photo(photo))["photo"][1]
    sandbox.break_download(medium["file_unique_id"])
    receipt = await liaison.wait_reply(timeout=10)
    assert "1 张图片" in receipt[-1].text and "下载中断" not in receipt[-1].text
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    item = (await bot.storage.submissions.items(found.id))[0]
    media = bot.app.bot_data.media
    assert item.archived == "yes"
    assert media.path_of(item.media_sha256).read_bytes() == photo
    with Image.open(media.path_of(item.thumb_sha256)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 240)
    assert media.path_of(item.thumb_sha256).read_bytes() != sandbox.file_bytes(medium["file_id"])
    assert len(stored_files(bot)) == 2          # nothing of the broken download is kept
    assert list((bot.settings.media_dir / "tmp").iterdir()) == []


async def test_with_no_320_px_copy_the_next_copy_up_is_shrunk_and_not_kept(
        bot, sandbox, liaison):
    photo = detailed_jpeg(8, (1600, 1200))
    sizes = (await liaison.send_photo(photo, boxes=(90, 800)))["photo"]
    await liaison.wait_reply(timeout=10)
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    item = (await bot.storage.submissions.items(found.id))[0]
    with Image.open(bot.app.bot_data.media.path_of(item.thumb_sha256)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 240)
    assert [sandbox.download_count[size["file_unique_id"]] for size in sizes] == [0, 1, 1]
    assert len(stored_files(bot)) == 2          # the photo and the thumbnail, not the copy
    assert list((bot.settings.media_dir / "tmp").iterdir()) == []


async def test_exif_orientation_is_respected_in_the_thumbnail(bot, sandbox, liaison):
    await liaison.send_photo(jpeg(3, size=(600, 300), orientation=6))   # rotated 90°
    await liaison.wait_reply(timeout=10)
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    item = (await bot.storage.submissions.items(found.id))[0]
    with Image.open(bot.app.bot_data.media.path_of(item.thumb_sha256)) as thumb:
        assert thumb.size[1] > thumb.size[0]


async def test_nothing_this_week_counts_as_delivered_and_a_real_submission_replaces_it(
        bot, sandbox, clock, liaison):
    weekly = await rule_id(bot, "weekly")
    await liaison.press_data("submit:nil:weekly:2026-06-04")
    recorded = await liaison.wait_reply()
    assert "本期无材料" in recorded[-1].text and "不说明原因" in recorded[-1].button_texts()
    unit_id = await unit_of(bot, liaison)
    assert await bot.storage.submissions.delivered_units(weekly, "2026-06-04") == {unit_id: None}

    await liaison.send("本周停产检修，未开展活动")
    assert "原因已记录" in (await liaison.wait_reply())[-1].text
    nil = await submission(bot, liaison, "weekly", "2026-06-04")
    assert (nil.state, nil.nil_reason) == ("nil", "本周停产检修，未开展活动")
    assert await bot.storage.submissions.nil_units(weekly, "2026-06-04") == {
        unit_id: "本周停产检修，未开展活动"}

    clock.set(2026, 6, 4, 9, 30)
    await liaison.send_photo(jpeg(1), caption="补充：班组安全检查")
    receipt = await liaison.wait_reply(timeout=10)
    assert "已替换" in receipt[-1].text and "6月4日（周四）10:00" in receipt[-1].text
    real = await submission(bot, liaison, "weekly", "2026-06-04")
    assert real.id == nil.id and real.state == "open" and real.nil_reason is None
    assert await bot.storage.submissions.nil_units(weekly, "2026-06-04") == {}
    assert await bot.storage.submissions.delivered_units(weekly, "2026-06-04") == {unit_id: None}


async def test_nil_refused_when_materials_are_already_in(bot, sandbox, liaison):
    await liaison.send("周一开展了消防演练")
    await liaison.wait_reply()
    await liaison.press_data("submit:nil:weekly:2026-06-04")
    assert "无需报告" in (await liaison.wait_reply())[-1].text
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    assert found.state == "open"


async def test_a_25_mb_video_keeps_its_reference_and_downloads_with_a_local_server(
        bot, sandbox, liaison):
    sent = await liaison.send_video(size=25 * MB, caption="应急演练全程")
    receipt = await liaison.wait_reply(timeout=20)
    assert "1 个视频" in receipt[-1].text
    assert "超过 20 MB" in receipt[-1].text and "压缩" in receipt[-1].text
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    item = (await bot.storage.submissions.items(found.id))[0]
    assert item.archived == "too_big" and item.media_sha256 is None
    assert item.file_id == sent["video"]["file_id"] and item.size == 25 * MB
    assert stored_files(bot) == []

    sandbox.local_mode = True             # like a local Bot API server: no 20 MB cap
    await liaison.send_video(size=25 * MB, seed=1)
    receipt = await liaison.wait_reply(timeout=30)
    assert "超过 20 MB" not in receipt[-1].text
    items = await bot.storage.submissions.items(found.id)
    assert items[1].archived == "yes"
    stored = bot.app.bot_data.media.path_of(items[1].media_sha256)
    assert stored.stat().st_size == 25 * MB
    assert stored.read_bytes() == generate_bytes(25 * MB, 1)


async def test_a_document_while_the_plan_is_due_asks_and_the_choice_is_honoured(
        bot, sandbox, clock, liaison):
    clock.set(2026, 6, 1, 9, 0)
    await liaison.send_document(b"%PDF-1.4 plan", "2026年安全生产月活动方案.pdf")
    question = await liaison.wait_reply(timeout=10)
    assert question[-1].button_texts() == ["每周活动材料", "活动方案", "活动总结",
                                           "大型活动、演练报告"]
    assert await submission(bot, liaison, "plan", "once") is None     # nothing guessed
    await liaison.press("活动方案")
    replies = await liaison.wait_reply(count=2, timeout=10)
    assert "活动方案" in replies[-1].text and "1 个文件" in replies[-1].text
    assert "按时" in replies[-1].text
    plan = await submission(bot, liaison, "plan", "once")
    items = await bot.storage.submissions.items(plan.id)
    assert items[0].file_name == "2026年安全生产月活动方案.pdf" and items[0].archived == "yes"
    assert await submission(bot, liaison, "weekly", "2026-06-04") is None


async def test_the_choice_is_remembered_for_the_rest_of_the_album(bot, sandbox, clock, admin):
    await create_campaign(bot)
    clock.set(2026, 6, 1, 9, 0)
    user = await new_liaison(sandbox, admin)
    group = "77"
    await user.send_document(b"one", "方案正文.docx", media_group_id=group)
    await user.send_document(b"two", "附件一.docx", media_group_id=group)
    question = await user.wait_reply(timeout=10)
    assert len(question) == 1 and "活动方案" in question[0].button_texts()
    await user.send_document(b"three", "附件二.docx", media_group_id=group)   # late part
    assert await user.wait_quiet(quiet=2.0) == []                # no second question
    await user.press("活动方案")
    replies = await user.wait_reply(count=2, timeout=10)
    assert "3 个文件" in replies[-1].text
    await user.send_document(b"four", "附件三.docx", media_group_id=group)   # after the choice
    receipt = await user.wait_reply(timeout=10)
    assert "活动方案" in receipt[-1].text and "1 个文件" in receipt[-1].text
    plan = await submission(bot, user, "plan", "once")
    assert len(await bot.storage.submissions.items(plan.id)) == 4


async def test_after_thursday_ten_a_submission_is_late_with_the_delay(bot, sandbox, clock,
                                                                     liaison):
    clock.set(2026, 6, 4, 11, 30)
    await liaison.send("本周开展安全生产咨询日活动，发放资料 500 份")
    receipt = await liaison.wait_reply(timeout=10)
    assert "6月4日（周四）10:00" in receipt[-1].text
    assert "迟交 1 小时 30 分钟" in receipt[-1].text
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    assert found.late_seconds == 5400
    weekly = await rule_id(bot, "weekly")
    assert await bot.storage.submissions.delivered_units(weekly, "2026-06-04") == {
        found.unit_id: 5400}


async def test_withdrawal_before_the_deadline_works_and_after_it_is_refused(
        bot, sandbox, clock, liaison):
    await liaison.send_photo(jpeg(1))
    await liaison.wait_reply(timeout=10)
    await liaison.send("第二条材料")
    await liaison.wait_reply(timeout=10)
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    first, second = await bot.storage.submissions.items(found.id)

    await liaison.command("mysubmissions")
    listing = await liaison.wait_reply()
    assert f"撤回 #{first.id}" in listing[-1].button_texts()
    await liaison.press(f"撤回 #{first.id}")
    assert "已撤回" in (await liaison.wait_reply())[-1].text
    assert (await bot.storage.submissions.item(first.id)).withdrawn_at is not None

    clock.set(2026, 6, 4, 10, 1)
    await liaison.press_data(f"sub:withdraw:{second.id}")
    await liaison.wait_quiet(quiet=0.5)
    assert "截止时间已过" in sandbox.callback_answers[-1]["text"]
    assert (await bot.storage.submissions.item(second.id)).withdrawn_at is None
    await liaison.command("mysubmissions")
    listing = await liaison.wait_reply()
    assert "已撤回" in listing[-1].text and listing[-1].button_texts() == []
    weekly = await rule_id(bot, "weekly")
    assert found.unit_id in await bot.storage.submissions.delivered_units(weekly, "2026-06-04")


async def test_an_interrupted_download_stores_nothing_and_asks_to_send_again(
        bot, sandbox, liaison):
    data = generate_bytes(3 * MB, "broken")
    record = sandbox.store_file(data, "video")
    sandbox.break_download(record.file_unique_id)
    await liaison.send_video(data)
    receipt = await liaison.wait_reply(timeout=15)
    assert "下载中断" in receipt[-1].text and "重新发送" in receipt[-1].text
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    item = (await bot.storage.submissions.items(found.id))[0]
    assert item.archived == "failed" and item.media_sha256 is None
    assert stored_files(bot) == []
    assert list((bot.settings.media_dir / "tmp").iterdir()) == []

    sandbox.fix_download(record.file_unique_id)
    await liaison.send_video(data)
    receipt = await liaison.wait_reply(timeout=15)
    assert "下载中断" not in receipt[-1].text
    items = await bot.storage.submissions.items(found.id)
    assert items[1].archived == "yes"
    assert bot.app.bot_data.media.path_of(items[1].media_sha256).read_bytes() == data


async def test_a_refused_getfile_stores_nothing_and_asks_to_send_again(bot, sandbox, liaison):
    sandbox.fail_requests(1, status=500, methods=["getFile"])
    await liaison.send_photo(jpeg(9))
    receipt = await liaison.wait_reply(timeout=15)
    assert "下载中断" in receipt[-1].text and "重新发送" in receipt[-1].text
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    item = (await bot.storage.submissions.items(found.id))[0]
    assert (item.archived, item.media_sha256, item.thumb_sha256) == ("failed", None, None)
    assert stored_files(bot) == []

    await liaison.send_photo(jpeg(9))
    receipt = await liaison.wait_reply(timeout=15)
    assert "下载中断" not in receipt[-1].text
    items = await bot.storage.submissions.items(found.id)
    assert items[1].archived == "yes"
    assert bot.app.bot_data.media.path_of(items[1].media_sha256).read_bytes() == jpeg(9)


async def test_a_full_disk_stores_nothing_and_says_so(bot, sandbox, liaison):
    data = generate_bytes(OVER_THE_LIMIT, "disk")
    previous_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FULL_DISK_LIMIT, previous_limit[1]))
    try:
        await liaison.send_video(data)
        receipt = await liaison.wait_reply(timeout=15)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, previous_limit)
        signal.signal(signal.SIGXFSZ, previous_handler)
    assert "存储空间已满" in receipt[-1].text
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    item = (await bot.storage.submissions.items(found.id))[0]
    assert item.archived == "failed" and item.media_sha256 is None
    assert stored_files(bot) == []
    assert list((bot.settings.media_dir / "tmp").iterdir()) == []


async def test_plan_command_sends_explicitly_and_marks_it_late(bot, sandbox, liaison):
    await liaison.command("plan")
    assert "活动方案" in (await liaison.wait_reply())[-1].text
    await liaison.send_document(b"plan body", "方案.docx")
    receipt = await liaison.wait_reply(timeout=10)
    assert "活动方案" in receipt[-1].text and "迟交 1 天 15 小时" in receipt[-1].text
    await liaison.command("done")
    assert "已结束" in (await liaison.wait_reply())[-1].text
    await liaison.send("本周材料")
    receipt = await liaison.wait_reply(timeout=10)
    assert "每周活动材料" in receipt[-1].text


async def test_the_prompt_button_starts_sending_for_that_week(bot, sandbox, clock, liaison):
    await liaison.press_data("submit:start:weekly:2026-06-04")
    assert "每周活动材料" in (await liaison.wait_reply())[-1].text
    clock.set(2026, 6, 4, 10, 20)
    await liaison.send_photo(jpeg(2))
    receipt = await liaison.wait_reply(timeout=10)
    assert "6月4日（周四）10:00" in receipt[-1].text and "迟交 20 分钟" in receipt[-1].text


async def test_event_report_asks_everything_and_stores_an_event_submission(
        bot, sandbox, liaison):
    await liaison.command("event")
    await liaison.wait_reply(count=2)
    await liaison.send("危化品泄漏应急演练")
    await liaison.wait_reply()
    await liaison.send("明天")
    assert "日期" in (await liaison.wait_reply())[-1].text
    await liaison.send("6月12日")
    await liaison.wait_reply()
    await liaison.send_sticker()
    assert "文字" in (await liaison.wait_reply())[-1].text
    await liaison.send("长春市化工园区")
    await liaison.wait_reply()
    await liaison.send("参演 120 人，疏散演练 30 分钟完成")
    await liaison.wait_reply()
    await liaison.send_album([("photo", jpeg(4), None), ("photo", jpeg(5), None)])
    ack = await liaison.wait_reply(timeout=10)
    assert "2 个附件" in ack[-1].text
    await liaison.press("✅ 完成提交")
    receipt = await liaison.wait_reply(count=2, timeout=10)    # the button taken off, the receipt
    assert "大型活动、演练报告" in receipt[-1].text and "2 张图片" in receipt[-1].text
    event = await submission(bot, liaison, "event", "event-1")
    assert event.details == {"title": "危化品泄漏应急演练", "date": "2026-06-12",
                             "place": "长春市化工园区",
                             "description": "参演 120 人，疏散演练 30 分钟完成"}
    items = await bot.storage.submissions.items(event.id)
    assert [item.kind for item in items] == ["text", "photo", "photo"]
    assert all(item.archived == "yes" for item in items[1:])


async def test_other_kinds_get_one_line_and_nothing_is_stored(bot, sandbox, liaison):
    for action in (liaison.send_sticker(), liaison.send_location(), liaison.send_voice(),
                   liaison.send_video_note(), liaison.send_poll("好吗", ["好", "不好"]),
                   liaison.send_contact("+8613700000000", "别人", own=False)):
        await action
        reply = await liaison.wait_reply()
        assert len(reply) == 1 and "只接收" in reply[0].text
    assert await bot.storage.submissions.of_unit(await unit_of(bot, liaison)) == []


async def test_forwarded_text_counts_as_weekly_materials(bot, sandbox, liaison):
    await liaison.forward_text("市应急局：本周安全检查通报", "市应急局")
    receipt = await liaison.wait_reply()
    assert "文字" in receipt[-1].text and "每周活动材料" in receipt[-1].text


async def test_without_a_campaign_nothing_is_stored(bot, sandbox, admin):
    user = await new_liaison(sandbox, admin)
    await user.send_photo(jpeg(1))
    reply = await user.wait_reply(timeout=10)
    assert "尚未设置" in reply[-1].text
    assert stored_files(bot) == []
    assert await bot.storage.submissions.of_unit(await unit_of(bot, user)) == []


async def test_a_coordinators_unit_list_is_still_imported(bot, sandbox, admin, liaison):
    await admin.send_document("名称\n长春市应急局\n".encode(), "units.csv")
    reply = await admin.wait_reply()
    assert "新增 1 个单位" in reply[-1].text


async def test_an_image_file_that_is_not_an_image_is_stored_without_a_thumbnail(
        bot, sandbox, liaison):
    garbage = b"\xff\xd8\xff\xe0 not really a JPEG " * 100
    await liaison.send_document(garbage, "现场照片.jpg", "image/jpeg")
    await liaison.wait_reply(timeout=10)            # the plan is due too: which is it for?
    await liaison.press("每周活动材料")
    receipt = await liaison.wait_reply(count=2, timeout=10)
    assert "1 个文件" in receipt[-1].text
    found = await submission(bot, liaison, "weekly", "2026-06-04")
    item = (await bot.storage.submissions.items(found.id))[0]
    assert (item.archived, item.thumb_sha256) == ("yes", None)
    assert bot.app.bot_data.media.path_of(item.media_sha256).read_bytes() == garbage
