"""Pacing (issue 14, point 4): a long run of messages to one chat goes at about one a second
(the sandbox refuses a longer burst, as Telegram does) without holding up other chats."""

from __future__ import annotations

from tests.limits_support import assert_within_limits, province_fixture  # noqa: F401


async def test_a_long_run_to_one_chat_is_paced_and_other_chats_go_on(province, sandbox, admin):
    _, _, seeded = province
    liaison = sandbox.users[seeded.liaison_of[seeded.names[7]]]
    await admin.command("stats_total")
    await admin.command("stats_total")
    await admin.command("stats_total")
    await admin.wait_reply(count=12, timeout=120)
    await liaison.command("help")                 # while the coordinator's run is paced
    (helped,) = await liaison.wait_reply(timeout=30)
    await admin.wait_quiet(3.0, timeout=120)
    to_admin = [sent for sent in sandbox.sent if sent.chat_id == admin.id]
    workbooks = [sent for sent in to_admin if sent.document is not None]
    assert len(workbooks) == 3                    # every workbook sent
    assert len(to_admin) > 20                     # more than the sandbox lets through at once
    # the liaison's answer did not wait for the coordinator's run to end
    assert sandbox.sent.index(helped) < sandbox.sent.index(to_admin[-1])
    assert sandbox.stats["429 chat"] == 0
    assert_within_limits(sandbox)
