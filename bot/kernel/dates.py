"""The one date grammar: how people type dates and times to the bot.

Dates: ``2026-06-16``, ``2026/6/16``, ``2026.6.16``, ``2026年6月16日``, ``6月16日``,
``6-16``, ``6/16`` (the year given, or the campaign's). Date-times: a date and ``18:00``,
``18：00`` or ``18点00``. Weekday times: ``10:00``, ``周五 15:00``, ``星期五 15:00``,
``Fri 15:00``. Each parser returns None for anything else; callers answer with one line.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

_DATE = r"(?:(\d{4})\s*[-/.年]\s*)?(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
_TIME = r"(\d{1,2})\s*[:：点]\s*(\d{2})\s*分?"
DATE = re.compile(rf"^\s*{_DATE}\s*$")
LOCAL_DATETIME = re.compile(rf"^\s*{_DATE}\s*,?\s*{_TIME}\s*$")
WEEKDAY_TIME = re.compile(
    r"^\s*(?:(?:周|星期|礼拜)([一二三四五六日天])|(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?)?"
    rf"\s*{_TIME}\s*$", re.IGNORECASE)
CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def parse_date(text: str, year: int) -> date | None:
    """A typed date; ``year`` when none is given."""
    match = DATE.match(text)
    if not match:
        return None
    given_year, month, day = match.groups()
    try:
        return date(int(given_year or year), int(month), int(day))
    except ValueError:
        return None


def parse_local_datetime(text: str, year: int) -> datetime | None:
    """A typed date and time, as a naive local date-time; ``year`` when none is given."""
    match = LOCAL_DATETIME.match(text)
    if not match:
        return None
    given_year, month, day, hour, minute = match.groups()
    try:
        return datetime(int(given_year or year), int(month), int(day), int(hour), int(minute))
    except ValueError:
        return None


def parse_weekday_time(text: str) -> tuple[int | None, time] | None:
    """A typed time with an optional weekday -> (weekday, 0 = Monday, or None; time)."""
    match = WEEKDAY_TIME.match(text)
    if not match:
        return None
    chinese, english, hour, minute = match.groups()
    weekday = CN_WEEKDAYS[chinese] if chinese else \
        EN_WEEKDAYS[english[:3].lower()] if english else None
    try:
        return weekday, time(int(hour), int(minute))
    except ValueError:
        return None
