-- Messages someone is waiting for go before the mass sends queued ahead of them: a
-- coordinator's digest, a broadcast's report, a notice about one unit's own submission, a
-- coordinator's "remind now". At a province's size a prompt or an announcement fills the
-- outbox with a row per liaison (100,000: 55 minutes at 30 a second), and in id order the
-- digest of the same tick would wait behind all of them.
-- priority: 0 first (someone waits for it), 1 in turn (prompts, reminders, announcements,
-- broadcasts: the same text to many). The sender takes pending rows by (priority, id).
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
DROP INDEX outbox_state;
CREATE INDEX outbox_queue ON outbox(state, priority, id);
