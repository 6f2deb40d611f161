"""An album's claim names its owner (issue 18): a gone owner's claim is taken over at once,
a live one's never before its lease; start-up releases gone owners' claims only. Storage
level, on both backends; the processes asked about are real ones."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime

from bot.scale.identity import Identity, pid_space, this_process
from bot.scale.shared import find_gone_peers
from bot.storage import Storage
from bot.storage.albums import Claimed, Waiting

LEASE = 120.0
CHAT = 7001


async def beat(storage: Storage, process_id: str, pid: int = 1, space: str | None = None):
    await storage.processes.beat(process_id, "host", pid, datetime.now(UTC), False, 0, space)


async def album(storage: Storage, group: str, quiet_until: float) -> None:
    for message_id in (1, 2):
        await storage.albums.add_part(CHAT, CHAT, group, "intake", {}, message_id,
                                      {"message_id": message_id}, quiet_until)


async def test_a_live_owners_claim_holds_a_gone_owners_is_taken_over_at_once(storage):
    now = time.time()
    await beat(storage, "a")
    await beat(storage, "b")
    await album(storage, "g1", now - 1)
    first = await storage.albums.claim(CHAT, "g1", now, LEASE, "a")
    assert isinstance(first, Claimed) and first.attempts == 1
    # a live owner: another process waits for the lease
    held = await storage.albums.claim(CHAT, "g1", now + 1, LEASE, "b")
    assert held == Waiting(CHAT, CHAT, "g1", now + LEASE, claimed=True)
    assert [w.due for w in await storage.albums.waiting("b", now + 1)] == [now + LEASE]
    # its owner stops (or is found gone): taken over at once, the try counted
    await storage.processes.stopped("a", 0)
    assert [w.due for w in await storage.albums.waiting("b", now + 2)] == [now - 1]
    taken = await storage.albums.claim(CHAT, "g1", now + 2, LEASE, "b")
    assert isinstance(taken, Claimed) and taken.attempts == 2
    assert [part[0] for part in taken.parts] == [1, 2]
    # now "b" holds it, alive: "c" waits
    assert isinstance(await storage.albums.claim(CHAT, "g1", now + 3, LEASE, "c"),
                      Waiting)
    # "b" finishes: nothing is left to claim
    assert await storage.albums.finish(taken.id, [1, 2]) is False
    assert await storage.albums.claim(CHAT, "g1", now + 4, LEASE, "c") is None


async def test_a_stale_heartbeat_is_a_gone_owner_no_owner_row_waits_for_the_lease(storage):
    now = time.time()
    await beat(storage, "a")
    await album(storage, "g1", now - 1)
    await album(storage, "g2", now - 1)
    assert isinstance(await storage.albums.claim(CHAT, "g1", now, LEASE, "a"), Claimed)
    # a claimant with no heartbeat row (killed before its first beat): the lease rules
    assert isinstance(await storage.albums.claim(CHAT, "g2", now, LEASE, "ghost"), Claimed)
    # 9 s later "a"'s beat is still fresh, 11 s later it is stale (10 s: 5 beats missed)
    assert isinstance(await storage.albums.claim(CHAT, "g1", now + 9, LEASE, "b"),
                      Waiting)
    assert isinstance(await storage.albums.claim(CHAT, "g1", now + 11, LEASE, "b"),
                      Claimed)
    assert isinstance(await storage.albums.claim(CHAT, "g2", now + 11, LEASE, "b"),
                      Waiting)
    assert isinstance(await storage.albums.claim(CHAT, "g2", now + LEASE + 1, LEASE, "b"),
                      Claimed)


async def test_start_up_releases_gone_owners_claims_only(storage):
    now = time.time()
    for owner in ("live", "gone"):
        await beat(storage, owner)
        await album(storage, owner, now - 1)
        assert isinstance(await storage.albums.claim(CHAT, owner, now, LEASE, owner),
                          Claimed)
    await storage.processes.stopped("gone", 0)
    assert await storage.albums.release_claims("new", now) == 1
    due = {w.media_group_id: (w.due, w.claimed)
           for w in await storage.albums.waiting("new", now)}
    assert due == {"live": (now + LEASE, True), "gone": (now - 1, False)}
    # SQLite's one process: every claim is a predecessor's
    assert await storage.albums.release_claims("new", now, every=True) == 1
    assert all(not w.claimed for w in await storage.albums.waiting("new", now))


async def test_peers_whose_pid_runs_no_more_are_found_gone(storage):
    """Real processes: one exited (its pid free), one running; a row of another process
    space is judged by its heartbeat only, never by a pid."""
    me = this_process()
    assert me.pid_space == pid_space() and me.pid_space is not None
    exited = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await exited.wait()
    running = await asyncio.create_subprocess_exec(sys.executable, "-c",
                                                   "import time; time.sleep(60)")
    try:
        await beat(storage, "exited", exited.pid, me.pid_space)
        await beat(storage, "running", running.pid, me.pid_space)
        await beat(storage, "elsewhere", exited.pid, "another-machine:1")
        await beat(storage, "predecessor", me.pid, me.pid_space)   # my pid, an earlier run
        await beat(storage, me.id, me.pid, me.pid_space)
        await album(storage, "g1", time.time() - 1)
        assert isinstance(await storage.albums.claim(CHAT, "g1", time.time(), LEASE,
                                                     "exited"), Claimed)
        assert sorted(await find_gone_peers(storage, me)) == ["exited", "predecessor"]
        assert await find_gone_peers(storage, me) == []       # once
        rows = {row.id: row.stopped_at for row in await storage.processes.recent()}
        assert rows["exited"] and rows["predecessor"]
        assert rows["running"] is None and rows["elsewhere"] is None and rows[me.id] is None
        assert isinstance(await storage.albums.claim(CHAT, "g1", time.time(), LEASE, me.id),
                          Claimed)
        assert await find_gone_peers(storage, Identity("x", "h", 1, None)) == []
    finally:
        running.kill()
        await running.wait()
