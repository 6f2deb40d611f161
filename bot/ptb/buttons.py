"""Callback data, declared once: one frozen dataclass per prefix, in the spirit of aiogram's
``CallbackData`` factories.

A declaration's fields are the parts of its data, in order: ``DeskView("status", 3, None,
0).pack()`` is ``"desk:status:3:-:0"`` and ``DeskView.parse("desk:status:3:-:0")`` gives the
object back (or None for anything malformed: a stale or forged button). ``Declaration.pattern``
is what a ``CallbackQueryHandler`` matches on. No handler splits callback strings by hand.

Field types: ``str``, ``int``, ``bool``, ``Literal["a", "b"]`` (only those words parse) and
their ``| None`` forms (None travels as ``-``). Only the last field may contain ``:``. A
declaration whose first field is a ``Literal`` matches only those words in its pattern, so
``stats:<action>:<figure>`` and ``stats:item:<n>`` never take each other's presses.
Telegram allows 1–64 bytes of callback data; ``pack`` refuses more, so a button that could
not be sent is never built.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import ClassVar, Literal, Self

MAX_BYTES = 64
NONE = "-"


class ButtonData:
    """Base of every declaration; subclasses are frozen dataclasses with a ``PREFIX``."""

    PREFIX: ClassVar[str]

    def pack(self) -> str:
        fields = _fields(type(self))
        parts = [self.PREFIX]
        for index, (name, kind, optional, words) in enumerate(fields):
            value = getattr(self, name)
            if value is None:
                if not optional:
                    raise ValueError(f"{type(self).__name__}.{name} may not be None")
                parts.append(NONE)
                continue
            text = ("1" if value else "0") if kind is bool else str(value)
            if index < len(fields) - 1 and ":" in text:
                raise ValueError(f"{type(self).__name__}.{name} may not contain ':'")
            if text == NONE and kind is str:
                raise ValueError(f"{type(self).__name__}.{name} may not be {NONE!r}")
            if words and text not in words:
                raise ValueError(f"{type(self).__name__}.{name} must be one of {words}")
            parts.append(text)
        data = ":".join(parts)
        if not 1 <= len(data.encode("utf-8")) <= MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """The declaration ``data`` packs, or None when it is not one (wrong prefix, wrong
        number of parts, a part of the wrong type)."""
        if not isinstance(data, str):
            return None
        fields = _fields(cls)
        if not fields:
            return cls() if data == cls.PREFIX else None
        head = cls.PREFIX + ":"
        if not data.startswith(head):
            return None
        parts = data[len(head):].split(":", len(fields) - 1)
        if len(parts) != len(fields):
            return None
        values = {}
        for (name, kind, optional, words), part in zip(fields, parts, strict=True):
            if part == NONE and optional:
                values[name] = None
            elif words:
                if part not in words:
                    return None
                values[name] = part
            elif kind is int:
                if not re.fullmatch(r"-?\d{1,18}", part):
                    return None
                values[name] = int(part)
            elif kind is bool:
                if part not in ("0", "1"):
                    return None
                values[name] = part == "1"
            else:
                values[name] = part
        return cls(**values)

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """For ``CallbackQueryHandler(pattern=…)``: this prefix, whatever follows."""
        fields = _fields(cls)
        if not fields:
            return re.compile(rf"^{re.escape(cls.PREFIX)}$")
        words = fields[0][3]
        if words:
            return re.compile(rf"^{re.escape(cls.PREFIX)}:({'|'.join(map(re.escape, words))})"
                              rf"{':' if len(fields) > 1 else '$'}")
        return re.compile(rf"^{re.escape(cls.PREFIX)}:")

    def button(self, label: str) -> tuple[str, str]:
        """(label, data) as ``bot.ptb.keyboards.inline`` takes it."""
        return label, self.pack()


@cache
def _fields(cls: type) -> tuple[tuple[str, type, bool, tuple[str, ...]], ...]:
    """(name, type, may be None, the words a Literal allows) per field, in order."""
    hints = typing.get_type_hints(cls)
    found = []
    for field in dataclasses.fields(cls):
        kind = hints[field.name]
        optional = False
        if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
            members = [arg for arg in typing.get_args(kind) if arg is not type(None)]
            optional = len(members) < len(typing.get_args(kind))
            kind = members[0]
        words: tuple[str, ...] = ()
        if typing.get_origin(kind) is Literal:
            words = tuple(str(word) for word in typing.get_args(kind))
            kind = str
        if kind not in (str, int, bool):
            raise TypeError(f"{cls.__name__}.{field.name}: unsupported type {kind!r}")
        found.append((field.name, kind, optional, words))
    return tuple(found)


def declaration(prefix: str):
    """Class decorator: a frozen dataclass with this prefix."""
    def make(cls: type) -> type:
        cls.PREFIX = prefix
        return dataclass(frozen=True)(cls)
    return make


# ------------------------------------------------------------------ everyone

@declaration("lang")
class Language(ButtonData):
    language: str


# ------------------------------------------------------------------ people

@declaration("reg:gender")
class RegistrationGender(ButtonData):
    value: Literal["male", "female"]


@declaration("reg:skip")
class RegistrationSkip(ButtonData):
    field: str


@declaration("reg:confirm")
class RegistrationConfirm(ButtonData):
    pass


@declaration("reg:edit")
class RegistrationEdit(ButtonData):
    pass


@declaration("reg:field")
class RegistrationField(ButtonData):
    field: str


@declaration("reg:back")
class RegistrationBack(ButtonData):
    pass


@declaration("liaison")
class LiaisonDecision(ButtonData):
    action: Literal["approve", "reject"]
    liaison_id: int


@declaration("coord:revoke")
class CoordinatorRevoke(ButtonData):
    code: str


@declaration("units:page")
class UnitsPage(ButtonData):
    page: int


# ------------------------------------------------------------------ campaign

@declaration("campaign:name:default")
class CampaignDefaultName(ButtonData):
    pass


@declaration("campaign:theme:skip")
class CampaignSkipTheme(ButtonData):
    pass


@declaration("campaign:accept")
class CampaignAccept(ButtonData):
    pass


@declaration("campaign:change")
class CampaignChange(ButtonData):
    pass


@declaration("campaign:pick")
class CampaignPick(ButtonData):
    key: str


@declaration("campaign:back")
class CampaignBack(ButtonData):
    pass


@declaration("deadline:pick")
class DeadlinePick(ButtonData):
    deliverable_id: int


@declaration("deadline:change")
class DeadlineChange(ButtonData):
    deliverable_id: int


@declaration("deadline:one")
class DeadlineOne(ButtonData):
    deliverable_id: int


@declaration("deadline:period")
class DeadlinePeriod(ButtonData):
    deliverable_id: int
    period: str


@declaration("deadline:restore")
class DeadlineRestore(ButtonData):
    """Remove the override of one period: its deadline is the rule's again."""
    deliverable_id: int
    period: str


