"""``python -m bot demo``: the local Telegram sandbox, the real bot, and a short scene.

No token and no network: the sandbox speaks the Bot API on 127.0.0.1 and the bot is built
by the same ``build_app`` as in production. The chat is printed as a person would read it.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from bot.app import build_app
from bot.config import Settings
from bot.runtime import running
from bot.sandbox import FakeTelegram

ADMIN_ID = 1001
LIAISON_ID = 2001
LINK = re.compile(r"start=([A-Za-z0-9_-]+)")


def _title(text: str) -> None:
    print(f"\n── {text} " + "─" * max(0, 60 - len(text)))


async def play() -> int:
    sandbox = FakeTelegram()
    await sandbox.start()
    sandbox.on_event = print
    try:
        with tempfile.TemporaryDirectory(prefix="safety-month-demo-") as data_dir:
            settings = Settings(
                token=sandbox.token, data_dir=Path(data_dir), admin_ids=frozenset({ADMIN_ID}),
                api_base_url=sandbox.api_base_url, file_base_url=sandbox.file_base_url,
            )
            async with running(build_app(settings)):
                await _scene(sandbox)
    finally:
        await sandbox.stop()
    print("\n(demo finished)")
    return 0


async def _scene(sandbox: FakeTelegram) -> None:
    admin = sandbox.user(ADMIN_ID, "王主任", language_code="zh-hans")
    liaison = sandbox.user(LIAISON_ID, "李明", language_code="zh-hans")

    _title("协调员创建两个单位 / the coordinator adds two units")
    await admin.command("start")
    await admin.wait_reply()
    await admin.command("addunit", "长春市工信局")
    created = await admin.wait_reply()
    await admin.command("addunit", "朝阳区应急管理局 | 长春市工信局")
    await admin.wait_reply()
    code = LINK.search(created[-1].text).group(1)

    _title("联络员通过邀请链接登记 / a liaison registers through the link")
    await liaison.command("start", code)
    await liaison.wait_reply(count=2)
    for answer in ("李明", None, "安全生产科科长", "0431-88881234"):
        if answer is None:
            await liaison.press("男")
        else:
            await liaison.send(answer)
        await liaison.wait_reply()
    await liaison.tap("📱 分享我的手机号")
    await liaison.wait_reply(count=2)
    for _ in range(4):
        await liaison.press("跳过")
        await liaison.wait_reply()
    await liaison.send("长春市人民大街 1 号")
    await liaison.wait_reply()
    await liaison.press("✅ 确认提交")
    await liaison.wait_reply()
    await admin.wait_reply()

    _title("协调员查看单位列表 / the coordinator lists the units")
    await admin.command("units")
    await admin.wait_reply()
