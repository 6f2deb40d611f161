"""The late list for the committee meeting (/late): per deliverable, the units late (by how
long) or missing, as a Word document. Synchronous: the handler runs it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.desk.standings import Standing
from bot.kernel.schedule import Deadline
from bot.kernel.words import Words


def write_late_list(path: Path, words: Words, campaign_name: str, as_of: datetime,
                    scope_line: str,
                    sections: Sequence[tuple[str, Sequence[tuple[Deadline, Standing]]]]) -> None:
    """Per deliverable, the units late (by how long) or missing, as a Word document."""
    from docx import Document

    document = Document()
    document.add_heading(words.plain("desk.late_title"), level=0)
    document.add_paragraph(words.plain("desk.late_campaign", campaign=campaign_name))
    document.add_paragraph(words.plain("desk.late_date", date=words.moment(as_of)))
    document.add_paragraph(scope_line)
    for deliverable_key, entries in sections:
        document.add_heading(words.plain("desk.late_heading",
                                         deliverable=words.deliverable(deliverable_key)), level=1)
        if not entries:
            document.add_paragraph(words.plain("desk.late_none"))
            continue
        table = document.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, key in zip(table.rows[0].cells, ("desk.late_column_number",
                                                    "desk.late_column_unit",
                                                    "desk.late_column_period",
                                                    "desk.late_column_state"), strict=True):
            cell.text = words.plain(key)
        for number, (deadline, standing) in enumerate(entries, start=1):
            cells = table.add_row().cells
            cells[0].text = str(number)
            cells[1].text = standing.unit.name
            cells[2].text = words.period(deadline) or words.moment(deadline.due)
            cells[3].text = words.state(standing.group, standing.late_seconds)
    document.save(path)
