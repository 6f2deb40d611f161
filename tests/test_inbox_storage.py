"""The inbox and the shared state as several processes use them (bot.scale.shared): a batch
stored in one statement, several chats' waiting updates read in one, many "handled" marks
in one, a user's conversation states and data read together."""

from __future__ import annotations

import json

from bot.storage.inbox import StoredUpdate


def update(update_id: int, chat_id: int | None) -> StoredUpdate:
    return StoredUpdate(update_id, chat_id, json.dumps(
        {"update_id": update_id, "message": {"text": f"第{update_id}条"}}, ensure_ascii=False))


async def test_a_batch_is_stored_once_and_read_back_per_chat_in_order(storage):
    inbox = storage.inbox
    first = [update(1, 10), update(2, 20), update(3, 10)]
    assert await inbox.store(first) == first
    # a batch fetched again after a crash, with one new update, one repeated inside it
    again = [update(2, 20), update(4, None), update(4, None), update(5, 10)]
    assert await inbox.store(again) == [again[1], again[3]]
    assert await inbox.unhandled_of_chats([10, None]) == \
        [first[0], first[2], again[1], again[3]]
    assert await inbox.unhandled_of_chats([20]) == [first[1]]
    assert await inbox.unhandled_of_chats([]) == []
    await inbox.mark_handled([1, 4, 5])
    assert await inbox.unhandled_of_chats([10, 20, None]) == [first[1], first[2]]
    assert await inbox.waiting_chats() == [20, 10]
    assert [stored.raw for stored in await inbox.unhandled()] == \
        [first[1].raw, first[2].raw]            # the JSON as it was given
    await inbox.mark_handled(list(range(1, 1200)))   # more ids than one statement takes
    assert await inbox.unhandled() == []
    assert await inbox.next_offset() == 6


async def test_shared_state_reads_the_conversations_and_the_user_data_together(storage):
    state = storage.conversations
    await state.set_conversation("profile", (7, 7), 2)
    await state.set_conversation("event", (7, 7), {"step": "place"})
    await state.set_conversation("profile", (8, 8), 1)
    drafts = {"pending": {"ab12": {"group": None, "items": []}}}
    await state.set_user_data(7, drafts)
    keys = [("profile", "[7, 7]"), ("event", "[7, 7]"), ("stats", "[7, 7]")]
    states, data = await state.shared_state(keys, 7)
    assert states == {("profile", "[7, 7]"): 2, ("event", "[7, 7]"): {"step": "place"}}
    assert data == drafts
    states, data = await state.shared_state([("profile", "[8, 8]")], 8)
    assert states == {("profile", "[8, 8]"): 1} and data is None
    assert await state.shared_state([], 7) == ({}, drafts)
    assert await state.shared_state(keys, None) == (
        {("profile", "[7, 7]"): 2, ("event", "[7, 7]"): {"step": "place"}}, None)
    assert await state.shared_state([], None) == ({}, None)


async def test_batches_of_every_length_store_mark_and_read_each_update_once(storage):
    """Batches and id lists are lengthened to a few sizes by repeating their last entry
    (bot.storage.db.padded): the repeats store, read and mark nothing twice."""
    inbox = storage.inbox
    next_id = 1
    for size in range(1, 10):
        batch = [update(next_id + n, 100 + n) for n in range(size)]
        next_id += size
        assert await inbox.store(batch) == batch
        assert await inbox.unhandled_of_chats([100 + n for n in range(size)]) == \
            sorted(await inbox.unhandled(), key=lambda stored: stored.update_id)
        assert len(await inbox.unhandled()) == size
        await inbox.mark_handled([stored.update_id for stored in batch])
        assert await inbox.unhandled() == []
    rows = await storage.db.fetchone("SELECT count(*), count(DISTINCT update_id) FROM inbox")
    assert tuple(rows) == (next_id - 1, next_id - 1)


async def test_updates_without_a_chat_are_read_beside_a_padded_list_of_chats(storage):
    """Three chats and the updates with no chat: the chats' list is padded to four, and
    the updates with no chat are still read (the padding must not stand in for them)."""
    inbox = storage.inbox
    batch = [update(1, 10), update(2, 20), update(3, 30), update(4, None)]
    assert await inbox.store(batch) == batch
    assert [stored.update_id for stored in
            await inbox.unhandled_of_chats([10, 20, 30, None])] == [1, 2, 3, 4]
    assert [stored.update_id for stored in await inbox.unhandled_of_chats([None])] == [4]
