"""``python -m bot demo``: the week the bot exists for, in the local Telegram sandbox.

No token and no network: the sandbox speaks the Bot API on 127.0.0.1 and the bot is built
by the same ``build_app`` as in production. The chat is printed as a person would read it.

The bot runs on a compressed clock (:class:`bot.kernel.clock.SetClock`): the scene jumps from
one moment of the week to the next and the bot's real JobQueue fires the job set for that
moment a second later, so a Wednesday evening and a Thursday morning pass in under a minute.
The sandbox dates the users' messages by the same clock, so lateness is judged as it would be.
"""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import zipfile
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import build_app
from bot.config import Settings
from bot.kernel.clock import SetClock
from bot.outbox import jobs
from bot.ptb.context import BotApplication
from bot.runtime import running
from bot.sandbox import FakeTelegram, SimUser

ADMIN_ID = 1001
LIAISONS = ((2001, "李明", "长春市工信局", "13800138000"),
            (2002, "王芳", "吉林市应急管理局", "13900139000"))
TZ = ZoneInfo("Asia/Shanghai")
SET_UP_AT = datetime(2026, 6, 3, 19, 30, tzinfo=TZ)       # a Wednesday evening
THURSDAY = datetime(2026, 6, 4, tzinfo=TZ)               # materials due 10:00
JOB_LEAD = 1.0        # seconds of real time between a jump and the moment it jumps to
WAIT = 30.0           # seconds a person waits for an answer (ample: a busy machine is slow)
LINK = re.compile(r"start=([A-Za-z0-9_-]+)")


class DemoError(Exception):
    """The demo cannot start (its folder); the message is one line."""


def _title(text: str) -> None:
    print(f"\n── {text} " + "─" * max(0, 60 - len(text)))


