"""Calendar changes reach people: a deadline moved with /deadline is announced once, through
the outbox, to the liaisons whose unit has not delivered that period (old and new time); a
single period's change can be removed again, and that is announced the same way."""

from __future__ import annotations

from bot.outbox import jobs
from tests.conftest import answer
from tests.schedule_support import SetClock, deliver, local, seed
from tests.test_campaign_flow import pressed, start_bot

MOVED = "截止时间已调整"


def announcements(sandbox, person_id: int) -> list[str]:
    return [sent.plain_text for sent in sandbox.messages_to(person_id)
            if MOVED in (sent.plain_text or "")]


async def test_a_moved_week_is_announced_once_to_the_units_not_delivered_and_can_be_undone(
        sandbox, tmp_path, admin):
    liaisons = await seed(tmp_path / "data", liaisons=3, only=("weekly", "summary"))
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    clock = SetClock(local(2026, 6, 9, 12))
    bot = await start_bot(sandbox, tmp_path, clock)
    try:
        delivered = liaisons[0]
        await deliver(bot.storage, delivered.unit_id, "weekly", "2026-06-11",
                      local(2026, 6, 9, 11))
        await admin.command("deadline")
        await admin.wait_reply()
        await pressed(admin, "每周活动材料")
        await pressed(admin, "📅 单独调整某一期")
        ask = await pressed(admin, "6月11日（周四）10:00")
        assert not ask.button_texts()            # nothing to undo yet
        await answer(admin, "06-12 16:00")
        await bot.app.bot_data.sender.settled()
        for liaison in liaisons[1:]:
            (text,) = announcements(sandbox, liaison.person_id)
            assert "每周活动材料（6月11日一期）" in text
            assert "原定 6月11日（周四）10:00" in text
            assert "现为 6月12日（周五）16:00（已调整，原定 6月11日）" in text
        assert announcements(sandbox, delivered.person_id) == []

        await jobs.tick(bot.app)                  # the scheduler writes no second copy
        await bot.app.bot_data.sender.settled()
        assert all(len(announcements(sandbox, liaison.person_id)) == 1
                   for liaison in liaisons[1:])

        # the single period's change is removed again
        await admin.command("deadline")
        await admin.wait_reply()
        await pressed(admin, "每周活动材料")
        await pressed(admin, "📅 单独调整某一期")
        ask = await pressed(admin, "6月12日（周五）16:00")
        assert ask.button_texts() == ["↩️ 撤销这一期的调整（恢复为 6月11日（周四）10:00）"]
        changed = await pressed(admin, "↩️ 撤销这一期的调整（恢复为 6月11日（周四）10:00）")
        assert "6月11日（周四）10:00" in changed.plain_text and "已调整" not in \
            changed.plain_text
        weekly = (await bot.storage.campaigns.calendar()).rule("weekly")
        assert weekly.overrides == {}
        await bot.app.bot_data.sender.settled()
        for liaison in liaisons[1:]:
            _first, second = announcements(sandbox, liaison.person_id)
            assert "原定 6月12日（周五）16:00" in second and "现为 6月11日（周四）10:00" in second
        assert announcements(sandbox, delivered.person_id) == []
    finally:
        await bot.stop()


async def test_moving_every_week_announces_the_next_week_only(sandbox, tmp_path, admin):
    liaisons = await seed(tmp_path / "data", liaisons=2, only=("weekly",))
    for liaison in liaisons:
        sandbox.user(liaison.person_id, liaison.name)
    bot = await start_bot(sandbox, tmp_path, SetClock(local(2026, 6, 9, 12)))
    try:
        await admin.command("deadline")
        await admin.wait_reply()
        await pressed(admin, "每周活动材料")
        await pressed(admin, "✏️ 修改截止时刻")
        await answer(admin, "周五 12:00")
        await bot.app.bot_data.sender.settled()
        for liaison in liaisons:
            (text,) = announcements(sandbox, liaison.person_id)
            assert "原定 6月11日（周四）10:00" in text and "现为 6月12日（周五）12:00" in text
    finally:
        await bot.stop()
