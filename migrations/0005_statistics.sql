-- The statistics table (attachment 2) as data: versioned form definitions and each unit's
-- entries against the version they were made with.

-- Every definition loaded is a new row; its id is the version shown to people and written
-- into the workbooks the bot sends. The latest row is the form new entries use.
CREATE TABLE stats_form (
    id          INTEGER PRIMARY KEY,
    form_key    TEXT NOT NULL,          -- the definition's own "id"
    campaign_id INTEGER REFERENCES campaign(id),   -- the campaign it was loaded for, if any
    definition  TEXT NOT NULL,          -- JSON, normalised (see bot/forms)
    sha256      TEXT NOT NULL,
    loaded_at   TEXT NOT NULL,
    loaded_by   INTEGER                 -- NULL: the package default
);

-- A unit's statistics. Resubmission supersedes the current entry; earlier ones are kept.
CREATE TABLE stats_entry (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES unit(id),
    form_id       INTEGER NOT NULL REFERENCES stats_form(id),
    campaign_id   INTEGER REFERENCES campaign(id),   -- NULL when no campaign existed
    figures       TEXT NOT NULL,        -- JSON object: figure key -> whole number, true/false or text
    via           TEXT NOT NULL CHECK (via IN ('chat', 'xlsx')),
    submitted_at  TEXT NOT NULL,        -- Telegram's message date (the document's, or the press)
    submitted_by  INTEGER,
    liaison_id    INTEGER REFERENCES liaison(id),
    late_seconds  INTEGER,              -- against the campaign's 'statistics' deadline
    superseded_at TEXT,
    superseded_by INTEGER REFERENCES stats_entry(id)
);
CREATE UNIQUE INDEX one_current_stats_entry
    ON stats_entry(unit_id, ifnull(campaign_id, 0)) WHERE superseded_at IS NULL;
CREATE INDEX stats_entry_unit ON stats_entry(unit_id, submitted_at);
