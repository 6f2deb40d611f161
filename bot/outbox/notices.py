"""What scheduled messages say: rendering notices in a recipient's language.

Pure functions of the catalogs (:class:`Texts`), a language and the calendar; used by the
jobs (prompts, reminders, digests) and by the handlers that show the calendar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.kernel.schedule import MONTHLY, Deadline, Notice, Rule
from bot.storage.audience import UnitContact
from bot.texts import Raw, Texts

MAX_MESSAGE = 3900   # Telegram allows 4096; keep room for the "continued" line


def deliverable_name(texts: Texts, language: str, key: str) -> str:
    catalog = texts.catalogs.get(language) or texts.catalogs[texts.default]
    return catalog.get(f"schedule.deliverable_{key}", key)


def format_due(texts: Texts, language: str, moment: datetime) -> str:
    return texts.get(language, "schedule.due_format", month=moment.month, day=moment.day,
                     weekday=texts.get(language, f"schedule.weekday_{moment.weekday()}"),
                     time=moment.strftime("%H:%M"))


def moved_note(texts: Texts, language: str, deadline: Deadline) -> str:
    """' (moved for a public holiday, was 6/22)' or '' when the deadline is where the rule
    puts it."""
    if deadline.moved is None:
        return ""
    return texts.get(language, f"schedule.moved_{deadline.moved}", month=deadline.nominal.month,
                     day=deadline.nominal.day)


def period_label(texts: Texts, language: str, rule: Rule, deadline: Deadline) -> str:
    if rule.kind == MONTHLY:
        label = texts.get(language, "schedule.period_month", year=deadline.nominal.year,
                          month=deadline.nominal.month)
        return f" ({label})" if language == "en" else f"（{label}）"
    return ""


def due_text(texts: Texts, language: str, deadline: Deadline) -> str:
    return format_due(texts, language, deadline.due) + moved_note(texts, language, deadline)


def start_buttons(texts: Texts, language: str, notice: Notice,
                  nil: bool = True) -> list[list[tuple[str, str]]]:
    """The button to start sending (and "nothing this time") for a period; handled by the
    submissions area (callback data ``submit:start|nil:<deliverable key>:<period>``)."""
    row = [(texts.get(language, "schedule.button_start"),
            f"submit:start:{notice.key}:{notice.period}")]
    if nil:
        row.append((texts.get(language, "schedule.button_nil"),
                    f"submit:nil:{notice.key}:{notice.period}"))
    return [row]


def liaison_notice(texts: Texts, language: str, rule: Rule, notice: Notice) -> str:
    """A prompt, reminder or overdue notice for one period."""
    assert notice.deadline is not None
    params: dict[str, object] = {
        "deliverable": deliverable_name(texts, language, rule.key),
        "period": Raw(period_label(texts, language, rule, notice.deadline)),
        "due": due_text(texts, language, notice.deadline),
    }
    if notice.kind == "prompt":
        catalog = texts.catalogs.get(language) or texts.catalogs[texts.default]
        params["what"] = catalog.get(f"schedule.what_{rule.key}", "")
        return texts.get(language, "schedule.prompt", **params).replace("\n\n", "\n")
    if notice.kind == "overdue":
        return texts.get(language, "schedule.overdue", day=notice.offset, **params)
    return texts.get(language, "schedule.remind", **params)


def announcement(texts: Texts, language: str, campaign_name: str, theme: str,
                 once: Sequence[tuple[Rule, Deadline]], weekly: Sequence[Rule]) -> str:
    lines = [texts.get(language, "schedule.announce_title", campaign=campaign_name,
                       theme=theme or "-")]
    for rule, deadline in once:
        lines.append(texts.get(language, "schedule.announce_line",
                               deliverable=deliverable_name(texts, language, rule.key),
                               due=due_text(texts, language, deadline)))
    for rule in weekly:
        prompt = rule.prompt_time.strftime("%H:%M") if rule.prompt_time else "08:00"
        lines.append(texts.get(language, "schedule.announce_weekly",
                               deliverable=deliverable_name(texts, language, rule.key),
                               weekday=texts.get(language, f"schedule.weekday_{rule.weekday}"),
                               time=rule.due_time.strftime("%H:%M"), prompt=prompt))
    return "\n".join(lines)


def duration(texts: Texts, language: str, seconds: int) -> str:
    minutes = max(seconds // 60, 1)
    if minutes < 60:
        return texts.get(language, "schedule.duration_minutes", minutes=minutes)
    if minutes < 24 * 60:
        return texts.get(language, "schedule.duration_hours", hours=minutes // 60,
                         minutes=minutes % 60)
    return texts.get(language, "schedule.duration_days", days=minutes // 1440,
                     hours=minutes % 1440 // 60)


def digest(texts: Texts, language: str, rule: Rule, deadline: Deadline,
           units: Sequence[UnitContact], delivered: Mapping[int, int | None]) -> list[str]:
    """The coordinator's digest at a deadline, split into messages that fit Telegram."""
    on_time = [unit for unit in units if unit.unit_id in delivered
               and delivered[unit.unit_id] is None]
    late = [unit for unit in units if delivered.get(unit.unit_id) is not None]
    missing = [unit for unit in units if unit.unit_id not in delivered]
    unreachable = [unit for unit in units if unit.person_id is not None and not unit.reachable]
    t = texts.get
    lines = [t(language, "schedule.digest_title",
               deliverable=deliverable_name(texts, language, rule.key),
               period=Raw(period_label(texts, language, rule, deadline)),
               due=due_text(texts, language, deadline)),
             t(language, "schedule.digest_on_time", count=len(on_time)),
             t(language, "schedule.digest_late", count=len(late))]
    lines += [t(language, "schedule.digest_late_line", unit=unit.unit_name,
                late=duration(texts, language, delivered[unit.unit_id] or 0)) for unit in late]
    lines.append(t(language, "schedule.digest_missing", count=len(missing)))
    for unit in missing:
        if unit.person_id is None:
            lines.append(t(language, "schedule.digest_no_liaison", unit=unit.unit_name))
        else:
            lines.append(t(language, "schedule.digest_missing_line", unit=unit.unit_name,
                           name=unit.liaison_name, mobile=unit.mobile))
    if unreachable:
        lines.append(t(language, "schedule.digest_unreachable", count=len(unreachable)))
        lines += [t(language, "schedule.digest_unreachable_line", unit=unit.unit_name,
                    name=unit.liaison_name, mobile=unit.mobile) for unit in unreachable]
    return split_lines(lines, t(language, "schedule.digest_continued"))


def split_lines(lines: Sequence[str], continued: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Join lines into messages of at most ``limit`` characters, never splitting a line."""
    parts: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if parts[-1] and size + len(line) + 1 > limit:
            parts.append([continued])
            size = len(continued)
        parts[-1].append(line)
        size += len(line) + 1
    return ["\n".join(part) for part in parts]
