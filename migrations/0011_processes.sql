-- Several bot processes sharing the work (issue 18): one row per process that ran, its
-- heartbeat and whether it leads (polls getUpdates, runs the scheduler, drains the outbox).
-- Times are UTC ISO-8601 text (wall clock, whatever clock the campaign runs on).
CREATE TABLE bot_process (
    id         TEXT PRIMARY KEY,            -- host:pid:start
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    beat_at    TEXT NOT NULL,
    leader     INTEGER NOT NULL DEFAULT 0,  -- 1 while it holds the leader's lock
    handled    INTEGER NOT NULL DEFAULT 0,  -- updates it handled so far
    stopped_at TEXT                         -- a clean stop; NULL and an old beat: it died
);
CREATE INDEX bot_process_beat ON bot_process(beat_at);
CREATE INDEX inbox_unhandled_chat ON inbox(chat_id, update_id) WHERE handled_at IS NULL;
