"""Helpers for the scoring tests: a review card's ✅ 采用 button sent by the real bot (the
review desk puts the same button on its cards), pressed by a coordinator."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.scoring.adoption import adopt_button
from tests.desk_seed import WEEKS


async def submission_of(world, unit: str, week: int = 0):
    storage = world.bot.storage
    return await storage.submissions.find(world.seeded.units[unit], world.seeded.weekly_id,
                                          WEEKS[week])


async def send_card(world, user, submission_id: int) -> None:
    """The bot sends ``user`` a card with the adopt button (what /review's card carries)."""
    user.mark()
    await world.bot.app.bot.send_message(
        user.chat_id, f"card {submission_id}",
        reply_markup=InlineKeyboardMarkup([[adopt_button(submission_id, "zh")]]))
    await user.wait_reply()


async def adopt(world, user, submission_id: int, level: str) -> list:
    """Press ✅ 采用 on a card, then the level (its button text starts with ``level``)."""
    await send_card(world, user, submission_id)
    await user.press("✅ 采用")
    (picker,) = await user.wait_reply()
    label = next(text for text in picker.button_texts() if text.startswith(level))
    await user.press(label, picker)
    return await user.wait_reply()
