-- The campaign calendar and what units deliver against it.
-- Dates and times of rules are local to the campaign's time zone ("YYYY-MM-DD", "HH:MM");
-- instants are UTC ISO-8601 with offset.
-- A period is not stored: its key is derived from the rule (see bot/schedule.py):
--   weekly  -> the nominal due date, e.g. '2026-06-04' (stable when the deadline is moved)
--   monthly -> the month, e.g. '2026-07'
--   once    -> 'once'
--   event   -> 'event-<n>' (each event report is its own submission)

CREATE TABLE campaign (
    id         INTEGER PRIMARY KEY,
    year       INTEGER NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    theme      TEXT NOT NULL DEFAULT '',
    starts_on  TEXT NOT NULL,
    ends_on    TEXT NOT NULL,
    timezone   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER
);

CREATE TABLE deliverable (
    id               INTEGER PRIMARY KEY,
    campaign_id      INTEGER NOT NULL REFERENCES campaign(id),
    key              TEXT NOT NULL,   -- registration, plan, weekly, monthly_case, summary, statistics, event
    kind             TEXT NOT NULL CHECK (kind IN ('once', 'weekly', 'monthly', 'anytime')),
    position         INTEGER NOT NULL DEFAULT 0,
    due_date         TEXT,            -- once
    weekday          INTEGER,         -- weekly: 0 = Monday … 6 = Sunday
    month_day        INTEGER,         -- monthly: day of month; NULL = last day
    due_time         TEXT,            -- 'HH:MM'
    first_date       TEXT,            -- weekly / monthly: first and last nominal dates (inclusive)
    last_date        TEXT,
    prompt_time      TEXT,            -- weekly: prompt on the due day at this time
    reminder_minutes TEXT NOT NULL DEFAULT '[]',   -- JSON list: minutes before the deadline
    overdue_days     INTEGER NOT NULL DEFAULT 3,
    shift_holidays   INTEGER NOT NULL DEFAULT 1,
    updated_at       TEXT NOT NULL,
    UNIQUE (campaign_id, key)
);

-- A coordinator's change of one single date: the nominal date's deadline moves to due_local.
CREATE TABLE deadline_override (
    deliverable_id INTEGER NOT NULL REFERENCES deliverable(id),
    nominal_date   TEXT NOT NULL,
    due_local      TEXT NOT NULL,   -- 'YYYY-MM-DDTHH:MM' in the campaign's time zone
    set_by         INTEGER,
    set_at         TEXT NOT NULL,
    PRIMARY KEY (deliverable_id, nominal_date)
);

CREATE TABLE submission (
    id                INTEGER PRIMARY KEY,
    unit_id           INTEGER NOT NULL REFERENCES unit(id),
    deliverable_id    INTEGER NOT NULL REFERENCES deliverable(id),
    period            TEXT NOT NULL,
    state             TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'nil', 'withdrawn')),
    nil_reason        TEXT,
    meta              TEXT,            -- JSON: e.g. an event's title, date and place
    first_received_at TEXT NOT NULL,   -- Telegram's message date of the first item
    last_received_at  TEXT NOT NULL,
    late_seconds      INTEGER,         -- NULL when the first delivery was on time
    liaison_id        INTEGER REFERENCES liaison(id),
    UNIQUE (unit_id, deliverable_id, period)
);
CREATE INDEX submission_deliverable_period ON submission(deliverable_id, period, unit_id);

CREATE TABLE item (
    id             INTEGER PRIMARY KEY,
    submission_id  INTEGER NOT NULL REFERENCES submission(id),
    kind           TEXT NOT NULL CHECK (kind IN ('text', 'photo', 'video', 'document')),
    text           TEXT,             -- the text, or the caption
    media_sha256   TEXT,             -- NULL when not archived
    thumb_sha256   TEXT,
    file_id        TEXT,
    file_unique_id TEXT,
    file_name      TEXT,
    mime_type      TEXT,
    size           INTEGER,
    archived       TEXT NOT NULL DEFAULT 'none'
                   CHECK (archived IN ('none', 'pending', 'yes', 'too_big', 'failed')),
    media_group_id TEXT,
    message_id     INTEGER,
    received_at    TEXT NOT NULL,    -- Telegram's message date
    late_seconds   INTEGER,
    withdrawn_at   TEXT,
    liaison_id     INTEGER REFERENCES liaison(id)
);
CREATE INDEX item_submission ON item(submission_id);
CREATE INDEX item_unique_file ON item(file_unique_id);
