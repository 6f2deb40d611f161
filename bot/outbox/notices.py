"""What scheduled messages say: prompts, reminders, overdue notices, the announcement and the
coordinators' digest, in a recipient's language.

Pure functions of the vocabulary (:class:`Words`, in the recipient's language and the
campaign's time zone) and the calendar; used by the jobs when they write the outbox, and by
/mystatus for its deliverable lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.kernel.schedule import MONTHLY, Deadline, Notice, Rule
from bot.kernel.text import split_message
from bot.kernel.words import LATE, MISSING, ON_TIME, RETURNED, Words
from bot.ptb.buttons import SubmitNil, SubmitStart
from bot.storage.audience import UnitContact
from bot.texts import Raw


def heading(words: Words, rule: Rule, deadline: Deadline) -> str:
    """The deliverable, with its period where its due time does not already say which one:
    '月度典型案例曝光（2026年6月）', but '每周活动材料' (the due date names the week)."""
    return words.target(deadline) if rule.kind == MONTHLY else words.deliverable(rule.key)


def start_buttons(words: Words, notice: Notice, nil: bool = True
                  ) -> list[list[tuple[str, str]]]:
    """The button to start sending (and "nothing this time") for a period; handled by intake."""
    row = [SubmitStart(notice.key, notice.period).button(words.html("schedule.button_start"))]
    if nil:
        row.append(SubmitNil(notice.key, notice.period).button(words.html("schedule.button_nil")))
    return [row]


def liaison_notice(words: Words, rule: Rule, notice: Notice) -> str:
    """A prompt, reminder or overdue notice for one period."""
    assert notice.deadline is not None
    params: dict[str, object] = {"deliverable": heading(words, rule, notice.deadline),
                                 "due": words.due(notice.deadline)}
    if notice.kind == "prompt":
        catalog = words.texts.catalogs.get(words.language) or \
            words.texts.catalogs[words.texts.default]
        params["what"] = catalog.get(f"schedule.what_{rule.key}", "")
        return words.html("schedule.prompt", **params).replace("\n\n", "\n")
    if notice.kind == "overdue":
        return words.html("schedule.overdue", day=notice.offset, **params)
    return words.html("schedule.remind", **params)


def announcement(words: Words, campaign_name: str, theme: str,
                 once: Sequence[tuple[Rule, Deadline]], weekly: Sequence[Rule]) -> str:
    lines = [words.html("schedule.announce_title", campaign=campaign_name, theme=theme or "-")]
    for rule, deadline in once:
        lines.append(words.html("schedule.announce_line", deliverable=words.deliverable(rule.key),
                                due=words.due(deadline)))
    for rule in weekly:
        prompt = rule.prompt_time.strftime("%H:%M") if rule.prompt_time else "08:00"
        lines.append(words.html("schedule.announce_weekly",
                                deliverable=words.deliverable(rule.key),
                                weekday=words.weekday(rule.weekday),
                                time=rule.due_time.strftime("%H:%M"), prompt=prompt))
    return "\n".join(lines)


def digest(words: Words, rule: Rule, deadline: Deadline, units: Sequence[UnitContact],
           delivered: Mapping[int, int | None], returned: frozenset[int] = frozenset()
           ) -> list[str]:
    """The coordinator's digest at a deadline, split into messages that fit Telegram
    (``returned``: units returned for revision and not back, marked among the missing)."""
    late = [unit for unit in units if delivered.get(unit.unit_id)]
    on_time = [unit for unit in units if unit.unit_id in delivered
               and not delivered[unit.unit_id]]
    missing = [unit for unit in units if unit.unit_id not in delivered]
    unreachable = [unit for unit in units if unit.person_id is not None and not unit.reachable]
    t = words.html
    lines = [t("schedule.digest_title", deliverable=heading(words, rule, deadline),
               due=words.due(deadline)),
             t("schedule.digest_group", group=words.group(ON_TIME), count=len(on_time)),
             t("schedule.digest_group", group=words.group(LATE), count=len(late))]
    lines += [t("schedule.digest_late_line", unit=unit.unit_name,
                state=words.state(LATE, delivered[unit.unit_id])) for unit in late]
    lines.append(t("schedule.digest_group", group=words.group(MISSING), count=len(missing)))
    for unit in missing:
        if unit.person_id is None:
            line = t("schedule.digest_no_liaison", unit=unit.unit_name)
        else:
            line = t("schedule.digest_missing_line", unit=unit.unit_name,
                     name=unit.liaison_name, mobile=unit.mobile)
        if unit.unit_id in returned:
            line = t("review.desk_returned", line=Raw(line), state=words.state(RETURNED))
        lines.append(line)
    if unreachable:
        lines.append(t("schedule.digest_unreachable", count=len(unreachable)))
        lines += [t("schedule.digest_unreachable_line", unit=unit.unit_name,
                    name=unit.liaison_name, mobile=unit.mobile) for unit in unreachable]
    return split_message(lines, t("words.continued"))
