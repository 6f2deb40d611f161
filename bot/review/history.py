"""What the review desk did with a submission, as lines: for /mysubmissions (HTML) and for
the export's 说明.txt (plain)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.kernel.clock import from_iso
from bot.kernel.schedule import Deadline
from bot.kernel.words import LATE, ON_TIME, Words
from bot.storage import Storage
from bot.storage.campaigns import Calendar
from bot.storage.reviews import Comment, Return


def lines(words: Words, returns: Sequence[Return], comments: Sequence[Comment],
          plain: bool = False) -> list[str]:
    """Each return (its reason; when it came back and how it counts, or the grace it has),
    then each comment."""
    say = words.plain if plain else words.html
    found = []
    for returned in returns:
        if returned.resubmitted_at:
            state = words.state(LATE, returned.late_seconds) if returned.late_seconds \
                else words.state(ON_TIME)
            status = say("review.mine_resubmitted",
                         when=words.moment(from_iso(returned.resubmitted_at))) + " " + state
        else:
            status = say("review.mine_not_resubmitted",
                         until=words.moment(from_iso(returned.grace_until)))
        found.append(say("review.mine_returned", when=words.moment(from_iso(
            returned.returned_at)), reason=returned.reason, status=status).strip())
    found += [say("review.mine_comment", when=words.moment(from_iso(comment.created_at)),
                  text=comment.text).strip() for comment in comments]
    return found


async def export_remarks(storage: Storage, calendar: Calendar, words: Words,
                         unit_ids: Sequence[int], deadline: Deadline | None = None
                         ) -> dict[tuple[str, str, int], list[str]]:
    """(deliverable key, period, unit id) -> the plain lines, for the export's notes."""
    keys = {rule.id: rule.key for rule in calendar.rules}
    found = await storage.reviews.of_units(
        unit_ids, deadline.deliverable_id if deadline else None,
        deadline.period if deadline else None)
    return {(keys.get(deliverable_id, "other"), period, unit_id):
            lines(words, returns, comments, plain=True)
            for unit_id, deliverable_id, period, returns, comments in found}
