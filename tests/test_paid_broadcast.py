"""Paid broadcasts (BOT_PAID_BROADCAST): the outbox's sends carry allow_paid_broadcast and may
go faster than Telegram's 30 a second, up to the sandbox's overall ceiling, never above it in
any sliding second; every liaison gets the prompt once. And the settings that allow it."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from bot.config import ConfigError, load_settings
from bot.outbox import jobs
from tests.conftest import ADMIN_ID, BotUnderTest
from tests.schedule_support import SetClock, local, seed

TOKEN = "123456:ABCDEFGHIJKLMNOP"


def settings(**env: str):
    return load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, **env}, env_file=None)


@pytest.mark.no_database
def test_the_send_rate_goes_up_to_1000_only_with_paid_broadcasts():
    assert settings().send_rate == 30 and not settings().paid_broadcast
    with pytest.raises(ConfigError) as refused:
        settings(BOT_SEND_RATE="100")
    assert str(refused.value) == (
        "BOT_SEND_RATE must be a number of messages a second from 1 to 30 (up to 1000 with "
        "BOT_PAID_BROADCAST=true, at 0.1 Star a message), got '100'")
    paid = settings(BOT_PAID_BROADCAST="true", BOT_SEND_RATE="1000")
    assert paid.paid_broadcast and paid.send_rate == 1000
    with pytest.raises(ConfigError) as refused:
        settings(BOT_PAID_BROADCAST="true", BOT_SEND_RATE="1001")
    assert str(refused.value) == ("BOT_SEND_RATE must be a number of messages a second from 1 "
                                  "to 1000, got '1001'")
    with pytest.raises(ConfigError) as refused:
        settings(BOT_PAID_BROADCAST="maybe")
    assert str(refused.value) == "BOT_PAID_BROADCAST must be true or false, got 'maybe'"


@pytest.mark.parametrize("ceiling", [100])
async def test_a_paid_prompt_reaches_every_liaison_once_never_above_the_ceiling(
        sandbox, tmp_path, admin, ceiling):
    liaisons = await seed(tmp_path / "data", liaisons=400, only=("weekly",))
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    # Telegram's two limits, the paid one scaled down: 30 a second without the flag,
    # ``ceiling`` a second of everything together
    sandbox.rate_limit_per_second = 30
    sandbox.paid_rate_limit_per_second = ceiling
    clock = SetClock(local(2026, 6, 4, 7, 0))
    bot = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock)
    bot.settings = dataclasses.replace(bot.settings, paid_broadcast=True,
                                       send_rate=float(ceiling))
    await bot.start()
    try:
        sender = bot.app.bot_data.sender
        await sender.settled(timeout=60)
        clock.set(local(2026, 6, 4, 8, 0))
        await jobs.tick(bot.app)
        # a liaison writing meanwhile is answered (a reply, not paid) as usual
        first = sandbox.user(liaisons[0].person_id, liaisons[0].name)
        await first.command("help")
        await sender.settled(timeout=120)

        prompts = Counter(sent.chat_id for sent in sandbox.sent
                          if sent.method == "sendMessage" and sent.find_button("📤 开始报送"))
        assert prompts == Counter({liaison.person_id: 1 for liaison in liaisons})
        # above the 30 a second of unpaid sends (the sandbox would have refused those), never
        # above the ceiling in any sliding second
        assert 30 < sandbox.busiest_second() <= ceiling
        rows = await bot.storage.outbox.rows(period="2026-06-04", kind="prompt")
        assert Counter(row.state for row in rows) == {"sent": len(liaisons)}
        # every prompt asked to be a paid broadcast; the reply did not
        flags = [params.get("allow_paid_broadcast") for method, params in sandbox.requests
                 if method == "sendMessage" and "📤 开始报送" in str(params.get("reply_markup"))]
        assert len(flags) >= len(liaisons) and set(flags) == {True}
        replies = [params for method, params in sandbox.requests
                   if method == "sendMessage" and params.get("chat_id") == first.id
                   and "📤 开始报送" not in str(params.get("reply_markup"))]
        assert replies and all("allow_paid_broadcast" not in params for params in replies)
    finally:
        await bot.stop()
