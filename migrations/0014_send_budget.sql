-- One send budget for all the bot's processes (issue 18): a row per process that takes part,
-- the slots it may hold in any sliding second of Telegram's (``reserved``: never less than
-- what it holds now or may take before its next lease) and how many it would use (``want``);
-- ``*_free``: the same for sends without allow_paid_broadcast when paid broadcasts are on.
-- ``expires_at``: the server's clock, milliseconds since 1970; a row past it holds nothing
-- (its process stopped renewing: it takes no slot from then on). bot.scale.budget.
CREATE TABLE send_lease (
    process_id    TEXT PRIMARY KEY,
    reserved      INTEGER NOT NULL DEFAULT 0,
    want          INTEGER NOT NULL DEFAULT 0,
    reserved_free INTEGER NOT NULL DEFAULT 0,
    want_free     INTEGER NOT NULL DEFAULT 0,
    expires_at    INTEGER NOT NULL DEFAULT 0
);
