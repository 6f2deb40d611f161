-- "Remind them now" presses on the coordinator's desk: at most one an hour per
-- deliverable and period (the row is written before the reminders go out).
CREATE TABLE desk_reminder (
    id             INTEGER PRIMARY KEY,
    deliverable_id INTEGER NOT NULL REFERENCES deliverable(id),
    period         TEXT NOT NULL,
    pressed_by     INTEGER NOT NULL,
    scope_unit_id  INTEGER REFERENCES unit(id),   -- NULL: every unit
    pressed_at     TEXT NOT NULL,
    recipients     INTEGER NOT NULL DEFAULT 0,
    reached        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX desk_reminder_period ON desk_reminder(deliverable_id, period, pressed_at);
