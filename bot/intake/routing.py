"""What a liaison sent, and which deliverable and period it goes to: pure functions.

The intake (:mod:`bot.intake.receive`) turns Telegram messages into :class:`Incoming` and
asks :func:`route` where they belong; nothing here touches the network or the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from telegram import Message, PhotoSize

from bot.kernel.schedule import (
    MONTHLY,
    OVERDUE,
    PROMPT,
    REMIND,
    WEEKLY,
    Deadline,
    deadlines,
    lateness,
    period_at,
    rule_notices,
)
from bot.media.store import THUMBNAIL_SIDE
from bot.storage.campaigns import Calendar

# Deliverables a liaison can send to from the chat, in the order of the choice buttons.
CHOICES = ("weekly", "plan", "summary", "event")
# A one-time document deliverable counts as "due" this long before its deadline.
DUE_SOON = timedelta(days=10)
ACCEPTED_KINDS = ("text", "photo", "video", "document")


@dataclass(frozen=True)
class Incoming:
    """One message a liaison sent, reduced to what is stored (JSON-able for user_data)."""
    kind: str
    message_id: int
    date: str                      # Telegram's message date, ISO-8601 UTC
    text: str | None = None        # the text, or the caption
    file_id: str | None = None
    file_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    thumb_file_id: str | None = None  # Telegram's own: a video's thumbnail, a photo's size
    thumb_side: int | None = None     # that image's longer side, px (a photo's; else unknown)
    media_group_id: str | None = None
    forwarded: bool = False

    @property
    def received_at(self) -> datetime:
        return datetime.fromisoformat(self.date)

    @property
    def is_image(self) -> bool:
        return self.kind == "photo" or (self.mime_type or "").startswith("image/")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Incoming:
        return cls(**data)


def from_message(message: Message) -> Incoming | None:
    """The message as an :class:`Incoming`, or None when it is nothing the bot accepts."""
    common = {
        "message_id": message.message_id,
        "date": message.date.isoformat(),
        "media_group_id": message.media_group_id,
        "forwarded": message.forward_origin is not None,
    }
    if message.photo:
        photo = message.photo[-1]
        thumb = thumbnail_size(message.photo)
        return Incoming("photo", text=message.caption, file_id=photo.file_id,
                        file_unique_id=photo.file_unique_id, mime_type="image/jpeg",
                        size=photo.file_size, thumb_file_id=thumb.file_id if thumb else None,
                        thumb_side=max(thumb.width, thumb.height) if thumb else None,
                        **common)
    video = message.video or message.animation
    if video:
        thumb = video.thumbnail
        return Incoming("video", text=message.caption, file_id=video.file_id,
                        file_unique_id=video.file_unique_id, file_name=video.file_name,
                        mime_type=video.mime_type, size=video.file_size,
                        thumb_file_id=thumb.file_id if thumb else None, **common)
    if message.document:
        document = message.document
        return Incoming("document", text=message.caption, file_id=document.file_id,
                        file_unique_id=document.file_unique_id, file_name=document.file_name,
                        mime_type=document.mime_type, size=document.file_size, **common)
    if message.text and not message.sticker:
        return Incoming("text", text=message.text, **common)
    return None


def thumbnail_size(sizes: tuple[PhotoSize, ...], side: int = THUMBNAIL_SIDE
                   ) -> PhotoSize | None:
    """The size to make a photo's thumbnail from: the smallest of Telegram's scaled copies
    (every size but the last, the original) that covers ``side`` px; None when none does
    (the photo is small: its thumbnail is made from the original)."""
    covering = [size for size in sizes[:-1] if max(size.width, size.height) >= side]
    return min(covering, key=lambda size: size.width * size.height, default=None)


@dataclass(frozen=True)
class Target:
    """Where a burst goes: a deliverable's period, with its deadline (None for events)."""
    key: str
    deliverable_id: int
    period: str
    deadline: Deadline | None

    def late_seconds(self, received: datetime) -> int | None:
        return lateness(self.deadline, received) if self.deadline else None


@dataclass(frozen=True)
class Ask:
    """Ambiguous: the liaison chooses among these deliverable keys."""
    choices: tuple[str, ...]


