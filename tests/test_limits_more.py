"""More replies that grow with the data, at 1,000 units with 30-character names (issue 14,
point 1): /mysubmissions with many nil reasons and event reports, the coordinator's digest
naming every missing unit — each message within Telegram's 4,096 characters."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.kernel.schedule import deadlines
from bot.outbox.jobs import tick
from bot.storage.outbox import SENT
from bot.storage.submissions import NewItem
from tests.cluster_acceptance import until
from tests.conftest import ADMIN_ID
from tests.limits_seed import SEEDED_AT, TZ
from tests.limits_support import assert_within_limits, at, province_fixture  # noqa: F401

EVENTS = 30


def texts_of(user) -> list[str]:
    return [sent.plain_text for sent in user.messages if sent.document is None]


async def test_mysubmissions_with_long_nil_reasons_and_many_events_is_split(province,
                                                                            sandbox):
    bot, _, seeded = province
    name = seeded.names[-1]
    person_id = seeded.liaison_of[name]
    unit_id = seeded.units[name]
    storage = bot.storage
    calendar = await storage.campaigns.calendar()
    liaison = await storage.liaisons.open_for_person(person_id)
    reasons = []
    for rule in calendar.rules:
        if rule.key == "event":
            continue
        for deadline in deadlines(rule, calendar.campaign.timezone):
            outcome = await storage.submissions.record_nil(
                unit_id, rule.id, deadline.period, liaison.id, SEEDED_AT, None)
            reason = f"{len(reasons):03d}本期无此项工作，" + "原因说明" * 120
            reasons.append(reason)
            assert await storage.submissions.set_nil_reason(outcome.submission.id, reason)
    event = calendar.rule("event")
    for number in range(EVENTS):
        period = await storage.submissions.next_event_period(unit_id, event.id)
        await storage.submissions.add_items(
            unit_id, event.id, period, liaison.id,
            [NewItem(kind="text", received_at=SEEDED_AT - timedelta(minutes=number),
                     text=f"第{number}次应急演练", message_id=10_000 + number)])
    assert len(reasons) >= 8
    user = sandbox.user(person_id)
    await user.command("mysubmissions")
    await user.wait_reply(timeout=60)
    await user.wait_quiet(1.0, timeout=60)
    texts = texts_of(user)
    assert len(texts) > 1
    assert all(text.startswith("（续）") for text in texts[1:])
    joined = "\n".join(texts)
    assert all(reason[:12] in joined for reason in reasons)
    assert_within_limits(sandbox)


async def test_the_digest_naming_every_missing_unit_is_split(province, sandbox, admin):
    bot, clock, seeded = province
    await admin.command("help")                  # the admin's chat is known
    await admin.wait_reply(timeout=30)
    await bot.app.bot_data.sender.settled(timeout=120)
    admin.mark()
    before = len(sandbox.sent)
    written = {row.id for row in await bot.storage.outbox.rows()}
    at(clock, datetime(2026, 6, 11, 10, 30, tzinfo=TZ))   # the second weekly deadline passed
    await tick(bot.app)
    # the same tick queues the campaign's announcement and the week's prompt for the 1,000
    # liaisons (over a minute at 30 a second): the digest goes before them
    rows = [row for row in await bot.storage.outbox.rows() if row.id not in written]
    to_admin = {row.id for row in rows if row.chat_id == ADMIN_ID}
    to_liaisons = len(rows) - len(to_admin)
    assert len(to_admin) > 1 and to_liaisons >= 2 * len(seeded.names)

    async def digest_sent() -> bool:
        return to_admin <= {row.id for row in await bot.storage.outbox.rows()
                            if row.state == SENT}

    await until(digest_sent, 120, "every part of the digest sent")
    since = sandbox.sent[before:]
    # in the order written the first part would be the 2,001st send; it goes within seconds
    # (the tick writes the announcements first, and the sender may start on them while it
    # writes the rest), and the parts follow a second apart (the chat's limit)
    assert next(n for n, sent in enumerate(since) if sent.chat_id == ADMIN_ID) < 200
    assert sum(sent.chat_id != ADMIN_ID for sent in since) < to_liaisons / 2
    digests = [sent.plain_text for sent in since if sent.chat_id == ADMIN_ID]
    assert len(digests) == len(to_admin)
    assert digests[0].startswith("📋") and all(text.startswith("（续）") for text in digests[1:])
    joined = "\n".join(digests)
    assert all(name in joined for name in seeded.names)     # every name whole
    assert_within_limits(sandbox)