def _photo(number: int) -> bytes:
    """A photo of a training session, as far as coloured stripes go."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), (30 + 60 * number, 110, 160))
    draw = ImageDraw.Draw(image)
    for row in range(0, 600, 40):
        draw.rectangle((0, row, 800, row + 12), fill=(230, 200 - 30 * number, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _folders(keep: Path | None, stack: ExitStack) -> tuple[Path, Path | None]:
    """(data folder, exports folder or None): in ``keep``, or a temporary folder."""
    if keep is None:
        return Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="safety-month-demo-"))), None
    if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        raise DemoError(f"--keep {keep}: the folder is not empty; give a new or empty one")
    (keep / "exports").mkdir(parents=True, exist_ok=True)
    return keep / "data", keep / "exports"


async def play(keep: Path | None = None) -> int:
    with ExitStack() as stack:
        try:
            data_dir, exports = _folders(keep, stack)
        except DemoError as error:
            print(f"error: {error}")
            return 2
        clock = SetClock(SET_UP_AT)
        sandbox = FakeTelegram()
        sandbox.now = lambda: clock().timestamp()
        await sandbox.start()
        sandbox.on_event = print
        try:
            settings = Settings(
                token=sandbox.token, data_dir=data_dir, admin_ids=frozenset({ADMIN_ID}),
                timezone=TZ, api_base_url=sandbox.api_base_url,
                file_base_url=sandbox.file_base_url)
            async with running(build_app(settings, clock=clock)) as app:
                await Scene(sandbox, app, clock, exports).play()
        finally:
            await sandbox.stop()
        if keep is not None:
            print(f"\nkept in {keep}: the data folder (data/bot.sqlite3, the media in "
                  f"data/media/) and the export (exports/)")
    print("\n(demo finished)")
    return 0


class Scene:
    def __init__(self, sandbox: FakeTelegram, app: BotApplication, clock: SetClock,
                 exports: Path | None) -> None:
        self.sandbox = sandbox
        self.app = app
        self.clock = clock
        self.exports = exports
        self.admin = sandbox.user(ADMIN_ID, "王主任", language_code="zh-hans")
        self.liaisons = [sandbox.user(person, name, language_code="zh-hans")
                         for person, name, _, _ in LIAISONS]

    async def jump(self, moment: datetime, *waiting: SimUser) -> None:
        """Move the clock to just before ``moment``; the bot's schedule is rebuilt from it
        (as on every calendar change) and the job for ``moment`` fires a second later. Then
        wait for a message to each of ``waiting``."""
        for user in waiting:
            user.mark()
        self.clock.set(moment - timedelta(seconds=JOB_LEAD))
        await jobs.rebuild(self.app)
        if self.clock() >= moment:
            # a machine so busy that the moment passed before the schedule was rebuilt: the
            # job for it was not set; the tick it would have run (a second one adds nothing)
            await jobs.tick(self.app)
        for user in waiting:
            await user.wait_reply(timeout=WAIT)

    async def play(self) -> None:
        codes = await self.set_up()
        await self.register(codes)
        await self.thursday()
        await self.desk()

    async def set_up(self) -> list[str]:
        admin = self.admin
        _title("周三 19:30 协调员设置活动和两个单位 / the coordinator sets up the campaign")
        await admin.command("campaign")
        await admin.wait_reply(timeout=WAIT)
        await admin.press("2026年安全生产月")
        await admin.wait_reply(count=2, timeout=WAIT)
        await admin.send("人人讲安全、个个会应急")
        await admin.wait_reply(timeout=WAIT)
        await admin.press("✅ 使用此日程")
        await admin.wait_reply(count=2, timeout=WAIT)
        codes = []
        for _, _, unit, _ in LIAISONS:
            await admin.command("addunit", unit)
            created = await admin.wait_reply(timeout=WAIT)
            codes.append(LINK.search(created[-1].plain_text or "").group(1))
        return codes

    async def register(self, codes: list[str]) -> None:
        _title("两位联络员通过邀请链接登记 / two liaisons register through their links")
        for liaison, code, (_, name, _, mobile) in zip(self.liaisons, codes, LIAISONS,
                                                         strict=True):
            await self.fill_form(liaison, code, name, mobile)
            await self.admin.wait_reply(timeout=WAIT)
            if liaison is self.liaisons[0]:
                print(f"\n(… {LIAISONS[1][1]} registers for {LIAISONS[1][2]} the same way …)")
                self.sandbox.on_event = None
        self.sandbox.on_event = print
        # the 30-second schedule tick, without waiting for it: what the campaign's late
        # registrants are sent (the campaign's one-time deliverables, the month's case)
        for liaison in self.liaisons:
            liaison.mark()
        await jobs.tick(self.app)
        for liaison in self.liaisons:
            await liaison.wait_reply(count=2, timeout=WAIT)

    async def fill_form(self, liaison: SimUser, code: str, name: str, mobile: str) -> None:
        await liaison.command("start", code)
        await liaison.wait_reply(count=2, timeout=WAIT)
        steps: list[tuple[str, str]] = [("send", name), ("press", "男"), ("send", "科长"),
                                        ("press", "跳过"), ("send", mobile)]
        steps += [("press", "跳过")] * 5
        for action, value in steps:
            await (liaison.press(value) if action == "press" else liaison.send(value))
            await liaison.wait_reply(count=1 if action == "send" else 2, quiet=0.05,
                                     timeout=WAIT)
        await liaison.press("✅ 确认提交")
        await liaison.wait_reply(count=2, timeout=WAIT)

    async def thursday(self) -> None:
        sender, silent = self.liaisons
        _title("周四 08:00 提示送达两位联络员 / Thursday 08:00: the prompt reaches both")
        await self.jump(THURSDAY.replace(hour=8), sender, silent)

        _title("08:40 李明发送相册（3 张照片和说明）/ an album with a caption, the receipt")
        self.clock.set(THURSDAY.replace(hour=8, minute=40))
        await sender.send_album([("photo", _photo(n), "6月3日全员安全培训" if n == 0 else None)
                                 for n in range(3)])
        await sender.wait_reply(timeout=WAIT)

        _title("09:00 未报送的单位收到提醒 / 09:00: the 60-minute reminder, to 王芳 only")
        await self.jump(THURSDAY.replace(hour=9), silent)
        _title("09:45 再次提醒 / 09:45: the 15-minute reminder")
        await self.jump(THURSDAY.replace(hour=9, minute=45), silent)

        _title("10:00 截止：协调员收到汇总 / 10:00: the coordinator's digest names the missing")
        await self.jump(THURSDAY.replace(hour=10), self.admin)

    async def desk(self) -> None:
        admin = self.admin
        _title("协调员查看 /status / the coordinator's status")
        await admin.command("status")
        await admin.wait_reply(timeout=WAIT)

        _title("协调员导出本周材料 /export / the week's export")
        await admin.command("export")
        replies = await admin.wait_reply(count=2, timeout=WAIT)
        document = next(sent.document for sent in replies if sent.document is not None)
        data = document.data
        print(f"\n{document.file_name} holds:")
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for entry in archive.infolist():
                if not entry.is_dir():
                    print(f"  {entry.filename}  ({entry.file_size:,} bytes)")
        if self.exports is not None:
            await asyncio.to_thread((self.exports / (document.file_name or "export.zip"))
                                    .write_bytes, data)
