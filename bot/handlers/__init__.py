"""Handler registration: order and groups in one place.

Group -100 identifies the person, group 100 persists state; in group 0 the first matching
handler wins, so conversations come first and the catch-alls last.
"""

from __future__ import annotations

from bot.handlers import (
    broadcast,
    campaign,
    common,
    coordinators,
    documents,
    guard,
    registration,
    status,
    units,
)


def register(app) -> None:
    guard.register(app)
    registration.register(app)
    campaign.register(app)
    common.register_commands(app)
    coordinators.register(app)
    units.register(app)
    status.register(app)
    broadcast.register(app)
    documents.register(app)
    common.register_fallbacks(app)
