"""One send budget for all the bot's processes (issue 18): Telegram counts every send of the
token together, 30 in any sliding second (with paid broadcasts up to 1,000, of which the free
ones — replies — still 30), whichever process sent it.

Each process's pacer (bot.ptb.ratelimit.Pacer) bounds what it holds at any instant: a slot
counts from when it is taken until a second after its answer, and no slot is taken while
``window_cap`` of them count. So if the caps of all processes add up to the budget at every
instant, no second anywhere holds more than the budget — there are no lease periods and no
boundary between two of them to get wrong. The caps are shares of the budget, leased from
PostgreSQL (bot.storage.send_budget), every :data:`RENEW_SECONDS`:

- a process writes ``reserved``: what it may hold until its next lease — never less than what
  it holds now (a share given up stays reserved until the slots it held have left the
  window) — and ``want``: all of the budget if a send of its waited for the window within
  the last second (:data:`HUNGER_SECONDS`: a moment between two receipts does not give the
  share away), else what it holds plus a reserve (bot.kernel.shares);
- its share is the water-filled level of all the wants (the least demanding get what they
  want; what nobody wants is split evenly, so one process alone has the whole budget and two
  idle ones half each); it lowers its cap to it at once, and raises it only to what the
  others' ``reserved`` leave free, after the lease is written. Leases are taken one at a time
  (every row locked), so two processes never count on the same free slots.

Leases come every :data:`RENEW_SECONDS` while slots are held or wanted, every
:data:`IDLE_RENEW_SECONDS` while none is (a wait for the window leases at once): four
statements each, on the budget's own connection.

A broadcasting leader beside an idle follower thus has 27 of 30 (the follower keeps 3 for the
first receipts of a burst); when the follower's receipts wait, the shares move to 15 and 15
within about a second and a half (a lease each, and the leader's slots leaving the window).

A process that dies keeps its share only until its lease runs out (:data:`LEASE_SECONDS`,
on the server's clock): well within the heartbeat's lapse (bot.storage.processes). One
whose leases fail takes no slot from :data:`DRAIN_SECONDS` before its lease ends, so its
slots have left the window when the others may take them.

SQLite (one process) has no budget to share: the pacer keeps its whole cap, no lease is
ever written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bot.kernel.shares import fair_shares, want_of
from bot.kernel.tasks import cancelled
from bot.ptb.ratelimit import Pacer
from bot.storage.send_budget import Lease, SendBudgetStore, Taken

log = logging.getLogger(__name__)

RENEW_SECONDS = 0.25     # a lease every so often while slots are held or wanted
IDLE_RENEW_SECONDS = 1.0  # ... and while none is (a wait for the window leases at once)
LEASE_SECONDS = 5.0      # a lease not renewed for this long holds nothing (its process died)
DRAIN_SECONDS = 1.5      # a slot's second after its answer, and the answer's time
HUNGER_SECONDS = 1.0     # a process whose sends waited wants it all for this long after


class SendBudget:
    def __init__(self, pacer: Pacer, store: SendBudgetStore, process_id: str,
                 monotonic: Callable[[], float] = time.monotonic,
                 lease_seconds: float = LEASE_SECONDS) -> None:
        self.pacer = pacer
        self.lease_seconds = lease_seconds
        self.store = store
        self.process_id = process_id
        self._monotonic = monotonic
        self._task: asyncio.Task | None = None
        self.leases = 0
        # until when a send of this process waited for the window, the free one (a moment
        # between two receipts does not give the share away: moving it costs a second)
        self._hungry_until = self._free_hungry_until = float("-inf")
        self._wake = asyncio.Event()
        #: the last lease found nothing held or wanted here, and the shares as they should be
        self.idle = False

    async def start(self) -> None:
        """No slot before the first lease; it is taken before this returns."""
        pacer = self.pacer
        pacer.valid_until = float("-inf")
        pacer.window_cap = 0
        if pacer.free_pool:
            pacer.reply_cap = 0
        await self.store.join(self.process_id)
        await self.renew()
        self._wake = asyncio.Event()
        pacer.on_hunger = self._wake.set
        self._task = asyncio.create_task(self._loop(), name="send budget")

    async def stop(self) -> None:
        """After the last send: the share is free a second and a half from now."""
        task, self._task = self._task, None
        await cancelled(task)
        try:
            await self.store.leave(self.process_id, int(DRAIN_SECONDS * 1000))
        except Exception:
            log.warning("the send budget's share could not be given back; it runs out "
                        "within %.0f s", self.lease_seconds)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            if self.idle:
                self._wake.clear()
                # asyncio.timeout, not wait_for: on Python 3.11 a wait_for whose event is
                # set as the task is cancelled returns and loses the cancellation, and the
                # loop goes on under a stop() that waits for it for ever
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_RENEW_SECONDS - RENEW_SECONDS):
                        await self._wake.wait()
            try:
                await self.renew()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("the send budget's lease could not be renewed (%s); no send "
                            "after it runs out", error)
                with contextlib.suppress(Exception):
                    await self.store.join(self.process_id)

    async def renew(self) -> None:
        pacer = self.pacer
        began = self._monotonic()
        hungry, free_hungry = pacer.take_hunger()
        if hungry:
            self._hungry_until = began + HUNGER_SECONDS
        if free_hungry:
            self._free_hungry_until = began + HUNGER_SECONDS
        hungry, free_hungry = began < self._hungry_until, began < self._free_hungry_until
        granted: dict[str, int] = {}
        settled: list[bool] = []

        def decide(others: list[Lease]) -> Taken:
            used, used_free = pacer.occupancy()
            live = began < pacer.valid_until
            want, share, grant = self._share(
                pacer.capacity, used, hungry, {o.process_id: o.want for o in others},
                sum(o.reserved for o in others))
            # lowered now, before the lease is written: what is written then holds
            pacer.window_cap = min(pacer.window_cap if live else 0, share)
            granted["all"] = grant
            settled.append(used == 0 and not hungry and grant == share)
            reserved = max(used, pacer.window_cap, grant)
            if not pacer.free_pool:
                return Taken(reserved, want, 0, 0)
            want_free, share_free, grant_free = self._share(
                pacer.free_capacity, used_free, free_hungry,
                {o.process_id: o.want_free for o in others},
                sum(o.reserved_free for o in others))
            pacer.reply_cap = min(pacer.reply_cap if live else 0, share_free)
            granted["free"] = grant_free
            settled.append(used_free == 0 and not free_hungry and grant_free == share_free)
            return Taken(reserved, want, max(used_free, pacer.reply_cap, grant_free), want_free)

        if not await self.store.lease(self.process_id, int(self.lease_seconds * 1000), decide):
            self.idle = False
            return
        self.idle = all(settled)
        # raised only now that the lease is written
        pacer.window_cap = granted["all"]
        if pacer.free_pool:
            pacer.reply_cap = granted["free"]
        pacer.valid_until = began + self.lease_seconds - DRAIN_SECONDS
        self.leases += 1

    def _share(self, capacity: int, used: int, hungry: bool, others_want: dict[str, int],
               others_reserved: int) -> tuple[int, int, int]:
        """(this process's want, its fair share, what it may take now: the share within
        what the others' reservations leave free)."""
        want = want_of(capacity, used, hungry)
        share = fair_shares(capacity, {**others_want, self.process_id: want})[self.process_id]
        return want, share, max(0, min(share, capacity - others_reserved))
