"""Bad input through the real handlers: random text at every step, HTML in names, forged
buttons, groups, channels and edits."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox import FakeTelegram
from bot.texts import Texts
from tests import backends
from tests.conftest import ADMIN_ID, BotUnderTest, add_unit, answer, register_liaison

ERROR_TEXT = "抱歉，处理时出了问题"
NASTY = ["<b>", "</i>&amp;", "'; DROP TABLE unit; --", "\x00\x01\x07", "🙂" * 50,
         "a" * 4096, " ", "<a href='x'>", "{name}", "%s%d", "\u202e反转"]

# Telegram never delivers an empty message; the bot must survive anything else. Commands that
# leave or restart the form on purpose (/cancel, /start, /profile) are not noise.
LEAVING = ("/cancel", "/start", "/profile")
any_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(min_size=1, max_size=300).filter(
        lambda text: text.strip(" ") != "" and not text.startswith(LEAVING)),
)

CATALOG = Texts.load().catalogs["zh"]
REFUSALS = {text for key, text in CATALOG.items()
            if key.startswith("validation.") or key in ("registration.text_please",
                                                           "registration.busy")}

MOBILE = "13912345678"
BUSY = CATALOG["registration.busy"]      # a command: refused, nothing asked again
VALID_ANSWERS = [("李明", None), (None, "男"), ("科长", None), (None, "跳过"),
                 (MOBILE, None), (None, "跳过"), (None, "跳过"), (None, "跳过"),
                 (None, "跳过"), (None, "跳过")]


async def _walk_the_form_with_noise(noise: list[str]) -> None:
    async with backends.own_database() as url:
        await _walk_on(noise, url)


async def _walk_on(noise: list[str], url: str | None) -> None:
    sandbox = FakeTelegram()
    await sandbox.start()
    with tempfile.TemporaryDirectory() as data_dir:
        bot = BotUnderTest(sandbox, Path(data_dir), frozenset({ADMIN_ID}), database_url=url)
        await bot.start()
        try:
            admin = sandbox.user(ADMIN_ID, "王主任")
            code = await add_unit(admin, "长春市")
            user = sandbox.user(5001, "测试")
            await user.command("start", code)
            await user.wait_reply(count=2)
            for step, (text, press) in enumerate(VALID_ANSWERS):
                junk = noise[step % len(noise)]
                await user.send(junk)
                replies = await user.wait_reply(timeout=15)
                assert all(ERROR_TEXT not in sent.plain_text for sent in replies), junk
                if replies[0].plain_text not in REFUSALS:
                    continue      # the junk was a fine answer for this field: go on
                if replies[0].plain_text != BUSY and len(replies) < 2:
                    await user.wait_reply(timeout=15)    # refused: the question asked again
                if press:       # a form button: its question edited, the next one sent
                    await answer(user, press=press, count=2)
                else:           # the mobile is noted before the next question
                    await answer(user, text, count=2 if text == MOBILE else 1)
            await answer(user, press="✅ 确认提交", count=2)
            liaison = await bot.storage.liaisons.open_for_person(5001)
            assert liaison is not None and liaison.status == "active"
            assert liaison.mobile.isdigit() and liaison.gender in ("male", "female")
            assert sandbox.stats["400"] == 0   # no message ever failed to parse
        finally:
            await bot.stop()
            await sandbox.stop()


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(noise=st.lists(any_text, min_size=3, max_size=10))
def test_random_text_at_every_step_of_the_form(noise):
    asyncio.run(_walk_the_form_with_noise(noise))


async def test_html_in_a_name_never_breaks_a_later_message(bot, sandbox, admin):
    code = await add_unit(admin, "<i>单位</i>")
    user = sandbox.user(5002, "x")
    await register_liaison(user, code, name="<b>李</b>&amp;")
    await admin.wait_reply()
    await admin.command("units")
    listing = (await admin.wait_reply())[-1].plain_text
    assert "<b>李</b>&amp;" in listing and "<i>单位</i>" in listing
    await user.command("profile")
    assert "<b>李</b>&amp;" in (await user.wait_reply())[-1].plain_text
    assert sandbox.stats["400"] == 0


async def test_forged_and_stale_button_presses_change_nothing(bot, sandbox, admin):
    code = await add_unit(admin, "长春市")
    old = sandbox.user(5003, "甲")
    await register_liaison(old, code, name="甲")
    await admin.wait_reply()
    new = sandbox.user(5004, "乙")
    await register_liaison(new, code, name="乙")
    request = (await admin.wait_reply())[-1]
    pending = await bot.storage.liaisons.open_for_person(5004)
    for presser, data in [(new, f"liaison:approve:{pending.id}"),
                          (old, f"liaison:reject:{pending.id}"),
                          (new, "units:page:1"), (old, "coord:revoke:anything"),
                          (new, "reg:gender:male"), (old, "liaison:approve:notanumber"),
                          (new, "garbage")]:
        await presser.press_data(data, presser.last)
        await presser.wait_quiet()
    assert (await bot.storage.liaisons.get(pending.id)).status == "pending"
    assert "批准" in request.button_texts()[0]
    assert sandbox.stats["400"] == 0


async def test_groups_channels_and_edits_are_handled_explicitly(bot, sandbox, admin):
    await admin.command("start")
    await admin.wait_reply()
    sent_before = len(sandbox.sent)
    await sandbox.group_message(-100123, admin, "/units")
    await sandbox.channel_post(-100456, "hello")
    await asyncio.sleep(1.0)
    assert len(sandbox.sent) == sent_before   # ignored: no reply into a group or channel
    message = await admin.send("hello")
    await admin.wait_reply()
    await admin.edit(message, "hello again")
    edited = await admin.wait_reply()
    assert "修改过的消息不会被更新" in edited[-1].plain_text
    await admin.send_sticker()
    assert (await admin.wait_reply())[-1].plain_text.startswith("我没有理解")
