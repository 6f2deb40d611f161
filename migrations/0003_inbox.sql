-- Durable intake: each fetched batch of updates is stored before its offset is confirmed to
-- Telegram, and marked handled afterwards; a crash in between replays it on start-up.
CREATE TABLE inbox (
    update_id  INTEGER PRIMARY KEY,
    chat_id    INTEGER,
    raw        TEXT NOT NULL,      -- the update's JSON as Telegram sent it
    received_at TEXT NOT NULL,
    handled_at TEXT
);
CREATE INDEX inbox_unhandled ON inbox(update_id) WHERE handled_at IS NULL;
