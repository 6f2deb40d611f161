-- Album claims name their owner (issue 18): the bot_process row of the process that claimed
-- the album. A claim whose owner stopped, or whose heartbeat is stale, is taken over at once
-- (bot.storage.albums); the 120 s lease stays the rule for a claim with no owner.
ALTER TABLE album ADD COLUMN claimed_by TEXT;
-- the process space a process ran in (the machine's boot and its pid namespace): a process
-- may ask the kernel whether a peer of the same space still runs (bot.scale.identity)
ALTER TABLE bot_process ADD COLUMN pid_space TEXT;
