"""The month at a glance (/status's 📊): a PNG of units × periods, each cell coloured by the
unit's state in that period — on time, late, nothing this period, missing, not yet due —
with the deliverables and periods along the top, the unit names down the side (in CJK
where the machine has a font; numbered otherwise) and a legend with the counts. 200 units
fit on one picture. Synchronous: the handler runs it in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from bot.desk import drawing
from bot.kernel.words import LATE, MISSING, NIL, NOT_DUE, ON_TIME

COLOURS = {ON_TIME: (67, 160, 71), LATE: (251, 140, 0), NIL: (66, 133, 244),
           MISSING: (229, 57, 53), NOT_DUE: (224, 224, 224)}
STATES = (ON_TIME, LATE, NIL, MISSING, NOT_DUE)
CELL_WIDTH = 44
MARGIN = 16
NAME_WIDTH = 300            # at most; shorter when every name is
GROUP_HEIGHT = 54           # a deliverable's name, up to three lines
PERIOD_HEIGHT = 20
LEGEND_HEIGHT = 40


@dataclass(frozen=True)
class Group:
    """A deliverable and its periods' short labels (6/4, 6/11 …; 6月; its due date)."""
    label: str
    periods: Sequence[str]


def row_height(units: int) -> int:
    """Tall enough to read a name; 14 px a row from 60 units on (200 units: 2,800 px)."""
    return 22 if units <= 60 else 14


def heatmap(title: str, units: Sequence[str], groups: Sequence[Group],
            states: Sequence[Sequence[str]], legend: dict[str, str]) -> bytes:
    """The PNG: ``states[u][p]`` is unit ``u``'s state in period ``p`` (the groups' periods
    one after the other); ``legend`` names each state."""
    row = row_height(len(units))
    face, cjk = drawing.font(row - 4 if row < 20 else 14)
    label_face, _ = drawing.font(12)
    title_face, _ = drawing.font(18)
    names = [f"{number} {name}" if cjk else str(number)
             for number, name in enumerate(units, start=1)]
    widest = max((face.getlength(name) for name in names), default=40)
    name_width = int(min(NAME_WIDTH, widest + 12))
    periods = sum(len(group.periods) for group in groups)
    top = MARGIN + 30 + GROUP_HEIGHT + PERIOD_HEIGHT
    width = MARGIN * 2 + name_width + periods * CELL_WIDTH
    height = top + len(units) * row + LEGEND_HEIGHT + MARGIN
    width = max(width, 640)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    if cjk:
        draw.text((MARGIN, MARGIN), title, fill="black", font=title_face)
    left = MARGIN + name_width
    x = left
    for group in groups:
        span = len(group.periods) * CELL_WIDTH
        lines = drawing.wrap(group.label, label_face, span - 4, 3) if cjk else []
        for number, line in enumerate(lines):
            draw.text((x + 2, MARGIN + 30 + number * 16), line, fill="black", font=label_face)
        for period in group.periods:
            draw.text((x + 3, MARGIN + 30 + GROUP_HEIGHT), period, fill=(70, 70, 70),
                      font=label_face)
            x += CELL_WIDTH
        draw.line((x - 1, MARGIN + 30, x - 1, top + len(units) * row), fill=(150, 150, 150))
    counts = dict.fromkeys(STATES, 0)
    for index, (name, unit_states) in enumerate(zip(names, states, strict=True)):
        y = top + index * row
        if index % 2:
            draw.rectangle((MARGIN, y, left - 1, y + row - 1), fill=(246, 246, 246))
        shown = drawing.wrap(name, face, name_width - 8, 1)
        draw.text((MARGIN + 2, y + 1), shown[0] if shown else "", fill="black", font=face)
        for column, state in enumerate(unit_states):
            counts[state] += 1
            cell_x = left + column * CELL_WIDTH
            draw.rectangle((cell_x + 1, y + 1, cell_x + CELL_WIDTH - 2, y + row - 2),
                           fill=COLOURS[state])
    y = top + len(units) * row + 12
    x = MARGIN
    for state in STATES:
        draw.rectangle((x, y, x + 16, y + 16), fill=COLOURS[state])
        text = f"{legend[state] if cjk else state} {counts[state]}"
        draw.text((x + 22, y), text, fill="black", font=label_face)
        x += 30 + int(label_face.getlength(text)) + 16
    geometry = PngInfo()      # where the cells are, for a program reading the picture
    for key, value in (("cells-left", left), ("cells-top", top), ("cell-width", CELL_WIDTH),
                       ("row-height", row)):
        geometry.add_text(key, str(value))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, pnginfo=geometry)
    return buffer.getvalue()
