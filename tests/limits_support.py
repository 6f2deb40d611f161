"""What every limits test checks after its conversation: each Bot API call the bot made is
inside Telegram's limits (read from the sandbox's record of requests, refused ones included),
the sandbox refused none, and nobody got the generic error message."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.sandbox.entities import format_text, u16
from tests.conftest import ADMIN_ID, BotUnderTest
from tests.desk_seed import Clock
from tests.limits_seed import SEEDED_AT, seed_province

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
BUTTONS_LIMIT = 100
ROW_LIMIT = 8
GENERIC_ERROR = "抱歉，处理时出了问题"
TEXT_METHODS = {"sendMessage", "editMessageText"}
CAPTION_METHODS = {"sendDocument", "sendPhoto", "editMessageCaption", "sendVideo"}


def violations(sandbox) -> list[str]:
    """Every call over a limit, in words."""
    found = []
    for method, params in sandbox.requests:
        if method in TEXT_METHODS or (method in CAPTION_METHODS and params.get("caption")):
            source = params.get("text") if method in TEXT_METHODS else params.get("caption")
            plain, _ = format_text(str(source or ""), params.get("parse_mode"), None)
            limit = TEXT_LIMIT if method in TEXT_METHODS else CAPTION_LIMIT
            if not plain.strip() or u16(plain) > limit:
                found.append(f"{method}: {u16(plain)} characters")
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            count = sum(len(row) for row in rows)
            if count > BUTTONS_LIMIT or any(len(row) > ROW_LIMIT for row in rows):
                found.append(f"{method}: {count} buttons, rows of "
                             f"{sorted({len(row) for row in rows})}")
        if method == "answerCallbackQuery" and len(str(params.get("text") or "")) > 200:
            found.append("answerCallbackQuery: text over 200 characters")
    return found


def assert_within_limits(sandbox) -> None:
    assert violations(sandbox) == []
    refused = {code: count for code, count in sandbox.stats.items()
               if code in ("400", "403", "429") and count}
    assert refused == {}
    assert all(GENERIC_ERROR not in (sent.plain_text or sent.text or "")
               for sent in sandbox.sent)


@pytest.fixture(name="province")
async def province_fixture(sandbox, tmp_path):
    """The bot with 1,000 units seeded (tests/limits_seed.py) and its settable clock."""
    clock = Clock(SEEDED_AT)
    under_test = BotUnderTest(sandbox, tmp_path / "data", frozenset({ADMIN_ID}), clock=clock)
    await under_test.start()
    seeded = await seed_province(under_test, sandbox)
    yield under_test, clock, seeded
    await under_test.stop()


def at(clock: Clock, moment: datetime) -> None:
    clock.now = moment
