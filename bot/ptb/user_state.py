"""What a user's data (``context.user_data``, persisted as JSON) holds: every key declared
here, with its shape and the one module that owns it.

Only the owner reads or writes its key. Another area that must end the owner's mode calls
the owner's function for it (e.g. ``bot.intake.sending.leave``), never pops the key itself.
Values stay plain JSON (dicts, lists, strings, numbers) so that persistence stores them as
they are; the ``TypedDict`` shapes are what type checkers and readers hold the code to.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict, cast


class RegistrationForm(TypedDict):
    """Owner: ``bot.people.registration``. The attachment 1 form being filled."""
    mode: str                      # register / profile
    unit_id: int
    values: dict[str, str | None]
    code: NotRequired[str]         # the invite the registration started from
    liaison_id: NotRequired[int]   # profile: the liaison being edited
    editing: NotRequired[str]      # the field being changed from the summary


class CampaignDraft(TypedDict):
    """Owner: ``bot.campaign.setup``. /campaign's answers so far."""
    year: int
    changes: dict[str, dict[str, object]]
    name: NotRequired[str]
    theme: NotRequired[str]
    editing: NotRequired[str]


class DeadlineDraft(TypedDict, total=False):
    """Owner: ``bot.campaign.deadlines``. The rule (and period) /deadline is changing."""
    rule: int
    period: str


class SendingMode(TypedDict):
    """Owner: ``bot.intake.sending``. /plan, /summary or a prompt's button: what the next
    messages count for, until when."""
    key: str
    period: str
    until: str                     # ISO-8601


class PendingBurst(TypedDict):
    """Owner: ``bot.intake.receive``. A burst waiting for the liaison's choice."""
    group: str | None
    items: list[dict[str, Any]]    # Incoming.to_json()


class EventDraft(TypedDict, total=False):
    """Owner: ``bot.intake.events``. /event's answers and attachments so far."""
    title: str
    date: str
    place: str
    description: str
    description_message: list      # [message id, ISO date]
    items: list[dict[str, Any]]


class StatsDraft(TypedDict):
    """Owner: ``bot.stats.chat_form``. The statistics table being filled in chat."""
    form_id: int
    unit_id: int
    values: dict[str, Any]
    position: int
    editing: bool


class StatsUpload(TypedDict):
    """Owner: ``bot.stats.workbook_flow``. A read workbook waiting for confirmation."""
    form_id: int
    unit_id: int
    values: dict[str, Any]
    received_at: str
    message_id: int


class BulletinDraft(TypedDict):
    """Owner: ``bot.scoring.bulletin``. /bulletin's pieces as the coordinator arranged them."""
    period: str                    # the weekly period
    order: list[int]               # submission ids, in the order they go in
    dropped: list[int]             # submission ids left out
class ReviewAsked(TypedDict):
    """Owner: ``bot.review.remarks``. The reason or comment a review card's button asked
    for."""
    action: str                    # return / comment
    submission_id: int


class UserState(TypedDict, total=False):
    """Every key a user's data may hold."""
    form: RegistrationForm
    campaign: CampaignDraft
    deadline: DeadlineDraft
    sending: SendingMode
    nil: int                       # owner bot.intake.sending: the nil report awaiting a reason
    pending: dict[str, PendingBurst]
    album_choice: dict[str, str]   # owner bot.intake.receive: album id -> deliverable key
    event: EventDraft
    stats: StatsDraft
    stats_upload: StatsUpload
    bulletin: BulletinDraft
    review: ReviewAsked


DECLARED_KEYS = frozenset(UserState.__annotations__)


def state_of(user_data: dict) -> UserState:
    """``context.user_data`` as its declared shape (the same object)."""
    return cast(UserState, user_data)


def undeclared(user_data: dict) -> set[str]:
    """Keys a user's data holds that are not declared here (a bug: see persistence)."""
    return set(user_data) - DECLARED_KEYS
