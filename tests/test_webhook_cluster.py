"""Webhook mode with two bot processes on one PostgreSQL behind a small proxy (as nginx's
upstream: each POST to the next process in turn, the other one when that one does not
answer): the sandbox pushes every update to the proxy; whichever process stores it, any
process handles it (bot.scale.shared); the leader (scheduler, outbox) is killed with kill -9
twice and restarted meanwhile. The same acceptance as polling (tests/cluster_acceptance.py):
items once, one receipt per burst, the prompt once per liaison, the digest once.

The acceptance's size, 200 liaisons:
``BOT_SCALE_LIAISONS=200 python -m pytest -s -n 0 tests/test_webhook_cluster.py``
passed three times on the shared 2-core machine: 42.9 s, 40.7 s (19 receipts repeated, load
average 1.6) and 40.8 s (7 repeated, load 2.9); the suite runs 16 liaisons (18 s).
"""

from __future__ import annotations

import os

import pytest

from tests import cluster_acceptance

LIAISONS = int(os.environ.get("BOT_SCALE_LIAISONS", "16"))

pytestmark = pytest.mark.postgres_only(reason="several processes share the work only on PostgreSQL")


async def test_two_webhook_processes_behind_a_proxy_leader_killed_twice(sandbox, tmp_path):
    figures = await cluster_acceptance.run(sandbox, tmp_path, LIAISONS, 9000, webhook=True)
    print(f"{LIAISONS} liaisons: {figures}")
