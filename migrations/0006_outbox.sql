-- Scheduled and broadcast messages: exactly once, through restarts.
--
-- Every prompt, reminder, overdue notice, digest and broadcast is written to the outbox
-- BEFORE it is sent; the unique key (deliverable, period, person, kind) makes a second
-- write of the same message do nothing. The sender moves a row
--   pending -> sending -> sent | failed | unreachable
-- and a row found in 'sending' at start-up (the bot stopped mid-send) becomes 'failed'
-- rather than risking a duplicate.
-- deliverable_id is 0 for messages about no single deliverable (announcements, broadcasts).
-- kind: 'prompt', 'announce', 'remind-<minutes>@<due>', 'overdue-<n>@<due>',
--       'digest@<due>' (with '#<part>' when split), 'broadcast', 'broadcast-report'.

CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    deliverable_id INTEGER NOT NULL DEFAULT 0,
    period         TEXT NOT NULL,
    person_id      INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    chat_id        INTEGER NOT NULL,
    text           TEXT NOT NULL,     -- rendered in the recipient's language (HTML)
    markup         TEXT,              -- JSON inline keyboard: [[[label, callback data], ...]]
    broadcast_id   INTEGER REFERENCES broadcast(id),
    state          TEXT NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unreachable')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    created_at     TEXT NOT NULL,
    sent_at        TEXT,
    UNIQUE (deliverable_id, period, person_id, kind)
);
CREATE INDEX outbox_state ON outbox(state, id);
CREATE INDEX outbox_broadcast ON outbox(broadcast_id, state);

-- A coordinator's announcement to the liaisons in scope (sent through the outbox).
CREATE TABLE broadcast (
    id            INTEGER PRIMARY KEY,
    text          TEXT NOT NULL,
    scope_unit_id INTEGER REFERENCES unit(id),   -- NULL: every unit
    created_by    INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    confirmed_at  TEXT,
    reported_at   TEXT
);

-- How far the scheduler has processed time: notices due after this instant and up to now
-- are handled at the next tick (start-up catch-up included).
CREATE TABLE scheduler_mark (
    name TEXT PRIMARY KEY,
    at   TEXT NOT NULL
);
