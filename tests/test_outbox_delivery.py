"""Sending under Telegram's limits: 300 liaisons, 429s, 403s, 5xx and a timeout; exactly once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from bot.outbox import jobs
from bot.ptb.ratelimit import Pacer
from tests.conftest import ADMIN_ID, BotUnderTest
from tests.schedule_support import SetClock, local, seed


@pytest.mark.no_database
async def test_the_pacer_spaces_sends_evenly_and_never_bursts():
    pacer = Pacer(per_second=25)
    stamps = []
    started = time.monotonic()
    for _ in range(40):
        await pacer.acquire()
        stamps.append(time.monotonic())
    # a bucket that starts full would let 25 (or 50) through at once; here no 1-second
    # window holds more than 25 + 1
    most = max(sum(1 for other in stamps if stamp <= other < stamp + 1.0) for stamp in stamps)
    assert most <= 26
    assert time.monotonic() - started >= 39 / 25 - 0.05
    pacer.pause(0.5)
    paused_at = time.monotonic()
    await pacer.acquire()
    assert time.monotonic() - paused_at >= 0.45


@pytest.mark.no_database
async def test_replies_go_at_once_until_the_second_is_full():
    pacer = Pacer(per_second=25, window_cap=28)
    started = time.monotonic()
    for _ in range(28):
        await pacer.acquire(smooth=False)
    assert time.monotonic() - started < 0.2          # a reply does not wait behind pacing
    await pacer.acquire(smooth=False)                # the 29th waits for the window
    assert time.monotonic() - started >= 0.95


@pytest.mark.no_database
async def test_a_held_outbox_slot_counts_until_a_second_after_its_answer():
    # the outbox's way (evenly spaced) with ``hold``: a send held up on the way cannot bunch
    # past the cap where Telegram counts it, since the slot counts until its answer + 1 s
    pacer = Pacer(per_second=100, window_cap=3)
    for _ in range(3):
        await pacer.acquire(hold=True)
    answered = asyncio.Event()

    async def answers() -> float:
        await asyncio.sleep(0.3)              # the three answers come back late
        for _ in range(3):
            pacer.release()
        answered.set()
        return time.monotonic()

    returned = asyncio.create_task(answers())
    await pacer.acquire(hold=True)            # the fourth: not before the window frees
    assert answered.is_set()
    assert time.monotonic() - await returned >= 0.95
    pacer.release()


@pytest.mark.no_database
async def test_replies_waiting_for_the_window_queue_instead_of_all_waking_at_every_slot():
    clock_reads = 0

    def counted_clock() -> float:
        nonlocal clock_reads
        clock_reads += 1
        return time.monotonic()

    pacer = Pacer(per_second=25, window_cap=5, monotonic=counted_clock)
    served = []

    async def reply(number: int) -> None:
        await pacer.acquire(smooth=False)
        served.append(number)

    started = time.monotonic()
    await asyncio.gather(*(reply(number) for number in range(15)))
    assert served == list(range(15))                   # first come, first served
    assert time.monotonic() - started >= 1.95          # 5 a second: three windows
    # each reply reads the clock a few times; all ten waiting ones reading it at every
    # freed slot would take 10 + 9 + ... reads
    assert clock_reads <= 15 * 4


async def test_prompt_to_300_liaisons_arrives_exactly_once_despite_429_403_5xx_and_timeout(
        sandbox, tmp_path, admin):
    liaisons = await seed(tmp_path / "data", liaisons=300, only=("weekly",))
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    blocked = {liaison.person_id for liaison in liaisons[10:300:60]}    # 5 chats: 403
    for person_id in blocked:
        sandbox.block_chat(person_id)
    sandbox.rate_limit_per_second = 30
    clock = SetClock(local(2026, 6, 4, 7, 0))
    bot = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock)
    await bot.start()
    try:
        sender = bot.app.bot_data.sender
        await sender.settled(timeout=60)
        assert sandbox.sent == []           # nothing is due at 07:00
        # a flood wait answered without retry_after, server errors, and a hung request
        sandbox.fail_requests(4, status=429, methods=["sendMessage"])
        sandbox.fail_requests(3, status=502, methods=["sendMessage"])
        sandbox.timeout_hang = 6.0
        sandbox.fail_requests(1, status="timeout", methods=["sendMessage"])

        clock.set(local(2026, 6, 4, 8, 0))
        await jobs.tick(bot.app)
        await sender.settled(timeout=120)

        def prompt_chats() -> Counter:
            return Counter(sent.chat_id for sent in sandbox.sent
                           if sent.method == "sendMessage" and sent.find_button("📤 开始报送"))

        received = prompt_chats()
        reachable = {liaison.person_id for liaison in liaisons} - blocked
        assert set(received) == reachable                       # none lost
        assert set(received.values()) == {1}                    # none duplicated
        assert sandbox.stats["403"] >= len(blocked) and sandbox.stats["429"] >= 4
        assert sandbox.stats["502"] >= 3 and sandbox.stats["timeout"] == 1
        rows = await bot.storage.outbox.rows(period="2026-06-04", kind="prompt")
        states = Counter(row.state for row in rows)
        assert states == {"sent": len(reachable), "unreachable": len(blocked)}
        for person_id in blocked:
            assert not (await bot.storage.people.get(person_id)).reachable

        # the digest at the deadline reports the blocked liaisons as unreachable
        clock.set(local(2026, 6, 4, 10, 0))
        await jobs.tick(bot.app)
        await sender.settled(timeout=30)
        digest = "\n".join(sent.plain_text for sent in sandbox.messages_to(ADMIN_ID))
        assert digest.startswith("📋 每周活动材料已于 6月4日（周四）10:00 截止。")
        assert f"无法联系（已屏蔽机器人）：{len(blocked)} 位联络员" in digest
        for liaison in liaisons:
            line = f"{liaison.unit_name} — {liaison.name}，{liaison.mobile}"
            assert line in digest   # all missing; the blocked ones a second time as unreachable
        assert digest.count(f"单位{liaisons[10].person_id} —") == 2
        assert max(len(sent.text) for sent in sandbox.messages_to(ADMIN_ID)) <= 4096
    finally:
        await bot.stop()


async def test_flood_waits_are_honoured_and_nothing_is_lost(sandbox, tmp_path):
    """A server stricter than the pacer: it answers 429 with retry_after; the sender waits
    that long, and every message still arrives once."""
    liaisons = await seed(tmp_path / "data", liaisons=40, only=("weekly",))
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    sandbox.rate_limit_per_second = 10
    clock = SetClock(local(2026, 6, 4, 8, 0))
    bot = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock)
    await bot.start()
    try:
        await bot.app.bot_data.sender.settled(timeout=60)
        received = Counter(sent.chat_id for sent in sandbox.sent)
        assert received == Counter({liaison.person_id: 1 for liaison in liaisons})
        assert sandbox.stats["429"] > 0
        assert max(sandbox.sent_per_second().values()) <= 10
    finally:
        await bot.stop()
