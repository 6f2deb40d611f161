"""The Telegram sandbox, driven by a real (unmodified) python-telegram-bot 22 Application."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from PIL import Image
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox import FakeTelegram, SimUser

pytestmark = [pytest.mark.asyncio, pytest.mark.no_database]

XLSX_BYTES = b"PK\x03\x04" + bytes(range(256)) * 40


def png_bytes(color: str = "red", size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# A minimal bot
# ---------------------------------------------------------------------------------------------


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    context.bot_data["start_entities"] = [e.to_dict() for e in update.message.entities]
    context.bot_data["start_args"] = list(context.args or [])
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("确认", callback_data="confirm:1"),
                InlineKeyboardButton("修改", callback_data="edit:1"),
            ]
        ]
    )
    await update.message.reply_text(f"欢迎 {' '.join(context.args or [])}", reply_markup=keyboard)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    context.bot_data.setdefault("pressed", []).append(query.data)
    await query.answer("已确认")
    await query.edit_message_text(f"你选择了 {query.data}")


async def on_doc(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_document(XLSX_BYTES, filename="report.xlsx", caption="报表")


async def on_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    button = KeyboardButton("共享手机号", request_contact=True)
    await update.message.reply_text(
        "请共享手机号", reply_markup=ReplyKeyboardMarkup([[button, "取消"]], one_time_keyboard=True)
    )


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.contact is not None
    contact = update.message.contact
    await update.message.reply_text(f"手机号 {contact.phone_number} user_id={contact.user_id}")


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download the file with httpx streaming, like a bot handling big uploads would."""
    message = update.message
    assert message is not None
    attachment: Any = message.effective_attachment
    if isinstance(attachment, tuple):  # photo sizes: take the largest
        attachment = attachment[-1]
    try:
        tg_file = await context.bot.get_file(attachment.file_id)
    except BadRequest as exc:
        await message.reply_text(f"太大: {exc.message}")
        return
    chunks = []
    try:
        async with (
            httpx.AsyncClient() as client,
            client.stream("GET", str(tg_file.file_path)) as resp,
        ):
            async for chunk in resp.aiter_bytes():
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        context.bot_data["download_error"] = exc
        await message.reply_text("下载失败")
        return
    data = b"".join(chunks)
    context.bot_data.setdefault("downloads", {})[attachment.file_unique_id] = data
    await message.reply_text(f"收到 {len(data)} 字节")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    await message.reply_text(message.text)


def build_app(srv: FakeTelegram) -> Application:
    app = (
        ApplicationBuilder()
        .token(srv.token)
        .base_url(srv.api_base_url)
        .base_file_url(srv.file_base_url)
        .build()
    )
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("doc", on_doc))
    app.add_handler(CommandHandler("phone", on_phone))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(filters.PHOTO | filters.VIDEO | filters.Document.ALL, on_media))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    return app


@pytest.fixture
async def srv() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def app(srv: FakeTelegram) -> AsyncIterator[Application]:
    application = build_app(srv)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()


@pytest.fixture
def user(srv: FakeTelegram) -> SimUser:
    return srv.user(1001, first_name="张三")


# ---------------------------------------------------------------------------------------------
# Conversations
# ---------------------------------------------------------------------------------------------


async def test_echo_round_trip(srv: FakeTelegram, app: Application, user: SimUser) -> None:
    sent = await user.send("你好 123")
    assert sent["message_id"] == 1 and sent["chat"]["id"] == 1001
    [reply] = await user.wait_reply()
    assert reply.text == "你好 123"
    assert reply.chat_id == 1001 and reply.message_id == 2
    assert reply.message["from"]["is_bot"] is True
    assert reply.message["from"]["username"] == "safety_month_bot"
    assert user.texts() == ["你好 123"]
    assert srv.stats["getMe"] == 1
    await srv.wait_fetched()