@declaration("deadline:back")
class DeadlineBack(ButtonData):
    pass


# ------------------------------------------------------------------ intake

@declaration("submit:start")
class SubmitStart(ButtonData):
    """A prompt's "start sending" (``bot.intake.sending``): the deliverable and period."""
    key: str
    period: str


@declaration("submit:nil")
class SubmitNil(ButtonData):
    """A prompt's "nothing this period": a nil report for the deliverable and period."""
    key: str
    period: str


@declaration("submit:noreason")
class SubmitNoReason(ButtonData):
    """The nil report goes without a reason."""


@declaration("intake:to")
class IntakeChoice(ButtonData):
    """Which deliverable a waiting burst is for (``token``: its key in user_data's pending)."""
    key: str
    token: str


@declaration("sub:withdraw")
class Withdraw(ButtonData):
    """/mysubmissions: withdraw this item."""
    item_id: int


@declaration("event:done")
class EventDone(ButtonData):
    """/event: the attachments are complete; submit the report."""


# ------------------------------------------------------------------ statistics

@declaration("stats")
class StatsAnswer(ButtonData):
    action: Literal["zero", "yes", "no", "back", "skip"]
    figure: str


@declaration("stats:review")
class StatsToReview(ButtonData):
    pass


@declaration("stats:submit")
class StatsSubmit(ButtonData):
    pass


