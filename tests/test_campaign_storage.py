"""The calendar as stored: a campaign with the default rules round-trips into schedule.Rule."""

from __future__ import annotations

from datetime import date, datetime, time

from bot.kernel.schedule import deadlines, default_rules


async def test_default_calendar_round_trip_and_override(storage):
    campaign = await storage.campaigns.create(
        2023, "2023年安全生产月", "人人讲安全、个个会应急", date(2023, 6, 1),
        date(2023, 6, 30), "Asia/Shanghai", default_rules(2023), created_by=1)
    calendar = await storage.campaigns.calendar()
    assert calendar.campaign == campaign
    weekly = calendar.rule("weekly")
    assert weekly.weekday == 3 and weekly.due_time == time(10, 0)
    assert weekly.reminder_minutes == (60, 15)
    found = {d.period: d for d in deadlines(weekly, campaign.timezone)}
    assert found["2023-06-22"].moved == "holiday"
    await storage.campaigns.override_date(weekly.id, date(2023, 6, 22),
                                          datetime(2023, 6, 21, 16, 0), set_by=1)
    weekly = (await storage.campaigns.calendar()).rule("weekly")
    found = {d.period: d for d in deadlines(weekly, campaign.timezone)}
    assert found["2023-06-22"].due == datetime(2023, 6, 21, 16, 0,
                                               tzinfo=campaign.timezone)
    assert await storage.submissions.delivered_units(weekly.id, "2023-06-22") == {}


async def test_a_statistics_entry_counts_as_delivering_the_statistics_table(storage):
    campaign = await storage.campaigns.create(
        2026, "2026年安全生产月", "", date(2026, 6, 1), date(2026, 6, 30),
        "Asia/Shanghai", default_rules(2026), created_by=1)
    statistics = (await storage.campaigns.calendar()).rule("statistics")
    first = await storage.units.create("甲单位", None, None)
    second = await storage.units.create("乙单位", None, None)
    form = await storage.stats.current_form()
    submitted = datetime(2026, 7, 3, 9, 0, tzinfo=campaign.timezone)
    await storage.stats.submit(first.id, form.id, campaign.id, {}, "chat", submitted,
                               None, None, late_seconds=15 * 3600)
    await storage.stats.submit(first.id, form.id, campaign.id, {}, "xlsx", submitted,
                               None, None, late_seconds=20 * 3600)   # a resubmission
    delivered = await storage.submissions.delivered_units(statistics.id, "once")
    assert delivered == {first.id: 15 * 3600}      # the first entry's lateness counts
    assert second.id not in delivered
    by_period = await storage.submissions.delivered_by_period(statistics.id)
    assert by_period == {"once": {first.id: 15 * 3600}}
    plan = (await storage.campaigns.calendar()).rule("plan")
    assert await storage.submissions.delivered_units(plan.id, "once") == {}
