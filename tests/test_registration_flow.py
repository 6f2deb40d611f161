"""Liaison registration through an invite link, end to end through the sandbox."""

from __future__ import annotations

from tests.conftest import (
    ADMIN_ID,
    add_unit,
    answer,
    begin_registration,
    register_liaison,
    skip_optional_contacts,
)


async def test_full_form_with_a_bad_mobile_then_a_good_one(bot, sandbox, admin):
    code = await add_unit(admin, "长春市工信局")
    user = sandbox.user(2001, "李明")
    await user.command("start", code)
    intro, question = await user.wait_reply(count=2)
    assert "长春市工信局" in intro.text
    assert "姓名" in question.text
    await answer(user, "李明")
    await answer(user, press="男", count=2)
    await answer(user, "安全生产科科长")
    await answer(user, "0431-88881234")
    bad = await answer(user, "12345", count=2)
    assert "手机号格式不正确" in bad[0].text
    assert "手机号" in bad[-1].text   # the question is asked again
    await user.send("139 1234 5678")
    await user.wait_reply(count=2)
    await answer(user, "0431-88885678")
    await answer(user, "123456789")
    await answer(user, "liming_safety")
    await answer(user, "liming@example.com")
    summary = await answer(user, "长春市人民大街 1 号")
    assert "13912345678" in summary[-1].text and "liming@example.com" in summary[-1].text
    done = await answer(user, press="✅ 确认提交", count=2)
    assert "登记成功" in done[-1].text

    liaison = await bot.storage.liaisons.open_for_person(2001)
    assert liaison.status == "active"
    assert liaison.form() == {
        "name": "李明", "gender": "male", "position": "安全生产科科长",
        "office_phone": "0431-88881234", "mobile": "13912345678", "fax": "0431-88885678",
        "qq": "123456789", "wechat": "liming_safety", "email": "liming@example.com",
        "address": "长春市人民大街 1 号",
    }
    told = await admin.wait_reply()
    assert "李明" in told[-1].text and "13912345678" in told[-1].text


async def test_required_fields_only_and_the_mobile_by_contact_button(bot, sandbox, admin):
    code = await add_unit(admin, "朝阳区应急管理局")
    user = sandbox.user(2002, "赵芳")
    await begin_registration(user, code, "赵芳", gender="女")
    await answer(user, "副主任")
    await answer(user, press="跳过", count=2)
    await user.tap("📱 分享我的手机号")
    noted = await user.wait_reply(count=2)
    assert "8613800138000"[2:] in noted[0].text
    await skip_optional_contacts(user)
    await answer(user, press="✅ 确认提交", count=2)
    liaison = await bot.storage.liaisons.open_for_person(2002)
    assert (liaison.name, liaison.gender, liaison.mobile) == ("赵芳", "female", "13800138000")
    assert liaison.email is None and liaison.qq is None


async def test_someone_elses_contact_is_refused(bot, sandbox, admin):
    code = await add_unit(admin, "南关区")
    user = sandbox.user(2003, "孙强")
    await begin_registration(user, code, "孙强")
    await answer(user, "科员")
    await answer(user, press="跳过", count=2)
    await user.send_contact("+8613700000000", first_name="别人", own=False)
    replies = await user.wait_reply(count=2)
    assert "本人" in replies[0].text


async def test_restart_half_way_continues_where_it_stopped(bot, sandbox, admin):
    code = await add_unit(admin, "宽城区")
    user = sandbox.user(2004, "周杰")
    await begin_registration(user, code, "周杰")
    await bot.restart()
    question = await answer(user, "科长")
    assert "办公电话" in question[-1].text
    await answer(user, press="跳过", count=2)
    await user.send("13812345678")
    await user.wait_reply(count=2)
    await skip_optional_contacts(user)
    await answer(user, press="✅ 确认提交", count=2)
    liaison = await bot.storage.liaisons.open_for_person(2004)
    assert (liaison.name, liaison.position, liaison.mobile) == ("周杰", "科长", "13812345678")


async def test_change_a_field_from_the_summary_and_cancel(bot, sandbox, admin):
    code = await add_unit(admin, "绿园区")
    user = sandbox.user(2005, "吴敏")
    await begin_registration(user, code, "吴敏", gender="女")
    await answer(user, "科长")
    await answer(user, press="跳过", count=2)
    await user.send("13812345678")
    await user.wait_reply(count=2)
    await skip_optional_contacts(user)
    await answer(user, press="✏️ 修改某项", count=2)
    await answer(user, press="职务", count=2)
    summary = await answer(user, "副科长")
    assert "副科长" in summary[-1].text
    await user.command("cancel")
    replies = await user.wait_reply()
    assert "已取消" in replies[-1].text
    assert await bot.storage.liaisons.open_for_person(2005) is None


