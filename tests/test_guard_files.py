"""Issue 13, points 9 (the file half), 10 and 11: a hostile file is refused with one clear
line, parsed off the event loop with caps, and the bot answers everyone else meanwhile.
Through the sandbox with the real bot."""

from __future__ import annotations

import json


def deep_json(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


async def test_a_deeply_nested_json_definition_is_refused_as_not_a_form(bot, sandbox, admin):
    for depth, name in ((100_000, "deep.json"), (50, "fifty.json")):
        await admin.send_document(deep_json(depth), name)
        refused = (await admin.wait_reply())[-1].text
        assert "统计表定义有 1 处错误，未加载" in refused, name
        assert "嵌套太深（超过 20 层），不是统计表定义" in refused, name
    # a deep object hidden in a string is not nesting: this one is refused for what it is
    shallow = json.dumps({"id": "x", "title": "[" * 5000}).encode()
    await admin.send_document(shallow, "strings.json")
    refused = (await admin.wait_reply())[-1].text
    assert "嵌套太深" not in refused and "未加载" in refused
    assert (await bot.storage.stats.current_form()).id == 1
    await admin.command("help")
    assert (await admin.wait_reply())[-1].text
