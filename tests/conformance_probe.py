"""Run by tests/test_conformance.py in a pytest of its own: a test that makes one call the
conformance table refuses and is NOT marked sandbox_refusals, so the suite's check must fail
it. Not collected by the suite (the name does not start with ``test_``)."""

from __future__ import annotations

import httpx
import pytest

from bot.sandbox import FakeTelegram

pytestmark = [pytest.mark.asyncio, pytest.mark.no_database]


async def test_an_unmarked_bad_call() -> None:
    async with FakeTelegram() as srv:
        user = srv.user(3001)
        async with httpx.AsyncClient() as client:
            resp = await client.post(f"{srv.api_base_url}{srv.token}/sendMessage",
                                     json={"chat_id": user.id, "text": "你好", "colour": "red"})
    assert resp.json()["ok"]      # Telegram ignores the parameter; the check does not
