"""How long a returned submission may take to come back and still count as it did."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import Storage

# The default of the scoring rules' ``return_grace_days``; the one place it is read from
# until the scoring rules are loaded here.
RETURN_GRACE_DAYS = 2


async def return_grace(storage: Storage) -> timedelta:
    """The grace a return gives from now."""
    return timedelta(days=RETURN_GRACE_DAYS)
