-- Foundation: people, units, coordinators, invites, liaisons, persisted conversation state.
-- Every timestamp is UTC ISO-8601 with offset.

CREATE TABLE person (
    telegram_id  INTEGER PRIMARY KEY,
    chat_id      INTEGER NOT NULL,
    first_name   TEXT NOT NULL DEFAULT '',
    username     TEXT,
    language     TEXT NOT NULL DEFAULT 'zh',
    language_set INTEGER NOT NULL DEFAULT 0,   -- 1 once chosen with /lang
    reachable    INTEGER NOT NULL DEFAULT 1,   -- 0 after a 403 "blocked by the user"
    first_seen   TEXT NOT NULL
);

CREATE TABLE unit (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    parent_id  INTEGER REFERENCES unit(id),
    created_at TEXT NOT NULL,
    created_by INTEGER
);
CREATE INDEX unit_parent ON unit(parent_id);

-- Invite codes: a unit's current join link (reusable until replaced) or a one-time
-- coordinator invitation (optionally scoped to a unit).
CREATE TABLE invite (
    code       TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('unit', 'coordinator')),
    unit_id    INTEGER REFERENCES unit(id),
    created_by INTEGER,
    created_at TEXT NOT NULL,
    used_by    INTEGER,
    used_at    TEXT,
    revoked_at TEXT
);
CREATE INDEX invite_unit ON invite(unit_id, kind);
CREATE UNIQUE INDEX one_live_unit_code ON invite(unit_id) WHERE kind = 'unit' AND revoked_at IS NULL;

CREATE TABLE coordinator (
    person_id     INTEGER PRIMARY KEY REFERENCES person(telegram_id),
    scope_unit_id INTEGER REFERENCES unit(id),   -- NULL: everything
    added_by      INTEGER,
    added_at      TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE liaison (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES unit(id),
    person_id     INTEGER NOT NULL REFERENCES person(telegram_id),
    name          TEXT NOT NULL,
    gender        TEXT,
    position      TEXT,
    office_phone  TEXT,
    mobile        TEXT NOT NULL,
    fax           TEXT,
    qq            TEXT,
    wechat        TEXT,
    email         TEXT,
    address       TEXT,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'active', 'replaced', 'rejected')),
    registered_at TEXT NOT NULL,
    decided_at    TEXT,
    decided_by    INTEGER
);
CREATE UNIQUE INDEX one_active_liaison_per_unit ON liaison(unit_id) WHERE status = 'active';
CREATE UNIQUE INDEX one_open_liaison_role_per_person ON liaison(person_id)
    WHERE status IN ('pending', 'active');
CREATE INDEX liaison_unit_status ON liaison(unit_id, status);

-- python-telegram-bot persistence: conversation states and per-user drafts.
CREATE TABLE conversation_state (
    name  TEXT NOT NULL,
    key   TEXT NOT NULL,      -- JSON array of the conversation key
    state TEXT NOT NULL,      -- JSON
    PRIMARY KEY (name, key)
);

CREATE TABLE user_data (
    user_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL     -- JSON object
);
