"""The sandbox refuses what Telegram refuses, with Telegram's own texts (issue 14).

Each test makes the call over real HTTP, as a bot would, and reads the answer: status code,
``description`` and, for flood control, ``parameters.retry_after``. The limits and where each
is confirmed are in bot/sandbox/conformance.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.sandbox import FakeTelegram, SimUser

pytestmark = [pytest.mark.asyncio, pytest.mark.sandbox_refusals, pytest.mark.no_database]

QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class Clock:
    """The sandbox's age-and-rate clock, moved by hand."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
async def srv() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    server.clock = Clock()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def user(srv: FakeTelegram) -> SimUser:
    return srv.user(2001, first_name="李四")


@pytest.fixture
async def call(srv: FakeTelegram) -> AsyncIterator[Any]:
    async with httpx.AsyncClient() as client:

        async def do(method: str, files: dict | None = None, **params: Any) -> httpx.Response:
            url = f"{srv.api_base_url}{srv.token}/{method}"
            if files:
                data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
                return await client.post(url, data=data, files=files, timeout=60)
            return await client.post(url, json=params)

        yield do


def refused(resp: httpx.Response, code: int = 400) -> str:
    body = resp.json()
    assert resp.status_code == code and body["ok"] is False and body["error_code"] == code, body
    return body["description"]


def keyboard(rows: int, per_row: int) -> dict:
    return {"inline_keyboard": [
        [{"text": f"{r}.{c}", "callback_data": f"b:{r}:{c}"} for c in range(per_row)]
        for r in range(rows)]}


# --------------------------------------------------------------------------- text and markup


async def test_text_length_counts_characters_after_parsing_and_trimming(call, user) -> None:
    assert (await call("sendMessage", chat_id=user.id, text="字" * 4096)).json()["ok"]
    # astral characters are one character each (tdlib counts utf8_length, not UTF-16 units)
    assert (await call("sendMessage", chat_id=user.id, text="🙂" * 4096)).json()["ok"]
    # markup is not counted, trimmed whitespace is not counted
    html = "<b>" + "字" * 4096 + "</b>"
    assert (await call("sendMessage", chat_id=user.id, text=html, parse_mode="HTML")).json()["ok"]
    padded = "  \n" + "字" * 4096 + "\n  "
    assert (await call("sendMessage", chat_id=user.id, text=padded)).json()["ok"]

    resp = await call("sendMessage", chat_id=user.id, text="字" * 4097)
    assert refused(resp) == "Bad Request: message is too long"
    resp = await call("sendMessage", chat_id=user.id, text="<b> </b>\n ", parse_mode="HTML")
    assert refused(resp) == "Bad Request: message text is empty"
    resp = await call("sendMessage", chat_id=user.id, text="")
    assert refused(resp) == "Bad Request: message text is empty"


async def test_edit_text_and_caption_limits(call, user) -> None:
    sent = (await call("sendMessage", chat_id=user.id, text="原文")).json()["result"]
    resp = await call("editMessageText", chat_id=user.id, message_id=sent["message_id"],
                      text="字" * 4097)
    assert refused(resp) == "Bad Request: message is too long"

    files = {"document": ("a.txt", b"hello", "text/plain")}
    resp = await call("sendDocument", files=files, chat_id=user.id, caption="字" * 1025)
    assert refused(resp) == "Bad Request: message caption is too long"
    ok = await call("sendDocument", files=files, chat_id=user.id, caption="字" * 1024)
    assert ok.json()["ok"]
    resp = await call("editMessageCaption", chat_id=user.id,
                      message_id=ok.json()["result"]["message_id"], caption="字" * 1025)
    assert refused(resp) == "Bad Request: message caption is too long"


