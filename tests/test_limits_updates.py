"""Double taps, stale and refused presses, blocked and unblocked, updates the bot does not
use (issue 14, points 3, 5 and 6), through the sandbox."""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime

import pytest

from tests.desk_seed import LIAISON_BASE_ID, TZ, expected
from tests.limits_support import assert_within_limits

GENERIC_ERROR = "抱歉，处理时出了问题"


def press_update(sandbox, user, message, data: str, query_id: str | None = None,
                 inaccessible: bool = False) -> dict:
    """A press as Telegram sends it; ``query_id`` not issued by the sandbox is one it no
    longer takes (a replay after a restart)."""
    shown = {"message_id": message.message_id, "chat": user.chat_json(), "date": 0} \
        if inaccessible else copy.deepcopy(message.message)
    query = {"id": query_id or sandbox.new_callback_id(user.id), "from": user.user_json(),
             "message": shown, "chat_instance": "1", "data": data}
    user.mark()
    return sandbox.enqueue_update({"callback_query": query})


async def test_a_double_tap_on_a_page_button_edits_once_and_says_nothing_wrong(
        desk, sandbox, admin):
    await admin.command("units")
    (page,) = await admin.wait_reply()
    data = page.find_button("下一页 ▶")["callback_data"]
    await admin.press_data(data, page)
    await admin.press_data(data, page)        # the same page again: "message is not modified"
    await admin.wait_quiet(0.5)
    assert "第 2/" in page.plain_text
    assert all(GENERIC_ERROR not in text for text in admin.texts())
    assert len(sandbox.callback_answers) == 2
    await admin.command("status")
    (status,) = await admin.wait_reply()
    view = status.find_button("下一页 ▶")["callback_data"]
    await admin.press_data(view, status)
    await admin.press_data(view, status)
    await admin.wait_quiet(0.5)
    assert all(GENERIC_ERROR not in text for text in admin.texts())


async def test_a_press_on_an_inaccessible_message_gets_one_line(desk, sandbox, admin):
    await admin.command("units")
    (page,) = await admin.wait_reply()
    press_update(sandbox, admin, page, page.find_button("下一页 ▶")["callback_data"],
                 inaccessible=True)
    await admin.wait_quiet(0.5)
    assert sandbox.callback_answers[-1]["text"] == "这个按钮已过期。"
    assert "第 1/" in page.plain_text           # not edited
    assert len(admin.messages) == 1
    assert_within_limits(sandbox)


@pytest.mark.sandbox_refusals       # the refused answerCallbackQuery, on purpose
async def test_a_remind_press_whose_answer_is_refused_still_reminds_once_and_reports(
        desk, sandbox, admin):
    desk.clock.now = datetime(2026, 6, 11, 10, 30, tzinfo=TZ)
    seeded = desk.seeded
    with_liaison = [name for name in expected(seeded, 1)["missing"] if name in seeded.liaison_of]
    await admin.command("missing")
    (message,) = await admin.wait_reply()
    button = message.find_button(f"🔔 立即提醒（{len(with_liaison)}）")
    press_update(sandbox, admin, message, button["callback_data"], query_id="4242")
    await admin.wait_reply(count=2, timeout=20)
    await desk.bot.app.bot_data.sender.settled()
    await admin.wait_quiet(0.5)
    texts = admin.texts()
    assert any(f"送达 {len(with_liaison)} 位联络员" in text for text in texts)
    # what the refused answer would have said, said in the chat
    assert f"正在提醒 {len(with_liaison)} 位联络员…" in texts
    assert all(GENERIC_ERROR not in text for text in texts)
    reminded = [person_id for person_id, user in sandbox.users.items()
                if person_id >= LIAISON_BASE_ID and any("提醒" in t for t in user.texts())]
    assert sorted(reminded) == sorted(seeded.liaison_of[name][0] for name in with_liaison)
    assert all(len(sandbox.users[person_id].texts()) == 1 for person_id in reminded)


async def test_blocking_marks_the_person_unreachable_and_unblocking_reachable(
        desk, sandbox, admin):
    person_id, _, _ = desk.seeded.liaison_of[desk.seeded.names[3]]
    user = sandbox.users[person_id]

    def member(status: str) -> dict:
        return {"status": status, "user": sandbox.bot_user,
                **({"until_date": 0} if status == "kicked" else {})}

    def member_update(old: str, new: str) -> dict:
        return {"my_chat_member": {
            "chat": user.chat_json(), "from": user.user_json(), "date": int(sandbox.now()),
            "old_chat_member": member(old), "new_chat_member": member(new)}}

    sandbox.enqueue_update(member_update("member", "kicked"))
    await asyncio.sleep(0.5)
    await desk.bot.app.bot_data.sender.settled()
    assert not (await desk.bot.storage.people.get(person_id)).reachable
    sandbox.enqueue_update(member_update("kicked", "member"))
    await asyncio.sleep(0.5)
    assert (await desk.bot.storage.people.get(person_id)).reachable
    assert user.messages == []                  # nothing sent for either


async def test_edits_get_one_line_per_message_and_none_without_a_visible_change(
        bot, sandbox, admin):
    message = await admin.send("hello")
    await admin.wait_reply()
    await admin.edit(message, "hello")              # nothing a person can see changed
    await admin.wait_quiet(0.5)
    assert len(admin.messages) == 1
    await admin.edit(message, "hello again")
    (line,) = await admin.wait_reply()
    assert line.plain_text == "修改过的消息不会被更新，请重新发送。"
    await admin.edit(message, "hello once more")    # the same message: said already
    await admin.edit(message, "and again")
    await admin.wait_quiet(0.5)
    assert len(admin.messages) == 2
    other = await admin.send("second")
    await admin.wait_reply()
    await admin.edit(other, "second, edited")
    await admin.wait_reply()
    assert admin.messages[-1].plain_text == "修改过的消息不会被更新，请重新发送。"
    assert_within_limits(sandbox)


async def test_updates_the_bot_does_not_use_are_not_asked_for_nor_answered(bot, sandbox, admin):
    await admin.command("start")
    await admin.wait_reply()
    polls = [params for method, params in sandbox.requests if method == "getUpdates"]
    assert polls and all(sorted(params.get("allowed_updates") or []) == sorted(
        ["message", "edited_message", "callback_query", "my_chat_member"]) for params in polls)
    before = len(sandbox.sent)
    sandbox.enqueue_update({"business_message": {
        "message_id": 9, "business_connection_id": "b1", "from": admin.user_json(),
        "chat": admin.chat_json(), "date": int(sandbox.now()), "text": "你好"}})
    await asyncio.sleep(1.0)
    assert len(sandbox.sent) == before
