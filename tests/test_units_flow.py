"""Units, roles and coordinator invitations, end to end through the sandbox."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import Workbook

from tests.conftest import LINK, add_unit, register_liaison


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def invite_coordinator(admin, scope: str = "") -> str:
    await admin.command("addcoordinator", scope)
    reply = await admin.wait_reply()
    return LINK.search(reply[-1].text).group(1)


async def test_a_liaison_is_told_units_commands_are_for_coordinators(bot, sandbox, admin):
    code = await add_unit(admin, "长春市")
    liaison = sandbox.user(3001, "联络员")
    await register_liaison(liaison, code)
    for command in ("addunit 新单位", "units", "invite 长春市", "addcoordinator"):
        await liaison.send("/" + command)
        reply = await liaison.wait_reply()
        assert reply[-1].text == "此功能仅限协调员使用。", command
    assert await bot.storage.units.by_name("新单位") is None


async def test_a_stranger_is_refused_too(bot, sandbox):
    stranger = sandbox.user(3002, "路人", language_code="en")
    await stranger.command("units")
    reply = await stranger.wait_reply()
    assert reply[-1].text == "This is for coordinators only."


async def test_units_list_is_paged(bot, sandbox, admin):
    for number in range(23):
        await add_unit(admin, f"单位{number:02d}")
    await admin.command("units")
    first = (await admin.wait_reply())[-1]
    assert "共 23 个" in first.text and "第 1/3 页" in first.text
    assert "单位00" in first.text and "单位10" not in first.text
    assert "start=" in first.text
    await admin.press("下一页 ▶", first)
    await admin.wait_reply()
    assert "第 2/3 页" in first.text and "单位10" in first.text


async def test_bulk_import_counts_and_reasons(bot, sandbox, admin):
    await add_unit(admin, "已有单位")
    rows = [
        ["单位名称", "上级单位"],
        ["长春市", ""],
        ["朝阳区", "长春市"],
        ["", ""],                 # blank row: ignored
        ["朝阳区", "长春市"],      # duplicate of row 3
        ["已有单位", ""],          # exists
        ["南关区", "不存在的市"],  # unknown parent
        ["宽城区", "长春市"],
        ["x" * 61, ""],           # too long
    ]
    await admin.send_document(xlsx_bytes(rows), "units.xlsx")
    reply = (await admin.wait_reply())[-1].text
    assert "新增 3 个单位，拒绝 4 行" in reply
    assert "第 5 行：与第 3 行重复" in reply
    assert "第 6 行：单位已存在" in reply
    assert "第 7 行：上级单位“不存在的市”不存在" in reply
    assert "第 9 行：内容太长了" in reply
    chaoyang = await bot.storage.units.by_name("朝阳区")
    changchun = await bot.storage.units.by_name("长春市")
    assert chaoyang.parent_id == changchun.id
    assert await bot.storage.invites.unit_code(chaoyang.id)


async def test_bulk_import_from_gbk_csv(bot, sandbox, admin):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["吉林市"], ["船营区", "吉林市"]])
    await admin.send_document(buffer.getvalue().encode("gb18030"), "units.csv")
    reply = (await admin.wait_reply())[-1].text
    assert "新增 2 个单位，拒绝 0 行" in reply


async def test_a_broken_file_is_refused(bot, sandbox, admin):
    await admin.send_document(b"PK\x03\x04 not really a zip", "units.xlsx")
    reply = (await admin.wait_reply())[-1].text
    assert "无法读取" in reply


async def test_scoped_coordinator_sees_only_units_under_its_unit(bot, sandbox, admin):
    await add_unit(admin, "长春市")
    await admin.command("addunit", "朝阳区 | 长春市")
    await admin.wait_reply()
    await add_unit(admin, "吉林市")
    code = await invite_coordinator(admin, "长春市")
    city = sandbox.user(3003, "市协调员")
    await city.command("start", code)
    welcome = await city.wait_reply()
    assert "长春市" in welcome[-1].text
    await city.command("units")
    listing = (await city.wait_reply())[-1].text
    assert "长春市" in listing and "朝阳区" in listing and "吉林市" not in listing
    await city.command("invite", "吉林市")
    assert "找不到单位" in (await city.wait_reply())[-1].text
    await add_unit(city, "绿园区")   # created under the coordinator's scope
    green = await bot.storage.units.by_name("绿园区")
    assert green.parent_id == (await bot.storage.units.by_name("长春市")).id
    menu = [entry["command"] for entry in sandbox.commands_for(chat_id=3003)]
    assert "units" in menu and "addunit" in menu


async def test_coordinator_invite_is_one_time_and_revocable(bot, sandbox, admin):
    code = await invite_coordinator(admin)
    first = sandbox.user(3004, "甲")
    await first.command("start", code)
    assert "您现在是协调员" in (await first.wait_reply())[-1].text
    second = sandbox.user(3005, "乙")
    await second.command("start", code)
    assert "已被使用" in (await second.wait_reply())[-1].text
    assert await bot.storage.coordinators.get(3005) is None

    revoked_code = await invite_coordinator(admin)
    await admin.press("撤销此链接")
    await admin.wait_reply()
    third = sandbox.user(3006, "丙")
    await third.command("start", revoked_code)
    assert "已被撤销" in (await third.wait_reply())[-1].text
    assert await bot.storage.coordinators.get(3006) is None

    await third.command("start", "wrong-code-123")
    assert "无效" in (await third.wait_reply())[-1].text
    assert await bot.storage.coordinators.get(3006) is None


async def test_each_role_sees_its_own_commands(bot, sandbox, admin):
    code = await add_unit(admin, "长春市")
    liaison = sandbox.user(3007, "联络员")
    await register_liaison(liaison, code)
    liaison_menu = [entry["command"] for entry in sandbox.commands_for(chat_id=3007)]
    assert "profile" in liaison_menu and "units" not in liaison_menu
    await admin.command("start")
    await admin.wait_reply()
    admin_menu = [entry["command"] for entry in sandbox.commands_for(chat_id=admin.id)]
    assert "units" in admin_menu and "profile" not in admin_menu
    newcomer_menu = [entry["command"] for entry in sandbox.commands_for(language_code="en")]
    assert newcomer_menu == ["start", "help", "lang", "cancel"]
    english = {entry["description"] for entry in sandbox.commands_for(language_code="en")}
    assert "Help" in english


async def test_lang_switches_per_user(bot, sandbox, admin):
    user = sandbox.user(3008, "Li", language_code="en")
    await user.command("help")
    assert "invite link" in (await user.wait_reply())[-1].text
    await user.command("lang")
    await user.wait_reply()
    await user.press("中文")
    await user.wait_reply()
    await user.command("help")
    assert "邀请链接" in (await user.wait_reply())[-1].text
    chinese = sandbox.user(3009, "王", language_code="zh-hans")
    await chinese.command("help")
    assert "邀请链接" in (await chinese.wait_reply())[-1].text


async def test_a_zip_renamed_xlsx_and_a_huge_sheet_are_refused(bot, sandbox, admin):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    await admin.send_document(buffer.getvalue(), "units.xlsx")
    assert "无法读取" in (await admin.wait_reply())[-1].text
    huge = "\n".join(f"单位{n}" for n in range(5002)).encode()
    await admin.send_document(huge, "units.csv")
    assert "行数太多" in (await admin.wait_reply())[-1].text
    assert await bot.storage.units.count(None) == 0
