"""Handler registration: order and groups in one place.

Group -100 identifies the person, group 100 persists state; in group 0 the first matching
handler wins, so conversations come first, then commands and buttons, then the documents
router and the liaisons' intake, and the catch-alls last.
"""

from __future__ import annotations

from bot.handlers import (
    broadcast,
    campaign,
    common,
    coordinators,
    desk,
    documents,
    events,
    guard,
    registration,
    stats,
    status,
    submissions,
    units,
)


def register(app) -> None:
    guard.register(app)
    registration.register(app)
    campaign.register(app)
    stats.register(app)
    events.register_conversation(app)
    submissions.register_conversation(app)
    common.register_commands(app)
    coordinators.register(app)
    units.register(app)
    desk.register(app)
    status.register(app)
    broadcast.register(app)
    submissions.register(app)
    documents.register(app)
    submissions.register_intake(app)
    common.register_fallbacks(app)
