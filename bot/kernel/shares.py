"""Dividing a budget of send slots between the bot's processes (bot.scale.budget): pure."""

from __future__ import annotations

import math
from collections.abc import Mapping


def reserve_of(capacity: int) -> int:
    """What a process keeps however little it sends: a tenth of the budget, at least 2 (3 of
    Telegram's 30), so the first receipts of a burst go at once while another process
    broadcasts."""
    return min(capacity, max(2, math.ceil(capacity / 10)))


def want_of(capacity: int, used: int, hungry: bool) -> int:
    """A process's demand: all of it when a send waited for the window since the last
    lease, else what it uses and a reserve more."""
    if hungry:
        return capacity
    return min(capacity, used + reserve_of(capacity))


def fair_shares(capacity: int, wants: Mapping[str, int]) -> dict[str, int]:
    """Each process's share of ``capacity`` slots: water-filled (the least demanding get
    what they want, the others the same level), and what nobody wants split evenly, so that
    the shares always add up to ``capacity`` (one process alone has it all; two idle ones
    half each, ready for a burst)."""
    if not wants:
        return {}
    shares: dict[str, int] = {}
    left = capacity
    by_want = sorted(wants, key=lambda key: (wants[key], key))
    for done, key in enumerate(by_want):
        share = min(max(wants[key], 0), left // (len(by_want) - done))
        shares[key] = share
        left -= share
    ordered = sorted(wants)
    for n, key in enumerate(ordered):
        shares[key] += left // len(ordered) + (1 if n < left % len(ordered) else 0)
    return shares
