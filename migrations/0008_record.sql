-- Issue 13 (a record nobody can lose or poison).
-- Albums are collected in the database, not in a process's memory: each part is stored while
-- its update is handled, so a restart loses none, and several processes share one quiet window.
-- quiet_until and claimed_until are wall-clock seconds (Unix time, REAL): the window is real
-- time, whatever clock the campaign runs on.
CREATE TABLE album (
    id             INTEGER PRIMARY KEY,
    chat_id        INTEGER NOT NULL,
    person_id      INTEGER NOT NULL,
    media_group_id TEXT NOT NULL,
    purpose        TEXT NOT NULL,      -- who takes the settled parts: 'intake', 'event'
    data           TEXT,               -- JSON kept with the parts (intake: a fixed target)
    quiet_until    REAL NOT NULL,      -- no part came since: settled after this instant
    claimed_until  REAL,               -- a process is handling the parts until then
    attempts       INTEGER NOT NULL DEFAULT 0,   -- claims not finished (crashes) in a row
    UNIQUE (chat_id, media_group_id)
);
CREATE TABLE album_part (
    album_id   INTEGER NOT NULL REFERENCES album(id),
    message_id INTEGER NOT NULL,
    incoming   TEXT NOT NULL,          -- bot.intake.routing.Incoming as JSON
    done       INTEGER NOT NULL DEFAULT 0,      -- handled as part of a settled burst
    PRIMARY KEY (album_id, message_id)
);
CREATE INDEX album_part_waiting ON album_part(album_id) WHERE done = 0;
-- A file whose archiving was cut short is retried from its file_id, a few times.
ALTER TABLE item ADD COLUMN archive_attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX item_pending ON item(archived) WHERE archived = 'pending';
-- An update whose handling was cut short by a crash is replayed once, alone; a second time it
-- is set aside (poisoned_at) and its sender told.
ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN poisoned_at TEXT;
