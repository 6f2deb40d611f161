"""Where a burst goes: the pure routing rules of bot.intake."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from telegram import PhotoSize

from bot.intake.routing import Ask, Incoming, Target, count, route, thumbnail_size
from bot.kernel.schedule import Rule, default_rules
from bot.storage.campaigns import Calendar, Campaign

pytestmark = pytest.mark.no_database      # opens no database: runs once

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def calendar() -> Calendar:
    campaign = Campaign(1, 2026, "2026", "", date(2026, 6, 1), date(2026, 6, 30), TZ)
    rules = tuple(Rule(id=number, **{name: value for name, value in rule.items()
                                     if name not in ("position", "prompt_time")},
                       prompt_time=rule.get("prompt_time"))
                  for number, rule in enumerate(default_rules(2026), start=1))
    return Calendar(campaign, rules)


def burst(kind: str, *moment: int) -> list[Incoming]:
    return [Incoming(kind, 1, datetime(*moment, tzinfo=TZ).isoformat(), text="x")]


def test_weekly_materials_before_thursday_ten_are_on_time(calendar):
    target = route(calendar, burst("photo", 2026, 6, 4, 9, 59), set(), set())
    assert isinstance(target, Target) and (target.key, target.period) == ("weekly", "2026-06-04")
    assert target.late_seconds(datetime(2026, 6, 4, 9, 59, tzinfo=TZ)) is None


def test_a_missed_week_is_filled_first_and_late(calendar):
    target = route(calendar, burst("text", 2026, 6, 5, 10, 0), set(), set())
    assert target.period == "2026-06-04"
    assert target.late_seconds(datetime(2026, 6, 5, 10, 0, tzinfo=TZ)) == 24 * 3600


def test_a_delivered_week_sends_later_material_to_the_next_week(calendar):
    target = route(calendar, burst("text", 2026, 6, 4, 10, 30), {"2026-06-04"}, set())
    assert target.period == "2026-06-11"


def test_a_document_while_the_plan_or_summary_is_due_asks(calendar):
    assert route(calendar, burst("document", 2026, 6, 1, 9, 0), set(), set()) == Ask(
        ("weekly", "plan", "summary", "event"))
    assert route(calendar, burst("document", 2026, 6, 25, 9, 0), {"2026-06-18"}, {"plan"}) \
        == Ask(("weekly", "plan", "summary", "event"))          # the summary is due July 2


def test_a_document_with_nothing_due_is_weekly_material(calendar):
    target = route(calendar, burst("document", 2026, 6, 10, 9, 0), {"2026-06-04"}, {"plan"})
    assert isinstance(target, Target) and target.period == "2026-06-11"


def test_after_the_last_week_closed_the_liaison_is_asked(calendar):
    assert isinstance(route(calendar, burst("photo", 2026, 7, 10, 9, 0), set(), set()), Ask)


def test_counts():
    items = burst("photo", 2026, 6, 4, 9) + burst("text", 2026, 6, 4, 9)
    assert count(items) == count(items[::-1])
    assert (count(items).photos, count(items).text_length) == (1, 2)


def sizes(*sides: tuple[int, int]) -> tuple[PhotoSize, ...]:
    return tuple(PhotoSize(f"id{n}", f"unique{n}", width, height)
                 for n, (width, height) in enumerate(sides))


def test_the_thumbnail_comes_from_the_smallest_scaled_copy_covering_320_px():
    assert thumbnail_size(sizes((90, 68), (320, 240), (800, 600), (1280, 960))).file_id == "id1"
    assert thumbnail_size(sizes((68, 90), (240, 320), (480, 640))).file_id == "id1"
    # no 320 px copy: the next one up, not the original
    assert thumbnail_size(sizes((90, 68), (800, 600), (1280, 960))).file_id == "id1"


def test_a_photo_with_no_scaled_copy_of_320_px_has_its_thumbnail_made_from_the_original():
    assert thumbnail_size(sizes((90, 60), (300, 200))) is None
    assert thumbnail_size(sizes((90, 68), (400, 300))) is None    # only the original covers it
    assert thumbnail_size(sizes((400, 300),)) is None