@declaration("stats:item")
class StatsItem(ButtonData):
    number: int


@declaration("stats:fig")
class StatsFigure(ButtonData):
    figure: str


@declaration("stats:continue")
class StatsContinue(ButtonData):
    pass


@declaration("stats:restart")
class StatsRestart(ButtonData):
    pass


@declaration("statsup")
class StatsUpload(ButtonData):
    action: Literal["confirm", "discard"]
    message_id: int


@declaration("statsv")
class StatsEntryView(ButtonData):
    entry_id: int


@declaration("statsh")
class StatsHistoryPage(ButtonData):
    """/stats_unit: another page of a unit's earlier submissions (the buttons only)."""
    unit_id: int
    page: int


@declaration("stats:figs")
class StatsFigurePage(ButtonData):
    """The review's choice of an item's figures: another page of them."""
    number: int
    page: int


# ------------------------------------------------------------------ desk

@declaration("desk")
class DeskView(ButtonData):
    """A desk view; a period of None is the one the deliverable's coordinators chase."""
    view: Literal["status", "missing"]
    deliverable_id: int
    period: str | None
    page: int


@declaration("desk:heat")
class DeskHeatmap(ButtonData):
    """/status's 📊: the caller's units × every period as a picture."""


@declaration("desk:remind")
class DeskRemind(ButtonData):
    deliverable_id: int
    period: str


# ------------------------------------------------------------------ scoring

@declaration("score:adopt")
class AdoptSubmission(ButtonData):
    """✅ 采用 (on a review card): open the level picker for this submission."""
    submission_id: int


@declaration("score:level")
class AdoptLevel(ButtonData):
    """The level picker: adopt the submission at this level (a key of the rules)."""
    submission_id: int
    level: str


@declaration("score:rank")
class RankingPage(ButtonData):
    """/ranking's pages: the span (``all``, ``m2026-06``, ``q2026-2``) and the page."""
    span: str
    page: int


@declaration("score:piece")
class BulletinPiece(ButtonData):
    """/bulletin's list: move a piece up, leave it out (or back in), or build the file."""
    action: Literal["up", "drop", "build"]
    position: int


# ------------------------------------------------------------------ outbox

@declaration("broadcast")
class BroadcastDecision(ButtonData):
    action: Literal["send", "cancel"]
    broadcast_id: int


# ------------------------------------------------------------------ review (bot/review/)

@declaration("rv:show")
class ReviewShow(ButtonData):
    """/review: the card at ``index`` of the walk of a deliverable's period (None: every
    period, event reports)."""
    deliverable_id: int
    index: int
    period: str | None


@declaration("rv:list")
class ReviewList(ButtonData):
    """/review's 📋 list: a page of the walk's units (``fresh``: pressed on a card, so the
    list comes as a new message; else a page turned in place)."""
    deliverable_id: int
    page: int
    fresh: bool
    period: str | None


@declaration("rv:return")
class ReviewReturn(ButtonData):
    """↩️ return this submission for revision (the reason is asked next)."""
    submission_id: int


@declaration("rv:comment")
class ReviewComment(ButtonData):
    """💬 comment on this submission (the text is asked next)."""
    submission_id: int


@declaration("rv:resubmit")
class ReviewResubmit(ButtonData):
    """The liaison's 📤 resubmit, on a return's message: send the new version."""
    submission_id: int
