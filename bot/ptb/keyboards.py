"""Pure builders of reply and inline keyboards. Callback data is ``area:action[:arg]``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup


def inline(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def share_contact(label: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label, request_contact=True)]],
        resize_keyboard=True, one_time_keyboard=True,
    )


def pager(data: Callable[[int], str], page: int, pages: int, previous: str, following: str
          ) -> list[tuple[str, str]]:
    """◀ / ▶ buttons for a paged list (``data(n)``: the callback data of page n); empty when
    everything fits on one page."""
    row: list[tuple[str, str]] = []
    if page > 0:
        row.append((previous, data(page - 1)))
    if page + 1 < pages:
        row.append((following, data(page + 1)))
    return row


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"
