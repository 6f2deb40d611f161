"""Issue 13, point 7: look-alike names. Every typed name is NFKC-normalised and refused when
it holds a format character (zero-width, bidi controls); a unit name equal to an existing
one after normalisation is refused, by /addunit and in a bulk import. Through the sandbox."""

from __future__ import annotations

from tests.conftest import add_unit, answer, create_campaign, register_liaison
from tests.test_units_flow import xlsx_bytes

INVISIBLE = "不能含有看不见的格式字符（如零宽空格、文字方向控制符），请重新输入。"


async def test_addunit_refuses_format_characters_and_look_alikes(bot, sandbox, admin):
    for name in ("零\u200b宽", "右\u202e到左", "长春\u2066市\u2069", "\ufeff长春市", "a\u200db"):
        await admin.command("addunit", name)
        assert (await admin.wait_reply())[-1].text == INVISIBLE, repr(name)
    assert await bot.storage.units.count(None) == 0

    await add_unit(admin, "长春市ＡＢ１")             # full-width: stored NFKC-folded
    assert (await bot.storage.units.by_name("长春市AB1")) is not None
    for look_alike in ("长春市AB1", "长春市ab1", "长春市 ＡＢ１", "长春市Ab1"):
        await admin.command("addunit", look_alike)
        reply = (await admin.wait_reply())[-1].text
        assert reply == "单位“长春市AB1”已存在。", look_alike
    assert await bot.storage.units.count(None) == 1

    # Chinese full-width punctuation is kept as written, and compared folded
    await add_unit(admin, "长春市应急管理局（市安委办）")
    assert await bot.storage.units.by_name("长春市应急管理局（市安委办）") is not None
    await admin.command("addunit", "长春市应急管理局(市安委办)")
    assert (await admin.wait_reply())[-1].text == "单位“长春市应急管理局（市安委办）”已存在。"


async def test_a_unit_stored_with_a_zero_width_space_is_still_matched(bot, sandbox, admin):
    """A name kept from before the check still blocks its clean look-alike."""
    await bot.storage.units.create("零\u200b宽", None, 1001)
    await admin.command("addunit", "零宽")
    assert (await admin.wait_reply())[-1].text == "单位“零\u200b宽”已存在。"


async def test_bulk_import_refuses_format_characters_and_normalised_duplicates(bot, sandbox,
                                                                               admin):
    await add_unit(admin, "吉林市")
    rows = [
        ["单位名称", "上级单位"],
        ["零\u200b宽", ""],            # row 2: invisible
        ["右\u202e到左", ""],          # row 3: invisible
        ["ＸＹ局", ""],                # row 4: added as "XY局"
        ["XY局", ""],                  # row 5: the same as row 4 once normalised
        ["吉林市\u3000", ""],          # row 6: ideographic space, exists
        ["ｘｙ局", ""],                # row 7: the same as row 4
    ]
    await admin.send_document(xlsx_bytes(rows), "units.xlsx")
    reply = (await admin.wait_reply())[-1].text
    assert "新增 1 个单位，拒绝 5 行" in reply
    assert "第 2 行：不能含有看不见的格式字符" in reply
    assert "第 3 行：不能含有看不见的格式字符" in reply
    assert "第 5 行：与第 4 行重复" in reply
    assert "第 6 行：单位已存在" in reply
    assert "第 7 行：与第 4 行重复" in reply
    names = {unit.name for unit in await bot.storage.units.all_in_scope(None)}
    assert names == {"吉林市", "XY局"}


async def test_a_liaisons_typed_name_with_a_bidi_control_is_refused(bot, sandbox, admin):
    code = await add_unit(admin, "长春市")
    user = sandbox.user(2001, "李明")
    await user.command("start", code)
    await user.wait_reply(count=2)
    reply = await answer(user, "李\u202e明", count=2)
    assert [sent.text for sent in reply[-2:]] == [INVISIBLE, "1/10 请输入您的<b>姓名</b>："]
    reply = await answer(user, "李明")
    assert "性别" in reply[-1].text


async def test_an_event_title_and_a_campaign_name_with_format_characters_are_refused(
        bot, sandbox, admin):
    await admin.command("campaign")
    await admin.wait_reply()
    reply = await answer(admin, "安全\u200d生产月")
    assert reply[-1].text == INVISIBLE
    await admin.command("cancel")
    await admin.wait_reply()

    await create_campaign(bot)
    code = await add_unit(admin, "长春市")
    user = sandbox.user(2002, "王")
    await register_liaison(user, code)
    await user.command("event")
    await user.wait_reply(count=2)
    reply = await answer(user, "应急\u2067演练")
    assert reply[-1].text == INVISIBLE
    reply = await answer(user, "ＡＢ应急演练")
    assert "活动日期" in reply[-1].text
    assert (await bot.storage.campaigns.calendar()).campaign.name == "2026年安全生产月"