async def test_command_entities_button_press_and_transcript(
    srv: FakeTelegram, app: Application, user: SimUser
) -> None:
    events: list[str] = []
    srv.on_event = events.append
    msg = await user.command("start", "abc")
    assert msg["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    [welcome] = await user.wait_reply()
    assert app.bot_data["start_args"] == ["abc"]
    assert app.bot_data["start_entities"][0]["type"] == "bot_command"
    assert welcome.text == "欢迎 abc"
    assert welcome.button_texts() == ["确认", "修改"]

    await user.press("确认")
    [edited] = await user.wait_reply()
    assert edited is welcome  # edits update the entry in place
    assert app.bot_data["pressed"] == ["confirm:1"]
    assert edited.text == "你选择了 confirm:1"
    assert edited.reply_markup is None  # editMessageText without markup drops the keyboard
    assert [old.text for old in edited.edits] == ["欢迎 abc"]
    assert srv.callback_answers[0]["text"] == "已确认"

    with pytest.raises(AssertionError, match="no inline button '确认'"):
        await user.press("确认")

    transcript = srv.transcript()
    assert "张三 › /start abc" in transcript
    assert "🤖 › 欢迎 abc\n   [按钮: 确认 | 修改]" in transcript
    assert "张三 ⇢ pressed 确认" in transcript
    assert "🤖 ✎ 你选择了 confirm:1" in transcript
    assert events and "\n".join(events) == transcript


async def test_reply_keyboard_tap_shares_contact(
    srv: FakeTelegram, app: Application, user: SimUser
) -> None:
    await user.command("phone")
    await user.wait_reply()
    keyboard = user.reply_keyboard()
    assert keyboard is not None and keyboard["one_time_keyboard"] is True
    assert "   [键盘: 共享手机号 | 取消]" in srv.transcript(user.id)
    await user.tap("共享手机号")
    [reply] = await user.wait_reply()
    assert reply.text == "手机号 +8613800138000 user_id=1001"
    with pytest.raises(AssertionError, match="no keyboard button"):
        await user.tap("不存在")


async def test_wait_reply_timeout_shows_transcript(app: Application, user: SimUser) -> None:
    await user.send_sticker()
    with pytest.raises(AssertionError) as info:
        await user.wait_reply(timeout=0.3)
    assert "张三 › [贴纸 👍]" in str(info.value)


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


async def test_document_upload_recorded_with_bytes(
    srv: FakeTelegram, app: Application, user: SimUser
) -> None:
    await user.command("doc")
    [reply] = await user.wait_reply()
    assert reply.method == "sendDocument"
    assert reply.document is not None
    assert reply.document.file_name == "report.xlsx"
    assert reply.document.data == XLSX_BYTES
    assert reply.text == "报表"
    assert "   [文件: report.xlsx, 10 KB]" in srv.transcript()
    # re-sending by file_id works and refers to the same file
    again = await app.bot.send_document(user.id, reply.document.file_id)
    assert again.document.file_unique_id == reply.document.file_unique_id
    assert srv.sent[-1].document.data == XLSX_BYTES


async def test_get_file_download_exact_bytes(
    srv: FakeTelegram, app: Application, user: SimUser
) -> None:
    data = bytes(range(256)) * 1000
    msg = await user.send_document(data, "数据.bin", caption="见附件")
    [reply] = await user.wait_reply()
    assert reply.text == f"收到 {len(data)} 字节"
    assert app.bot_data["downloads"][msg["document"]["file_unique_id"]] == data
    assert msg["document"]["mime_type"] == "application/octet-stream"

    photo = png_bytes()
    pmsg = await user.send_photo(photo, caption="现场")
    await user.wait_reply()
    assert app.bot_data["downloads"][pmsg["photo"][-1]["file_unique_id"]] == photo


async def test_same_photo_bytes_same_unique_id(srv: FakeTelegram, user: SimUser) -> None:
    photo = png_bytes("blue")
    first = await user.send_photo(photo)
    second = await user.send_photo(photo)
    other = await user.send_photo(png_bytes("green"))
    thumb, medium, full = first["photo"]
    assert (thumb["width"], thumb["height"]) == (90, 68)
    assert (medium["width"], medium["height"]) == (320, 240)
    assert (full["width"], full["height"]) == (640, 480) and full["file_size"] == len(photo)
    assert full["file_unique_id"] == second["photo"][-1]["file_unique_id"]
    assert full["file_id"] != second["photo"][-1]["file_id"]
    assert full["file_unique_id"] != other["photo"][-1]["file_unique_id"]
    assert srv.updates_pending() == 3


async def test_photo_sizes_are_downscaled_upright_jpegs_like_telegrams(
    srv: FakeTelegram, user: SimUser
) -> None:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6                       # shot rotated: upright it is 600 x 1000
    Image.new("RGB", (1000, 600), "red").save(out, format="JPEG", exif=exif.tobytes())
    sizes = (await user.send_photo(out.getvalue()))["photo"]
    assert [(size["width"], size["height"]) for size in sizes] == [
        (54, 90), (192, 320), (480, 800), (600, 1000)]
    for size in sizes[:-1]:
        with Image.open(io.BytesIO(srv.file_bytes(size["file_id"]))) as scaled:
            assert scaled.format == "JPEG"
            assert scaled.size == (size["width"], size["height"])
        assert size["file_size"] == len(srv.file_bytes(size["file_id"]))
    assert srv.file_bytes(sizes[-1]["file_id"]) == out.getvalue()


async def test_big_file_needs_local_mode(
    srv: FakeTelegram, app: Application, user: SimUser
) -> None:
    msg = await user.send_video(size=25 * 1024 * 1024, caption="大视频")
    [reply] = await user.wait_reply()
    assert reply.text == "太大: File is too big"
    srv.local_mode = True
    tg_file = await app.bot.get_file(msg["video"]["file_id"])
    data = await tg_file.download_as_bytearray()
    expected = srv.file_bytes(msg["video"]["file_unique_id"])
    assert hashlib.sha256(data).digest() == hashlib.sha256(expected).digest()
    assert len(data) == 25 * 1024 * 1024


async def test_break_download_gives_incomplete_read(
    srv: FakeTelegram, app: Application, user: SimUser
) -> None:
    data = bytes(200_000)
    probe = await user.send_document(data, "broken.bin")
    unique = probe["document"]["file_unique_id"]
    srv.break_download(unique)
    [reply] = await user.wait_reply()
    assert reply.text == "下载失败"
    assert isinstance(app.bot_data["download_error"], httpx.RemoteProtocolError)
    tg_file = await app.bot.get_file(probe["document"]["file_id"])
    with pytest.raises(NetworkError):
        await tg_file.download_as_bytearray()
    assert srv.download_count[unique] == 2


async def test_media_group_both_ways(srv: FakeTelegram, app: Application, user: SimUser) -> None:
    sent = await app.bot.send_media_group(
        user.id,
        [InputMediaPhoto(png_bytes("red"), caption="第一张"), InputMediaPhoto(png_bytes("blue"))],
    )
    assert len(sent) == 2 and sent[0].media_group_id == sent[1].media_group_id
    entry = srv.sent[-1]
    assert entry.method == "sendMediaGroup" and entry.text == "第一张"
    assert entry.media is not None and [m.data for m in entry.media] == [
        png_bytes("red"),
        png_bytes("blue"),
    ]
    album = await user.send_album([("photo", png_bytes(), "两张"), ("document", b"abc", None)])
    assert album[0]["media_group_id"] == album[1]["media_group_id"]
    assert album[0]["caption"] == "两张" and "caption" not in album[1]
    replies = await user.wait_reply(count=2)
    assert {r.text for r in replies} == {"收到 3 字节", f"收到 {len(png_bytes())} 字节"}


# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
@pytest.mark.sandbox_refusals   # refused calls on purpose
async def test_rate_limit_answers_429(srv: FakeTelegram, app: Application, user: SimUser) -> None:
    srv.rate_limit_per_second = 5
    for i in range(5):
        await app.bot.send_message(user.id, f"msg {i}")
    with pytest.raises(RetryAfter) as info:
        await app.bot.send_message(user.id, "one too many")
    assert int(info.value._retry_after.total_seconds()) >= 1
    assert srv.stats["429"] == 1
    assert [s.text for s in srv.sent] == [f"msg {i}" for i in range(5)]
    assert max(srv.sent_per_second().values()) == 5


async def test_blocked_chat_is_forbidden(
    srv: FakeTelegram, app: Application, user: SimUser
) -> None:
    srv.block_chat(user.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await app.bot.send_message(user.id, "hi")
    assert srv.stats["403"] == 1 and not srv.sent
    srv.unblock_chat(user.id)
    await app.bot.send_message(user.id, "hi")
    assert user.texts() == ["hi"]


@pytest.mark.sandbox_refusals   # refused calls on purpose
async def test_unknown_method_recorded(srv: FakeTelegram, app: Application) -> None:
    with pytest.raises(EndPointNotFound):
        await app.bot.do_api_request("sendHologram", api_kwargs={"chat_id": 1})
    assert srv.unknown_methods == ["sendHologram"]


async def test_commands_per_scope_and_language(srv: FakeTelegram, app: Application) -> None:
    await app.bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
    await app.bot.set_my_commands(
        [BotCommand("admin", "管理")], scope=BotCommandScopeChat(42), language_code="zh"
    )
    assert [c["command"] for c in srv.commands_for(42, "zh")] == ["admin"]
    assert [c["command"] for c in srv.commands_for(42, "zh-hans")] == ["admin"]
    assert [c["command"] for c in srv.commands_for(42)] == ["start", "help"]
    assert [c["command"] for c in srv.commands_for(7, "zh")] == ["start", "help"]
    got = await app.bot.get_my_commands(scope=BotCommandScopeChat(42), language_code="zh")
    assert [c.command for c in got] == ["admin"]
    assert srv.commands[(srv.scope_key("default"), "")][1] == {
        "command": "help",
        "description": "帮助",
    }
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await app.bot.set_my_commands([BotCommand("Start", "大写不行")])


@pytest.mark.sandbox_refusals   # refused calls on purpose
async def test_parse_mode_and_edit_not_modified(
    srv: FakeTelegram, app: Application, user: SimUser
) -> None:
    with pytest.raises(BadRequest, match="parse entities"):
        await app.bot.send_message(user.id, "<b>未闭合", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="reserved"):
        await app.bot.send_message(user.id, "1. 不转义", parse_mode=ParseMode.MARKDOWN_V2)
    msg = await app.bot.send_message(user.id, "<b>粗</b> a &lt; b", parse_mode=ParseMode.HTML)
    assert msg.text == "粗 a < b"
    assert msg.entities[0].type == "bold" and msg.entities[0].length == 1
    assert srv.sent[-1].text == "<b>粗</b> a &lt; b" and srv.sent[-1].plain_text == "粗 a < b"
    with pytest.raises(BadRequest, match="not modified"):
        await msg.edit_text("<b>粗</b> a &lt; b", parse_mode=ParseMode.HTML)
    await msg.delete()
    assert srv.sent[-1].deleted and user.texts() == []


# ---------------------------------------------------------------------------------------------
# Raw HTTP
# ---------------------------------------------------------------------------------------------


async def test_raw_http_parsing_and_failures(srv: FakeTelegram, user: SimUser) -> None:
    base = f"{srv.api_base_url}{srv.token}"
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{srv.api_base_url}wrong:token/getMe")
        assert resp.status_code == 401
        assert resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

        resp = await client.post(f"{base}/SENDMESSAGE", json={"chat_id": user.id, "text": "123"})
        assert resp.json()["result"]["text"] == "123"
        resp = await client.post(f"{base}/sendMessage", data={"chat_id": "1001", "text": "123"})
        assert resp.json()["result"]["text"] == "123"
        assert srv.sent[-1].text == "123"
        resp = await client.get(f"{base}/sendMessage", params={"chat_id": "1001", "text": "456"})
        assert resp.json()["result"]["text"] == "456"
        assert user.texts() == ["123", "123", "456"]

        resp = await client.post(f"{base}/sendMessage", data={"chat_id": "999", "text": "x"})
        assert resp.status_code == 400
        assert resp.json()["description"] == "Bad Request: chat not found"

        srv.fail_requests(1, 500, methods=["getMe"])
        resp = await client.post(f"{base}/getMe")
        assert resp.status_code == 500 and resp.json()["error_code"] == 500
        assert (await client.post(f"{base}/getMe")).status_code == 200

        srv.latency = 0.2
        started = asyncio.get_running_loop().time()
        assert (await client.get(f"{base}/getMe")).status_code == 200
        assert asyncio.get_running_loop().time() - started >= 0.2
        srv.latency = 0.0

        srv.timeout_hang = 2.0
        srv.fail_requests(1, "timeout")
        with pytest.raises(httpx.ReadTimeout):
            await client.post(f"{base}/getMe", timeout=0.2)
        assert srv.stats["timeout"] == 1


async def test_get_updates_long_poll_and_offset(srv: FakeTelegram, user: SimUser) -> None:
    base = f"{srv.api_base_url}{srv.token}"
    async with httpx.AsyncClient() as client:
        poll = asyncio.create_task(client.post(f"{base}/getUpdates", data={"timeout": "5"}))
        await asyncio.sleep(0.1)
        assert not poll.done()
        await user.send("hi")
        updates = (await asyncio.wait_for(poll, 2)).json()["result"]
        assert [u["message"]["text"] for u in updates] == ["hi"]
        await srv.wait_fetched(timeout=1)
        assert srv.updates_pending() == 1
        offset = str(updates[0]["update_id"] + 1)
        resp = await client.post(f"{base}/getUpdates", data={"offset": offset, "timeout": "0"})
        assert resp.json()["result"] == [] and srv.updates_pending() == 0


@pytest.mark.sandbox_refusals   # refused calls on purpose
async def test_misc_methods_and_other_updates(
    srv: FakeTelegram, app: Application, user: SimUser
) -> None:
    chat = await app.bot.get_chat(user.id)
    assert chat.type == "private" and chat.first_name == "张三"
    await app.bot.send_chat_action(user.id, "typing")
    assert srv.chat_actions == [(user.id, "typing")]

    doc = await app.bot.send_document(user.id, b"abc", filename="a.txt", caption="旧")
    edited = await doc.edit_caption("新")
    assert edited.caption == "新" and srv.sent[-1].text == "新"
    assert [e.text for e in srv.sent[-1].edits] == ["旧"]
    copied = await app.bot.copy_message(user.id, user.id, doc.message_id, caption="副本")
    assert srv.sent[-1].method == "copyMessage" and srv.sent[-1].text == "副本"
    assert srv.sent[-1].document is not None and srv.sent[-1].document.data == b"abc"
    forwarded = await app.bot.forward_message(user.id, user.id, copied.message_id)
    assert forwarded.forward_origin is not None and srv.sent[-1].method == "forwardMessage"
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    with_kb = await app.bot.send_message(user.id, "键盘", reply_markup=keyboard)
    await with_kb.edit_reply_markup(None)
    assert srv.sent[-1].reply_markup is None and srv.sent[-1].edits[0].button_texts() == ["A"]
    await app.bot.send_message(user.id, "收起", reply_markup=ReplyKeyboardRemove())
    assert user.reply_keyboard() is None
    with pytest.raises(BadRequest, match="Query is too old"):
        await app.bot.answer_callback_query("nope")

    msg = await user.send("原文")
    await user.wait_reply()
    await user.edit(msg, "改过")
    [echo] = await user.wait_reply()
    assert echo.text == "改过"  # PTB routes edited_message to the TEXT handler too
    await user.forward_text("转发内容", "王五")
    [fwd] = await user.wait_reply()
    assert fwd.text == "转发内容"
    await srv.group_message(-100123, user, "群里的话")
    await srv.channel_post(-100999, "频道消息")
    await user.send_location(31.2, 121.5)
    await user.send_poll("吃什么?", ["面", "饭"])
    await user.send_voice()
    await user.send_video_note()
    await srv.wait_fetched()
    assert "[群里的话]" not in srv.transcript() and "群里的话" in srv.transcript()
