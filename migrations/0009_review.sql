-- The review desk (bot/review/): returns for revision and comments on a submission.
-- A return keeps every step: who returned it, when, why, the grace it was given, and when it
-- came back. While a return is open (resubmitted_at IS NULL) the submission does not deliver
-- (bot/storage/submissions.py: DELIVERED). The resubmission is a new version of the same
-- submission: the items before it get item.superseded_at, and resubmission_id names the first
-- item of the new version.
CREATE TABLE submission_return (
    id                    INTEGER PRIMARY KEY,
    submission_id         INTEGER NOT NULL REFERENCES submission(id),
    returned_by           INTEGER NOT NULL,
    returned_at           TEXT NOT NULL,
    reason                TEXT NOT NULL,
    grace_until           TEXT NOT NULL,
    resubmitted_at        TEXT,
    resubmission_id       INTEGER,
    original_late_seconds INTEGER,      -- the submission's lateness when it was returned
    late_seconds          INTEGER       -- the resubmission's: NULL on time, else from returned_at
);
CREATE INDEX submission_return_submission ON submission_return(submission_id);

CREATE TABLE submission_comment (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submission(id),
    author_id     INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    text          TEXT NOT NULL
);
CREATE INDEX submission_comment_submission ON submission_comment(submission_id);

ALTER TABLE item ADD COLUMN superseded_at TEXT;
