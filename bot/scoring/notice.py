"""The 通报 draft that /late sends with the late list: 表扬 (the top units by points, with
their adopted pieces) and 通报批评 (the units that missed a period, and those late more than
once, with the periods), in 公文 form, ready to edit.

:func:`notice_data` gathers it (the ledger settled first, the deliveries of every passed
deadline); :func:`write_notice` is a plain function run in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.desk.standings import Desk, tree_order
from bot.kernel.clock import from_iso
from bot.kernel.words import Words
from bot.scoring.rules import points_text
from bot.scoring.scores import ALL, Span, ranking
from bot.storage import Storage

TOP_UNITS = 5            # praised: at most this many, each with an adopted piece
REPEATEDLY_LATE = 2      # late this many times or more: named
WIDTHS_MM = (14, 50, 46, 46)


@dataclass(frozen=True)
class Praised:
    unit: str
    points: str
    pieces: tuple[tuple[str, tuple[str, ...]], ...]     # (target, level names)


@dataclass(frozen=True)
class Criticised:
    unit: str
    missing: tuple[str, ...]      # targets
    late: tuple[str, ...]


@dataclass(frozen=True)
class Notice:
    campaign: str
    scope: str
    office: str
    as_of: datetime
    praised: tuple[Praised, ...]
    criticised: tuple[Criticised, ...]


async def notice_data(storage: Storage, desk: Desk, words: Words, scope: str, office: str,
                      scope_unit_id: int | None, now: datetime) -> Notice:
    found = await ranking(storage, scope_unit_id, Span(ALL), now)
    keys = {rule.id: rule.key for rule in desk.calendar.rules}
    adoptions = {}
    for adoption in await storage.scoring.adoptions():
        adoptions.setdefault(adoption.unit_id, []).append(adoption)
    praised = []
    for score in found.scores:
        if len(praised) == TOP_UNITS or score.points <= 0:
            break
        pieces: dict[str, list[str]] = {}
        for adoption in adoptions.get(score.unit.id, []):
            level = found.rules.level(adoption.level)
            target = words.target_key(keys.get(adoption.deliverable_id, "other"),
                                      adoption.period)
            pieces.setdefault(target, []).append(
                level.name_in(words.language) if level else adoption.level)
        if pieces:
            praised.append(Praised(score.unit.name, points_text(score.points),
                                   tuple((target, tuple(levels))
                                         for target, levels in pieces.items())))
    missing: dict[int, list[str]] = {}
    late: dict[int, list[str]] = {}
    units = tree_order(desk.units)
    created = {unit.id: from_iso(unit.created_at) for unit in units}
    for deadline in desk.passed(now):
        done = await storage.delivered(deadline)
        for unit in units:
            if created[unit.id] > deadline.due:
                continue
            if unit.id not in done:
                missing.setdefault(unit.id, []).append(words.target(deadline))
            elif done[unit.id]:
                late.setdefault(unit.id, []).append(words.target(deadline))
    criticised = tuple(
        Criticised(unit.name, tuple(missing.get(unit.id, ())),
                   tuple(late[unit.id]) if len(late.get(unit.id, ())) >= REPEATEDLY_LATE else ())
        for unit in units
        if missing.get(unit.id) or len(late.get(unit.id, ())) >= REPEATEDLY_LATE)
    return Notice(desk.calendar.campaign.name, scope, office, now, tuple(praised), criticised)


def numbered(words: Words, number: int) -> str:
    """一, 二, … in Chinese; 1, 2, … otherwise."""
    from bot.office.gongwen import chinese_number

    return chinese_number(number) if words.language == "zh" else str(number)


def write_notice(path: Path, words: Words, notice: Notice) -> None:
    from bot.office.gongwen import OfficialDocument

    document = OfficialDocument()
    separator = words.plain("scoring.separator")
    day = notice.as_of.astimezone(words.timezone).date()
    document.title(words.plain("scoring.notice_title", campaign=notice.campaign))
    document.paragraph(words.plain("scoring.notice_to"), indent=False)
    document.paragraph(words.plain("scoring.notice_intro", campaign=notice.campaign,
                                   scope=notice.scope, date=words.moment(notice.as_of)))
    document.heading(words.plain("scoring.notice_praise_heading",
                                 number=numbered(words, 1)))
    if not notice.praised:
        document.paragraph(words.plain("scoring.notice_praise_none"))
    for number, praised in enumerate(notice.praised, start=1):
        pieces = "；".join(words.plain("scoring.notice_piece", target=target,
                                      levels=separator.join(levels))
                          for target, levels in praised.pieces)
        document.paragraph(words.plain("scoring.notice_praised", number=numbered(words, number),
                                       unit=praised.unit, points=praised.points,
                                       pieces=pieces))
    document.heading(words.plain("scoring.notice_criticism_heading",
                                 number=numbered(words, 2)))
    if not notice.criticised:
        document.paragraph(words.plain("scoring.notice_criticism_none"))
    else:
        document.paragraph(words.plain("scoring.notice_criticism_intro",
                                       count=len(notice.criticised),
                                       times=REPEATEDLY_LATE))
        document.table(
            [words.plain(key) for key in ("desk.late_column_number", "desk.late_column_unit",
                                          "scoring.notice_column_missing",
                                          "scoring.notice_column_late")],
            [[str(index), entry.unit, separator.join(entry.missing) or "—",
              separator.join(entry.late) or "—"]
             for index, entry in enumerate(notice.criticised, start=1)],
            WIDTHS_MM, centred=(0,))
    document.heading(words.plain("scoring.notice_next_heading", number=numbered(words, 3)))
    document.paragraph(words.plain("scoring.notice_next"))
    document.signature(notice.office, words.plain("desk.late_signed", year=day.year,
                                                  month=day.month, day=day.day))
    document.save(path)