async def test_callback_data_is_1_to_64_bytes(call, user) -> None:
    def one(data: str) -> dict:
        return {"inline_keyboard": [[{"text": "按钮", "callback_data": data}]]}

    assert (await call("sendMessage", chat_id=user.id, text="x",
                       reply_markup=one("a" * 64))).json()["ok"]
    for data in ("a" * 65, "字" * 22, ""):            # 65 bytes, 66 bytes, empty
        resp = await call("sendMessage", chat_id=user.id, text="x", reply_markup=one(data))
        assert refused(resp) == "Bad Request: BUTTON_DATA_INVALID", data


async def test_more_than_100_buttons_or_a_row_of_more_than_8_is_too_long(call, user) -> None:
    assert (await call("sendMessage", chat_id=user.id, text="x",
                       reply_markup=keyboard(rows=100, per_row=1))).json()["ok"]
    assert (await call("sendMessage", chat_id=user.id, text="x",
                       reply_markup=keyboard(rows=12, per_row=8))).json()["ok"]
    for rows, per_row in ((101, 1), (13, 8), (1, 9)):
        resp = await call("sendMessage", chat_id=user.id, text="x",
                          reply_markup=keyboard(rows, per_row))
        assert refused(resp) == "Bad Request: reply markup is too long", (rows, per_row)
    sent = (await call("sendMessage", chat_id=user.id, text="x")).json()["result"]
    resp = await call("editMessageReplyMarkup", chat_id=user.id,
                      message_id=sent["message_id"], reply_markup=keyboard(101, 1))
    assert refused(resp) == "Bad Request: reply markup is too long"


# --------------------------------------------------------------------------- callback answers


