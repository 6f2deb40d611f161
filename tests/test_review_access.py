"""Who may use the review desk, on the seeded campaign (tests/desk_seed.py): a city's
coordinator reviews only the city's units, and every forged press for a unit outside it is
stale; a liaison is refused every command and every button of the desk."""

from __future__ import annotations

import re

from bot.ptb.buttons import ReviewComment, ReviewList, ReviewResubmit, ReviewReturn, ReviewShow
from tests.desk_seed import (
    CITIES,
    LIAISON_BASE_ID,
    NO_LIAISON,
    SCOPED_COORDINATOR_ID,
    WEEKS,
    expected,
    fate,
)

WEEK = 3                     # the seeded campaign's last week, 6/25: what /review opens on
COORDINATORS_ONLY = "此功能仅限协调员使用。"
STALE = "这个按钮已过期。"


async def read_list(user, first) -> list[tuple[str, str]]:
    """(unit, state) of every line of every page of the 📋 list."""
    found: list[tuple[str, str]] = []
    page = first
    while True:
        found += re.findall(r"^\d+\. (\S+) — (.+)$", page.plain_text, re.M)
        if "下一页 ▶" not in page.button_texts():
            return found
        await user.press("下一页 ▶", page)
        page = (await user.wait_reply())[-1]


async def submission_of(desk, name: str):
    return await desk.bot.storage.submissions.find(desk.seeded.units[name],
                                                   desk.seeded.weekly_id, WEEKS[WEEK])


async def test_a_city_coordinator_reviews_only_the_city(desk, sandbox):
    seeded = desk.seeded
    city = CITIES[0]
    coordinator = sandbox.user(SCOPED_COORDINATOR_ID, "赵科长")
    await coordinator.command("review")
    replies = await coordinator.wait_reply(count=2)
    card = replies[-1]
    want = expected(seeded, WEEK, city)
    total = len(want["on_time"]) + len(want["late"])
    assert f"第 1/{total} 份 · 按时" in card.plain_text
    assert "6月25日一期" in card.plain_text
    assert replies[0].photo or replies[0].method == "sendMediaGroup"   # the store's copies
    await coordinator.press("📋 列表", card)
    listing = (await coordinator.wait_reply())[-1]
    assert f"共 {total} 份（按时 {len(want['on_time'])}，迟交 {len(want['late'])}" in \
        listing.plain_text
    lines = await read_list(coordinator, listing)
    units = [unit for unit, _ in lines]
    assert sorted(units) == sorted(want["on_time"] + want["late"])
    states = [state for _, state in lines]          # on time first, then late
    assert states == sorted(states, key=lambda state: state != "按时")

    outside = next(name for name in seeded.names if seeded.city_of[name] != city
                   and name in expected(seeded, WEEK)["on_time"])
    submission = await submission_of(desk, outside)
    for forged in (ReviewReturn(submission.id), ReviewComment(submission.id)):
        await coordinator.press_data(forged.pack())
        await coordinator.wait_quiet(0.5)
        assert sandbox.callback_answers[-1]["text"] == STALE
    await coordinator.press_data(ReviewShow(seeded.weekly_id, 0, "2026-07-30").pack())
    await coordinator.wait_quiet(0.5)
    assert sandbox.callback_answers[-1]["text"] == STALE
    assert await desk.bot.storage.reviews.returns_of([submission.id]) == {}


async def test_a_liaison_is_refused_every_command_and_button_of_the_review_desk(desk, sandbox):
    seeded = desk.seeded
    index, other_index = [i for i in range(2, len(seeded.names))
                          if i not in NO_LIAISON and fate(i, WEEK)[0] != "missing"][:2]
    liaison = sandbox.users[LIAISON_BASE_ID + index]
    for args in ("", "event", "case", "6月18日"):
        await liaison.send(f"/review {args}".strip())
        reply = await liaison.wait_reply()
        assert reply[-1].text == COORDINATORS_ONLY, args
    own = await submission_of(desk, seeded.names[index])
    other = await submission_of(desk, seeded.names[other_index])
    for forged in (ReviewShow(seeded.weekly_id, 0, WEEKS[WEEK]),
                   ReviewList(seeded.weekly_id, 0, True, WEEKS[WEEK]),
                   ReviewReturn(own.id), ReviewComment(own.id), ReviewReturn(other.id)):
        await liaison.press_data(forged.pack())
        await liaison.wait_quiet(0.5)
        assert sandbox.callback_answers[-1]["text"] == COORDINATORS_ONLY, forged
    # 📤 resubmit is the liaison's, but only for their own unit's open return
    for submission in (own, other):
        await liaison.press_data(ReviewResubmit(submission.id).pack())
        await liaison.wait_quiet(0.5)
        assert sandbox.callback_answers[-1]["text"] == "这份材料没有待重新报送的退回。"
    await liaison.press_data("rv:return:not-a-number")
    await liaison.wait_quiet(0.5)
    assert sandbox.callback_answers[-1]["text"] in (COORDINATORS_ONLY, STALE)
    assert await desk.bot.storage.reviews.returns_of([own.id, other.id]) == {}
    assert await desk.bot.storage.reviews.comments_of([own.id, other.id]) == {}
    assert all(len(user.texts()) == 0 for uid, user in sandbox.users.items()
               if uid >= LIAISON_BASE_ID and uid != LIAISON_BASE_ID + index)