async def test_profile_shows_and_edits(bot, sandbox, admin):
    code = await add_unit(admin, "双阳区")
    user = sandbox.user(2006, "郑伟")
    await register_liaison(user, code, name="郑伟")
    await user.command("profile")
    shown = await user.wait_reply()
    assert "郑伟" in shown[-1].text and "双阳区" in shown[-1].text
    await answer(user, press="✏️ 修改某项", count=2)
    await answer(user, press="电子邮箱", count=2)
    bad = await answer(user, "not-an-email", count=2)
    assert "电子邮箱格式不正确" in bad[0].text
    await answer(user, "zheng@example.com")
    saved = await answer(user, press="✅ 完成", count=2)
    assert "已保存" in saved[-1].text
    liaison = await bot.storage.liaisons.open_for_person(2006)
    assert liaison.email == "zheng@example.com"


async def test_replacement_approved_tells_the_old_liaison(bot, sandbox, admin):
    code = await add_unit(admin, "九台区")
    old = sandbox.user(2007, "老王")
    await register_liaison(old, code, name="老王", mobile="13700000001")
    await admin.wait_reply()
    new = sandbox.user(2008, "小李")
    waiting = await register_liaison(new, code, name="小李", mobile="13700000002")
    assert "审核" in waiting[-1].text
    request = await admin.wait_reply()
    assert "小李" in request[-1].text and "老王" in request[-1].text
    await admin.press("✅ 批准", request[-1])
    await admin.wait_reply()
    assert "已批准" in request[-1].text
    replaced = await old.wait_reply()
    assert "不再是" in replaced[-1].text
    approved = await new.wait_reply()
    assert "已获批准" in approved[-1].text
    assert (await bot.storage.liaisons.active_for_unit(
        (await bot.storage.units.by_name("九台区")).id)).name == "小李"
    assert (await bot.storage.liaisons.open_for_person(2007)) is None


async def test_replacement_rejected_keeps_the_old_liaison(bot, sandbox, admin):
    code = await add_unit(admin, "榆树市")
    old = sandbox.user(2009, "老张")
    await register_liaison(old, code, name="老张")
    await admin.wait_reply()
    new = sandbox.user(2010, "小赵")
    await register_liaison(new, code, name="小赵")
    request = await admin.wait_reply()
    await admin.press("❌ 拒绝", request[-1])
    await admin.wait_reply()
    rejected = await new.wait_reply()
    assert "未获批准" in rejected[-1].text
    unit = await bot.storage.units.by_name("榆树市")
    assert (await bot.storage.liaisons.active_for_unit(unit.id)).name == "老张"
    # a forged second press (approve) is refused: the request was already decided
    pending = await bot.storage.liaisons.get(
        max(row.id for row in [await bot.storage.liaisons.open_for_person(2009)]) + 1)
    await admin.press_data(f"liaison:approve:{pending.id}", request[-1])
    await admin.wait_quiet()
    assert sandbox.callback_answers[-1]["text"] == "该申请已被处理。"
    assert (await bot.storage.liaisons.active_for_unit(unit.id)).name == "老张"


async def test_a_liaison_cannot_approve(bot, sandbox, admin):
    code = await add_unit(admin, "德惠市")
    old = sandbox.user(2011, "甲")
    await register_liaison(old, code, name="甲某")
    new = sandbox.user(2012, "乙")
    await register_liaison(new, code, name="乙某")
    request = await admin.wait_reply(count=2)
    liaison = await bot.storage.liaisons.open_for_person(2012)
    await old.press_data(f"liaison:approve:{liaison.id}", old.last)
    await old.wait_quiet()
    assert sandbox.callback_answers[-1]["text"] == "此功能仅限协调员使用。"
    assert (await bot.storage.liaisons.get(liaison.id)).status == "pending"
    assert request


async def test_a_bad_unit_code_creates_nothing(bot, sandbox):
    user = sandbox.user(2013, "钱")
    await user.command("start", "not-a-real-code")
    reply = await user.wait_reply()
    assert "无效" in reply[-1].text
    assert await bot.storage.liaisons.open_for_person(2013) is None


async def test_a_reissued_unit_link_stops_the_old_one(bot, sandbox, admin):
    old_code = await add_unit(admin, "农安县")
    await admin.command("invite", "农安县")
    reply = await admin.wait_reply()
    assert "旧链接已失效" in reply[-1].text
    user = sandbox.user(2014, "孙")
    await user.command("start", old_code)
    refused = await user.wait_reply()
    assert "无效" in refused[-1].text
    new_code = reply[-1].text.split("start=")[1].split()[0]
    assert new_code != old_code
    await user.command("start", new_code)
    started = await user.wait_reply(count=2)
    assert "农安县" in started[0].text


async def test_admin_is_told_in_their_language(bot, sandbox):
    admin_en = sandbox.user(ADMIN_ID, "Director Wang", language_code="en")
    await admin_en.command("addunit", "Test Unit")
    reply = await admin_en.wait_reply()
    assert reply[-1].text.startswith('Unit "Test Unit" added')