async def pressed(call, user: SimUser) -> str:
    await call("sendMessage", chat_id=user.id, text="请选择",
               reply_markup={"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]})
    return (await user.press("好"))["id"]


async def test_a_callback_query_is_answered_once(srv, call, user) -> None:
    qid = await pressed(call, user)
    assert (await call("answerCallbackQuery", callback_query_id=qid, text="已收到")).json()["ok"]
    resp = await call("answerCallbackQuery", callback_query_id=qid)
    assert refused(resp) == QUERY_TOO_OLD
    assert [a["text"] for a in srv.callback_answers] == ["已收到"]
    assert srv.refused_callback_answers == [qid]


async def test_a_callback_query_answered_after_15_seconds_is_too_old(srv, call, user) -> None:
    qid = await pressed(call, user)
    srv.clock.at += 15.0
    assert (await call("answerCallbackQuery", callback_query_id=qid)).json()["ok"]
    qid = await pressed(call, user)
    srv.clock.at += 15.5
    assert refused(await call("answerCallbackQuery", callback_query_id=qid)) == QUERY_TOO_OLD


async def test_a_callback_query_from_before_a_restart_is_invalid(srv, call, user) -> None:
    qid = await pressed(call, user)
    await srv.stop()
    await srv.start(srv.port)
    assert refused(await call("answerCallbackQuery", callback_query_id=qid)) == QUERY_TOO_OLD
    assert refused(await call("answerCallbackQuery", callback_query_id="12345")) == QUERY_TOO_OLD


async def test_a_callback_answer_text_is_at_most_200_characters(srv, call, user) -> None:
    qid = await pressed(call, user)
    resp = await call("answerCallbackQuery", callback_query_id=qid, text="字" * 201)
    assert refused(resp) == "Bad Request: MESSAGE_TOO_LONG"
    # the refusal did not use the query up: a right answer still goes through
    assert (await call("answerCallbackQuery", callback_query_id=qid,
                       text="字" * 200)).json()["ok"]


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize(("text", "error"), [
    ("<p>段落</p>", 'Unsupported start tag "p" at byte offset 0'),
    ("第一行<br/>第二行", 'Unsupported start tag "br/" at byte offset 9'),
    ("单位 <中心> 未报", 'Unsupported start tag "中心" at byte offset 7'),
    ("R&D <x y='1'>", 'Unsupported start tag "x" at byte offset 4'),
    ("<b>粗体", 'Can\'t find end tag corresponding to start tag "b"'),
])
async def test_html_outside_telegrams_tags_is_refused(call, user, text, error) -> None:
    resp = await call("sendMessage", chat_id=user.id, text=text, parse_mode="HTML")
    assert refused(resp) == f"Bad Request: can't parse entities: {error}"


async def test_telegrams_html_tags_are_accepted(call, user) -> None:
    text = ("<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
            "<strike>k</strike><del>d</del><tg-spoiler>p</tg-spoiler>"
            '<span class="tg-spoiler">q</span><a href="https://t.me">a</a><code>c</code>'
            '<pre><code class="language-python">x</code></pre><blockquote>q</blockquote>'
            '<tg-time unix="1717000000">t</tg-time> R&amp;D &lt;中心&gt;')
    resp = await call("sendMessage", chat_id=user.id, text=text, parse_mode="HTML")
    assert resp.json()["ok"], resp.json()
    assert resp.json()["result"]["text"].endswith("R&D <中心>")


# --------------------------------------------------------------------------- uploads


async def test_uploads_over_50_mb_and_photos_over_10_mb_are_refused(call, user) -> None:
    big = b"\0" * (50_000_001)
    resp = await call("sendDocument", files={"document": ("big.zip", big, "application/zip")},
                      chat_id=user.id)
    assert refused(resp, 413) == "Request Entity Too Large"
    ok = await call("sendDocument", files={"document": ("ok.zip", big[:-1], "application/zip")},
                    chat_id=user.id)
    assert ok.json()["ok"]

    photo = b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 - 2)
    resp = await call("sendPhoto", files={"photo": ("p.jpg", photo, "image/jpeg")},
                      chat_id=user.id)
    assert refused(resp) == ("Bad Request: file of size 10485761 bytes is too big for a photo; "
                             "the maximum size is 10485760 bytes")


# --------------------------------------------------------------------------- pacing


async def test_a_burst_to_one_chat_is_paced_with_retry_after(srv, call, user) -> None:
    other = srv.user(2002, first_name="王五")
    for n in range(10):                                  # a short burst passes
        assert (await call("sendMessage", chat_id=user.id, text=f"{n}")).json()["ok"]
    resp = await call("sendMessage", chat_id=user.id, text="再一条")
    assert refused(resp, 429) == "Too Many Requests: retry after 1"
    assert resp.json()["parameters"] == {"retry_after": 1}
    # another chat is not slowed; edits and chat actions are not messages
    assert (await call("sendMessage", chat_id=other.id, text="你好")).json()["ok"]
    assert (await call("editMessageText", chat_id=user.id, message_id=1, text="改")).json()["ok"]
    assert (await call("sendChatAction", chat_id=user.id, action="typing")).json()["ok"]
    srv.clock.at += 1.0                                  # one a second gets through
    assert (await call("sendMessage", chat_id=user.id, text="一秒后")).json()["ok"]
    assert refused(await call("sendMessage", chat_id=user.id, text="x"), 429)
    srv.clock.at += 3.0
    for _ in range(3):
        assert (await call("sendMessage", chat_id=user.id, text="三秒后")).json()["ok"]
    assert refused(await call("sendMessage", chat_id=user.id, text="x"), 429)
    # a person's message is worth the 3 s a person takes: the replies to it pass
    await user.send("收到了吗？")
    for _ in range(3):
        assert (await call("sendMessage", chat_id=user.id, text="回复")).json()["ok"]
    assert refused(await call("sendMessage", chat_id=user.id, text="x"), 429)


async def test_a_group_gets_at_most_20_messages_a_minute(srv, call, user) -> None:
    group = -100500
    await srv.group_message(group, user, "大家好")
    for n in range(20):
        assert (await call("sendMessage", chat_id=group, text=f"{n}")).json()["ok"], n
        srv.clock.at += 1.0
    resp = await call("sendMessage", chat_id=group, text="第21条")
    assert refused(resp, 429) == "Too Many Requests: retry after 40"
    assert resp.json()["parameters"] == {"retry_after": 40}
    srv.clock.at += 40.0
    assert (await call("sendMessage", chat_id=group, text="一分钟后")).json()["ok"]


async def test_every_injected_429_carries_retry_after(srv, call, user) -> None:
    srv.fail_requests(1, 429, retry_after=7)
    resp = await call("sendMessage", chat_id=user.id, text="x")
    assert refused(resp, 429) == "Too Many Requests: retry after 7"
    assert resp.json()["parameters"] == {"retry_after": 7}
    srv.fail_requests(1, 429)
    assert (await call("getMe")).json()["parameters"] == {"retry_after": 1}


# --------------------------------------------------------------------------- updates


async def fetch(call, **params: Any) -> list[dict]:
    return (await call("getUpdates", timeout=0, **params)).json()["result"]


async def confirm(call, updates: list[dict]) -> None:
    if updates:
        await fetch(call, offset=updates[-1]["update_id"] + 1)


async def test_blocking_and_unblocking_the_bot_sends_my_chat_member(srv, call, user) -> None:
    await user.block_bot()
    resp = await call("sendMessage", chat_id=user.id, text="还在吗")
    assert refused(resp, 403) == "Forbidden: bot was blocked by the user"
    await user.unblock_bot()
    assert (await call("sendMessage", chat_id=user.id, text="欢迎回来")).json()["ok"]

    updates = await fetch(call)
    members = [u["my_chat_member"] for u in updates]
    assert [(m["old_chat_member"]["status"], m["new_chat_member"]["status"])
            for m in members] == [("member", "kicked"), ("kicked", "member")]
    assert all(m["chat"]["id"] == user.id and m["from"]["id"] == user.id for m in members)
    assert members[0]["new_chat_member"]["user"]["id"] == srv.bot_id


async def test_a_press_on_an_inaccessible_message_has_date_0(srv, call, user) -> None:
    from telegram import Update

    await call("sendMessage", chat_id=user.id, text="旧消息",
               reply_markup={"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]})
    await user.press("好", inaccessible=True)
    [update] = await fetch(call)
    message = update["callback_query"]["message"]
    assert message == {"chat": user.chat_json(), "message_id": 1, "date": 0}
    parsed = Update.de_json(update, None)
    assert not parsed.callback_query.message.is_accessible     # what PTB makes of date 0
    assert parsed.callback_query.data == "ok"


async def test_an_edit_with_no_visible_change(srv, call, user) -> None:
    sent = await user.send("报送 3 人")
    srv.now = lambda: 1_800_000_000.0
    await user.edit_without_change(sent)
    updates = await fetch(call)
    edited = updates[-1]["edited_message"]
    assert edited["text"] == "报送 3 人" and edited["message_id"] == sent["message_id"]
    assert edited["edit_date"] == 1_800_000_000


async def test_business_messages_and_allowed_updates(srv, call, user) -> None:
    await user.send_business("你好，请问营业时间？")
    [update] = await fetch(call)        # business_message is in the default set
    assert update["business_message"]["business_connection_id"] == "sandbox-business-1"
    assert update["business_message"]["text"] == "你好，请问营业时间？"
    await confirm(call, [update])

    updates = await fetch(call, allowed_updates=["message", "callback_query"])
    assert updates == []
    await user.send_business("还在吗")
    await user.block_bot()
    await user.send("/start")
    updates = await fetch(call)         # the setting stays until the next allowed_updates
    assert [next(k for k in u if k != "update_id") for u in updates] == ["message"]
    assert [next(iter(u)) for u in srv.dropped_updates] == ["business_message", "my_chat_member"]
    await confirm(call, updates)

    await fetch(call, allowed_updates=[])            # an empty list: back to the default
    await user.unblock_bot()
    srv.enqueue_update({"chat_member": {"chat": user.chat_json()}})
    updates = await fetch(call)
    assert [next(k for k in u if k != "update_id") for u in updates] == ["my_chat_member"]
    assert next(iter(srv.dropped_updates[-1])) == "chat_member"
