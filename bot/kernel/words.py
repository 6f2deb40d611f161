"""The vocabulary: one rendering for each thing a user reads in more than one place.

A receipt, a prompt, a digest, the desk, a file and an export say the same fact the same
way because they all ask :class:`Words`: how long (:meth:`Words.duration`), which
deliverable and period (:meth:`Words.deliverable`, :meth:`Words.period`, :meth:`Words.target`),
when (:meth:`Words.moment`, :meth:`Words.due`) and in what state (:meth:`Words.state`).
The texts are ``words.*`` in the catalogs. Pure: a catalog, a language and a time zone.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.kernel.schedule import Deadline
from bot.texts import Texts

ON_TIME, LATE, NIL, MISSING, NOT_DUE, WITHDRAWN, RETURNED = (
    "on_time", "late", "nil", "missing", "not_due", "withdrawn", "returned")
# RETURNED: returned for revision (bot/review/) and not yet resubmitted: it does not deliver
STATES = (ON_TIME, LATE, NIL, MISSING, NOT_DUE, WITHDRAWN, RETURNED)
DELIVERABLES = ("registration", "plan", "weekly", "monthly_case", "summary", "statistics",
                "event")


def duration_parts(seconds: int) -> tuple[int, int, int]:
    """(days, hours, minutes), minutes rounded up: one second late is a minute late."""
    minutes = max(1, -(-seconds // 60))
    return minutes // (24 * 60), minutes // 60 % 24, minutes % 60


class Words:
    """The vocabulary in one language and time zone. :meth:`html` escapes parameters (for
    messages); :meth:`plain` does not (for files). Every other method returns plain text."""

    def __init__(self, texts: Texts, language: str, timezone: ZoneInfo) -> None:
        self.texts = texts
        self.language = language
        self.timezone = timezone

    def html(self, key: str, **params: object) -> str:
        return self.texts.get(self.language, key, **params)

    def plain(self, key: str, **params: object) -> str:
        return self.texts.get(self.language, key).format(**params)

    # -- what

    def deliverable(self, key: str) -> str:
        return self.plain(f"words.deliverable_{key if key in DELIVERABLES else 'other'}")

    def period(self, deadline: Deadline) -> str:
        """'6月4日一期', '2026年6月', or '' for a one-time deliverable."""
        return self.period_key(deadline.period)

    def period_key(self, period: str) -> str:
        """A stored period key read back: a week, a month, an event's number, or ''."""
        try:
            if len(period) == 10:
                return self.plain("words.period_week", date=self.date(date.fromisoformat(period)))
            if len(period) == 7 and period[4] == "-":
                return self.plain("words.period_month", year=int(period[:4]),
                                  month=int(period[5:]))
        except ValueError:
            return ""
        if period.startswith("event-"):
            return self.plain("words.period_event", number=period.removeprefix("event-"))
        return ""

    def target(self, deadline: Deadline) -> str:
        return self.target_key(deadline.key, deadline.period)

    def target_key(self, deliverable_key: str, period: str) -> str:
        """'每周活动材料（6月4日一期）', or the deliverable alone when the period is once."""
        label = self.period_key(period)
        deliverable = self.deliverable(deliverable_key)
        return self.plain("words.target", deliverable=deliverable, period=label) if label \
            else deliverable

    # -- when

    def date(self, day: date) -> str:
        return day.strftime(self.plain("words.date_format"))

    def moment(self, at: datetime) -> str:
        return at.astimezone(self.timezone).strftime(self.plain("words.datetime_format"))

    def weekday(self, weekday: int) -> str:
        return self.plain(f"words.weekday_{weekday}")

    def due_moment(self, at: datetime) -> str:
        """'6月4日（周四）10:00': a due time, with its weekday."""
        local = at.astimezone(self.timezone)
        return self.plain("words.due_format", month=local.month, day=local.day,
                          weekday=self.weekday(local.weekday()), time=local.strftime("%H:%M"))

    def moved(self, deadline: Deadline) -> str:
        """' (moved for a public holiday, was 6/22)', or '' where the rule puts it."""
        if deadline.moved is None:
            return ""
        return self.plain(f"words.moved_{deadline.moved}", month=deadline.nominal.month,
                          day=deadline.nominal.day)

    def due(self, deadline: Deadline) -> str:
        return self.due_moment(deadline.due) + self.moved(deadline)

    # -- how long, and in what state

    def duration(self, seconds: int) -> str:
        """'1 天 15 小时', '1 小时 30 分钟', '20 分钟': the two largest parts, minutes
        rounded up."""
        days, hours, minutes = duration_parts(seconds)
        if days:
            parts = [self.plain("words.days", n=days)]
            if hours:
                parts.append(self.plain("words.hours", n=hours))
        elif hours:
            parts = [self.plain("words.hours", n=hours)]
            if minutes:
                parts.append(self.plain("words.minutes", n=minutes))
        else:
            parts = [self.plain("words.minutes", n=minutes)]
        return " ".join(parts)

    def group(self, state: str) -> str:
        """The bare name of a state, as a heading over the units in it: '迟交', '未交'."""
        return self.plain(f"words.group_{state}")

    def state(self, state: str, late_seconds: int | None = None,
              nil_reason: str | None = None) -> str:
        """On time, late by how long, nothing this period (with its reason; late too when it
        was), missing, not yet due, withdrawn, returned for revision."""
        if state == LATE and late_seconds:
            return self.plain("words.state_late", duration=self.duration(late_seconds))
        if state == LATE:
            return self.plain("words.state_on_time")
        if state == NIL and late_seconds:
            return self.plain("words.state_late_and", late=self.state(LATE, late_seconds),
                              then=self.state(NIL, None, nil_reason))
        if state == NIL and nil_reason:
            return self.plain("words.state_nil_reason", reason=nil_reason)
        return self.plain(f"words.state_{state}")
