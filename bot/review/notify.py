"""What the review desk tells a unit's liaison, written to the outbox (sent once, paced,
in the liaison's language): a return with its 📤 resubmit button, a comment, and the
reminders of a return not yet answered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.kernel.clock import from_iso
from bot.kernel.words import Words
from bot.ptb.buttons import ReviewResubmit
from bot.ptb.context import Services
from bot.storage.campaigns import Calendar
from bot.storage.outbox import FIRST, Message
from bot.storage.reviews import Comment, Return
from bot.storage.submissions import Submission

REMIND_BEFORE = timedelta(days=1)     # a reminder this long before a return's grace ends


def _key(calendar: Calendar, submission: Submission) -> str:
    rule = next((rule for rule in calendar.rules if rule.id == submission.deliverable_id), None)
    return rule.key if rule else "other"


async def _recipient(services: Services, calendar: Calendar, unit_id: int
                     ) -> tuple[int, int, Words] | None:
    """(person id, chat id, their words) of the unit's active liaison, or None."""
    storage = services.storage
    liaison = await storage.liaisons.active_for_unit(unit_id)
    if liaison is None:
        return None
    person = await storage.people.get(liaison.person_id)
    if person is None:
        return None
    words = Words(services.texts, person.language or services.settings.language,
                  calendar.campaign.timezone)
    return person.telegram_id, person.chat_id, words


def _wake(services: Services) -> None:
    if services.sender is not None:
        services.sender.wake()


async def tell_returned(services: Services, calendar: Calendar, submission: Submission,
                        returned: Return) -> bool:
    """The reason and the 📤 resubmit button to the liaison; False when the unit has none."""
    def returned_notice(words: Words, target: str) -> tuple[str, list]:
        text = words.html("review.liaison_returned", target=target, reason=returned.reason,
                          until=words.moment(from_iso(returned.grace_until)))
        button = ReviewResubmit(submission.id).button(words.html("review.button_resubmit"))
        return text, [[button]]
    return await _tell(services, calendar, submission, f"review-return-{returned.id}",
                       returned_notice)


async def tell_comment(services: Services, calendar: Calendar, submission: Submission,
                       comment: Comment) -> bool:
    def comment_notice(words: Words, target: str) -> tuple[str, list]:
        return words.html("review.liaison_comment", target=target, text=comment.text), []
    return await _tell(services, calendar, submission, f"review-comment-{comment.id}",
                       comment_notice)


async def _tell(services: Services, calendar: Calendar, submission: Submission, key: str,
                notice: Callable[[Words, str], tuple[str, list]]) -> bool:
    """One outbox message about ``submission`` to its unit's liaison, in their words;
    False when the unit has none."""
    found = await _recipient(services, calendar, submission.unit_id)
    if found is None:
        return False
    person_id, chat_id, words = found
    text, keyboard = notice(
        words, words.target_key(_key(calendar, submission), submission.period))
    await services.storage.outbox.add([Message(
        submission.deliverable_id, submission.period, person_id, key, chat_id, text,
        keyboard or None, priority=FIRST)])
    _wake(services)
    return True


def reminder_at(returned: Return) -> datetime:
    """When a return not yet answered is reminded of: a day before its grace ends, or
    halfway through a shorter grace."""
    start, end = from_iso(returned.returned_at), from_iso(returned.grace_until)
    return max(end - REMIND_BEFORE, start + (end - start) / 2)


async def remind_returns(services: Services, calendar: Calendar, now: datetime) -> int:
    """The reminder and, when the grace is over, the overdue notice of every return not yet
    answered (each once: the outbox's key); called by the scheduler's tick. Returns how
    many rows were written."""
    storage = services.storage
    messages = []
    for returned in await storage.reviews.open_returns():
        grace_until = from_iso(returned.grace_until)
        if now < reminder_at(returned):
            continue
        submission = await storage.submissions.get(returned.submission_id)
        found = await _recipient(services, calendar, submission.unit_id) if submission \
            else None
        if found is None:
            continue
        person_id, chat_id, words = found
        overdue = now >= grace_until
        target = words.target_key(_key(calendar, submission), submission.period)
        text = words.html("review.return_overdue" if overdue else "review.return_reminder",
                          target=target, until=words.moment(grace_until),
                          reason=returned.reason)
        buttons = [[ReviewResubmit(submission.id).button(words.html("review.button_resubmit"))]]
        kind = f"review-{'overdue' if overdue else 'remind'}-{returned.id}"
        messages.append(Message(submission.deliverable_id, submission.period, person_id,
                                kind, chat_id, text, buttons, priority=FIRST))
    return await storage.outbox.add(messages) if messages else 0