def _open_until(deadline: Deadline, overdue_days: int) -> datetime:
    return deadline.due + timedelta(days=overdue_days)


def target_for(calendar: Calendar, key: str, period: str | None, at: datetime
               ) -> Target | None:
    """The target for an explicit choice; the period is the one at ``at`` when not given."""
    rule = calendar.rule(key)
    if rule is None:
        return None
    if rule.kind == "anytime":
        return Target(key, rule.id, period or "", None)
    found = deadlines(rule, calendar.campaign.timezone)
    if period is not None:
        deadline = next((d for d in found if d.period == period), None)
    else:
        deadline = period_at(found, at)
    if deadline is None:
        return None
    return Target(key, rule.id, deadline.period, deadline)


def offered_target(calendar: Calendar, key: str, period: str, at: datetime, nil: bool
                   ) -> Target | None:
    """The target of a prompt's button as the liaison could have been shown it at ``at``,
    or None for a press no message ever offered (forged, or stale): the period must be one
    of the deliverable's, its first notice carrying the button already sent, and ``at``
    no later than its last overdue day. "Nothing this period" is offered by prompts only,
    so only weekly and monthly deliverables take it; "start" also rides on reminders and
    overdue notices."""
    rule = calendar.rule(key)
    if rule is None or (nil and rule.kind not in (WEEKLY, MONTHLY)):
        return None
    deadline = next((d for d in deadlines(rule, calendar.campaign.timezone)
                     if d.period == period), None)
    if deadline is None or at > _open_until(deadline, rule.overdue_days):
        return None
    kinds = (PROMPT,) if nil else (PROMPT, REMIND, OVERDUE)
    shown = [notice.at for notice in rule_notices(rule, deadline, calendar.campaign.timezone)
             if notice.kind in kinds]
    if not shown or at < min(shown):
        return None
    return Target(key, rule.id, deadline.period, deadline)


def weekly_target(calendar: Calendar, at: datetime, delivered: set[str]) -> Target | None:
    """This week's materials at ``at``: a week whose deadline just passed and that the unit
    has not delivered yet (within its overdue days) comes first, marked late; otherwise the
    first week whose deadline is still ahead. None after the last week is closed."""
    rule = calendar.rule("weekly")
    if rule is None:
        return None
    found = deadlines(rule, calendar.campaign.timezone)
    if not found:
        return None
    missed = [d for d in found if d.due < at <= _open_until(d, rule.overdue_days)
              and d.period not in delivered]
    if missed:
        deadline = missed[-1]
    else:
        deadline = period_at(found, at)
        if deadline is None or at > _open_until(deadline, rule.overdue_days):
            return None
    return Target("weekly", rule.id, deadline.period, deadline)


def document_due(calendar: Calendar, at: datetime, delivered_keys: set[str]) -> list[str]:
    """Plan and summary keys that are due at ``at`` and not yet delivered by the unit."""
    due = []
    for key in ("plan", "summary"):
        rule = calendar.rule(key)
        if rule is None or key in delivered_keys:
            continue
        for deadline in deadlines(rule, calendar.campaign.timezone):
            if deadline.due - DUE_SOON <= at <= _open_until(deadline, rule.overdue_days):
                due.append(key)
                break
    return due


def route(calendar: Calendar, burst: list[Incoming], delivered_weeks: set[str],
          delivered_keys: set[str]) -> Target | Ask:
    """Weekly materials unless a document arrives while the plan or summary is due, or no
    week is open: then the liaison is asked. Never a silent guess."""
    at = min(item.received_at for item in burst)
    choices = tuple(key for key in CHOICES if calendar.rule(key) is not None)
    has_document = any(item.kind == "document" for item in burst)
    if has_document and document_due(calendar, at, delivered_keys):
        return Ask(choices)
    weekly = weekly_target(calendar, at, delivered_weeks)
    return weekly if weekly is not None else Ask(choices)


@dataclass(frozen=True)
class Counts:
    photos: int
    videos: int
    documents: int
    text_length: int


def count(burst: list[Incoming]) -> Counts:
    kinds = Counter(item.kind for item in burst)
    text_length = sum(len(item.text or "") for item in burst)
    return Counts(kinds["photo"], kinds["video"], kinds["document"], text_length)
