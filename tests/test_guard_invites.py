"""Issue 13, point 8: a join link revoked while a registration is being filled stops it at
the confirmation; the losers of a race for a one-time coordinator link are told it was used.
Through the sandbox with the real bot."""

from __future__ import annotations

import asyncio

from tests.conftest import LINK, add_unit, answer, register_liaison
from tests.test_units_flow import invite_coordinator

GONE = ("您使用的邀请链接已失效（协调员已重新生成链接），登记未提交。"
        "请向协调员索取新的链接后重新登记。")


async def test_a_link_revoked_during_the_form_refuses_the_confirmation(bot, sandbox, admin):
    old_code = await add_unit(admin, "农安县")
    user = sandbox.user(2014, "孙")
    await user.command("start", old_code)
    await user.wait_reply(count=2)
    await answer(user, "孙立")
    await answer(user, press="男", count=2)
    # the coordinator issues a new link while the form is open: the old one is revoked
    await admin.command("invite", "农安县")
    new_code = LINK.search((await admin.wait_reply())[-1].text).group(1)
    await answer(user, "科长")
    await answer(user, press="跳过", count=2)
    await user.send("13912345678")
    await user.wait_reply(count=2)
    for _ in range(5):
        await answer(user, press="跳过", count=2)
    reply = await answer(user, press="✅ 确认提交", count=2)   # the summary closed, refused
    assert reply[-1].text == GONE
    await user.wait_quiet(0.3)
    assert await bot.storage.liaisons.open_for_person(2014) is None
    assert not any("新联络员" in text for text in admin.texts()[-2:])

    done = await register_liaison(user, new_code, name="孙立")
    assert "农安县" in done[-1].text
    assert (await bot.storage.liaisons.open_for_person(2014)).status == "active"


async def test_the_losers_of_a_coordinator_link_race_are_told_it_was_used(bot, sandbox,
                                                                          admin):
    code = await invite_coordinator(admin)
    racers = [sandbox.user(3100 + number, f"协调员{number}") for number in range(8)]
    await asyncio.gather(*(racer.command("start", code) for racer in racers))
    replies = [(await racer.wait_reply())[-1].text for racer in racers]
    winners = [text for text in replies if "您现在是协调员" in text]
    assert len(winners) == 1, replies
    losers = [text for text in replies if "您现在是协调员" not in text]
    assert all("已被使用" in text for text in losers), losers
    assert not any("撤销" in text for text in losers)
    coordinators = [racer.id for racer in racers
                    if await bot.storage.coordinators.get(racer.id) is not None]
    assert len(coordinators) == 1
