"""The campaign calendar as rules and as text, and a typed due time read as a change.

Pure: rules from the default calendar and a draft's changes, the lines /campaign and
/deadline show (each holiday shift and single-date change under its deliverable), and what
a coordinator typed for a new due time. Everything a user reads comes from :class:`Words`,
whose time zone is the campaign's.
"""

from __future__ import annotations

from datetime import date, time

from bot.kernel.dates import parse_local_datetime, parse_weekday_time
from bot.kernel.schedule import MONTHLY, ONCE, WEEKLY, Rule, deadlines, default_rules
from bot.kernel.words import Words


def draft_rules(year: int, changes: dict[str, dict[str, object]]) -> list[dict]:
    """The default calendar with the changes typed so far (stored as strings in the draft)."""
    rules = default_rules(year)
    for rule in rules:
        change = changes.get(rule["key"], {})
        if "due_date" in change:
            rule["due_date"] = date.fromisoformat(str(change["due_date"]))
        if "due_time" in change:
            rule["due_time"] = time.fromisoformat(str(change["due_time"]))
        if change.get("weekday") is not None:
            rule["weekday"] = int(change["weekday"])
    return rules


def as_rule(number: int, spec: dict) -> Rule:
    """A draft's rule spec as the :class:`Rule` the schedule functions take."""
    return Rule(id=number, key=spec["key"], kind=spec["kind"],
                due_time=spec.get("due_time") or time(18, 0), due_date=spec.get("due_date"),
                weekday=spec.get("weekday"), month_day=spec.get("month_day"),
                first_date=spec.get("first_date"), last_date=spec.get("last_date"),
                prompt_time=spec.get("prompt_time"),
                reminder_minutes=tuple(spec.get("reminder_minutes", ())))


def rule_lines(words: Words, rule: Rule) -> list[str]:
    """One deliverable of the calendar, with each holiday shift and single-date change."""
    name = words.deliverable(rule.key)
    found = deadlines(rule, words.timezone)
    if rule.kind == ONCE:
        return [words.html("campaign.calendar_once", deliverable=name,
                           due=words.due(found[0]))] if found else []
    if rule.kind == WEEKLY:
        lines = [words.html(
            "campaign.calendar_weekly", deliverable=name, first=words.date(rule.first_date),
            last=words.date(rule.last_date), weekday=words.weekday(rule.weekday),
            time=rule.due_time.strftime("%H:%M"),
            prompt=(rule.prompt_time or time(8, 0)).strftime("%H:%M"))]
    elif rule.kind == MONTHLY:
        lines = [words.html("campaign.calendar_monthly", deliverable=name,
                            first=words.date(rule.first_date), last=words.date(rule.last_date),
                            time=rule.due_time.strftime("%H:%M"))]
    else:
        return []
    for deadline in found:
        if deadline.moved:
            key = "campaign.calendar_shift" if deadline.moved == "holiday" \
                else "campaign.calendar_override"
            lines.append(words.html(key, nominal=words.date(deadline.nominal),
                                    due=words.due_moment(deadline.due)))
    return lines


def calendar_lines(words: Words, rules: list[Rule]) -> list[str]:
    lines: list[str] = []
    for rule in rules:
        lines += rule_lines(words, rule)
    return lines


def ask_due_key(kind: str) -> str:
    """The question for a new due time of a rule of this kind."""
    return {ONCE: "campaign.ask_once", WEEKLY: "campaign.ask_weekly"}.get(
        kind, "campaign.ask_monthly")


def parse_change(kind: str, text: str, year: int) -> tuple[dict | None, str | None]:
    """A typed due time for a rule of this kind -> (changes, or the error text key).

    A one-time deliverable takes a date and time within the campaign's year; a weekly one a
    time with an optional weekday; a monthly one a time alone. The changes are strings, as
    the /campaign draft keeps them in the user's (JSON) data."""
    if kind == ONCE:
        moment = parse_local_datetime(text, year)
        if moment is None:
            return None, "campaign.bad_datetime"
        if moment.year != year:
            return None, "campaign.out_of_year"
        return {"due_date": moment.date().isoformat(),
                "due_time": moment.strftime("%H:%M")}, None
    parsed = parse_weekday_time(text)
    if parsed is None or (kind == MONTHLY and parsed[0] is not None):
        return None, "campaign.bad_time"
    weekday, moment = parsed
    change: dict[str, object] = {"due_time": moment.strftime("%H:%M")}
    if weekday is not None:
        change["weekday"] = weekday
    return change, None
