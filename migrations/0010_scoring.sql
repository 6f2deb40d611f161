-- Scoring (issue 17): the rules versions, the adoptions of submissions and the points ledger.

-- Every rules file loaded is a new row; its id is the version. The latest is in use; the
-- package default is inserted as version 1 on first use.
CREATE TABLE scoring_rules (
    id          INTEGER PRIMARY KEY,
    rules_key   TEXT NOT NULL,          -- the file's own "id"
    definition  TEXT NOT NULL,          -- JSON, normalised (bot/scoring/rules.py)
    sha256      TEXT NOT NULL,
    loaded_at   TEXT NOT NULL,
    loaded_by   INTEGER                 -- NULL: the package default
);

-- A coordinator's 采用 of a submission at one level (a level key of the rules).
CREATE TABLE adoption (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submission(id),
    level         TEXT NOT NULL,
    adopted_by    INTEGER NOT NULL,
    adopted_at    TEXT NOT NULL,
    UNIQUE (submission_id, level)
);
CREATE INDEX adoption_submission ON adoption(submission_id);

-- The points ledger. One row per point awarded or deducted, for one event of one unit
-- ("adoption:<id>", "late:<deliverable>:<period>", "missing:<deliverable>:<period>",
-- "returned:<return id>"), by the rule ("levels.county_bulletin", "deductions.weekly.late")
-- of the rules version in use. Re-scoring supersedes rows and adds new ones: a row is never
-- changed otherwise, and one row per unit and event is current.
CREATE TABLE score_entry (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER NOT NULL REFERENCES unit(id),
    event          TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('adoption', 'late', 'missing', 'returned')),
    rule           TEXT NOT NULL,
    points         REAL NOT NULL,
    rules_version  INTEGER NOT NULL REFERENCES scoring_rules(id),
    submission_id  INTEGER REFERENCES submission(id),
    deliverable_id INTEGER REFERENCES deliverable(id),
    period         TEXT,
    occurred_at    TEXT NOT NULL,       -- the adoption, the deadline or the return's grace end
    recorded_at    TEXT NOT NULL,
    superseded_at  TEXT,
    superseded_by  INTEGER
);
CREATE UNIQUE INDEX one_current_score_entry ON score_entry(unit_id, event)
    WHERE superseded_at IS NULL;
CREATE INDEX score_entry_unit ON score_entry(unit_id, occurred_at);
