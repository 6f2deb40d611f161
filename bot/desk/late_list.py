"""The late list for the committee meeting (/late) as a 公文 (``bot.office.gongwen``): per
deliverable, the units missing, late (most late first) and with nothing this period (and
why), then the 落款. Synchronous: the handler runs it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.desk.standings import Column
from bot.desk.workbooks import Heading
from bot.kernel.words import LATE, MISSING, NIL, Words
from bot.storage.models import Unit

RANK = {MISSING: 0, LATE: 1, NIL: 2}     # the order of a section: missing, late, nil
WIDTHS_MM = (14, 66, 34, 42)             # 序号 narrow, 单位 wide, 期次, 情况


@dataclass(frozen=True)
class Section:
    deliverable_key: str
    columns: Sequence[Column]           # its passed deadlines, in order


def entries(section: Section, units: Sequence[Unit]) -> list[tuple[Column, Unit]]:
    """Every (period, unit) not delivered on time, ordered by how late: the missing first
    (period by period), then the late from the latest, then the nil reports."""
    order = {unit.id: index for index, unit in enumerate(units)}
    found = [(column, unit) for column in section.columns for unit in units
             if column.state(unit) in RANK]
    periods = {id(column): index for index, column in enumerate(section.columns)}

    def how_late(pair: tuple[Column, Unit]) -> tuple[int, int, int, int]:
        column, unit = pair
        state = column.state(unit)
        late = column.late_seconds(unit) or 0 if state == LATE else 0
        return RANK[state], -late, periods[id(column)], order[unit.id]

    return sorted(found, key=how_late)


def write_late_list(path: Path, words: Words, heading: Heading, office: str,
                    units: Sequence[Unit], sections: Sequence[Section]) -> None:
    from bot.office.gongwen import OfficialDocument, chinese_number

    document = OfficialDocument()
    document.title(words.plain("desk.late_title"))
    document.subtitle(words.plain("desk.late_subtitle", campaign=heading.campaign,
                                  date=words.moment(heading.as_of)))
    document.paragraph(words.plain("desk.late_intro", campaign=heading.campaign,
                                   scope=heading.scope, date=words.moment(heading.as_of)))
    header = [words.plain(key) for key in ("desk.late_column_number", "desk.late_column_unit",
                                           "desk.late_column_period",
                                           "desk.late_column_state")]
    for number, section in enumerate(sections, start=1):
        document.heading(words.plain("desk.late_heading", number=chinese_number(number)
                                     if words.language == "zh" else number,
                                     deliverable=words.deliverable(section.deliverable_key)))
        found = entries(section, units)
        if not found:
            document.paragraph(words.plain("desk.late_none"))
            continue
        counts = {state: sum(1 for column, unit in found if column.state(unit) == state)
                  for state in RANK}
        document.paragraph(words.plain("desk.late_counts", late=counts[LATE],
                                       missing=counts[MISSING], nil=counts[NIL]))
        document.table(header, [
            [str(index), unit.name,
             words.period(column.deadline) or words.moment(column.deadline.due),
             column.text(words, unit)]
            for index, (column, unit) in enumerate(found, start=1)],
            WIDTHS_MM, centred=(0, 2))
    day = heading.as_of.astimezone(words.timezone).date()
    document.signature(office, words.plain("desk.late_signed", year=day.year, month=day.month,
                                           day=day.day))
    document.save(path)
