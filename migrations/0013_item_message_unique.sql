-- A liaison's Telegram message is recorded once (issue 18, photo intake's cost): the index
-- of 0007 becomes unique, so recording an item is one INSERT … ON CONFLICT DO NOTHING and a
-- replayed update finds its item only when that insert stored nothing (was: a look-up
-- before every insert). Items without a message id or a liaison (older rows, files a
-- restore recorded) stay apart: NULLs never conflict. add_items has always looked the pair
-- up before inserting, inside its write transaction, so no database holds a duplicate.
DROP INDEX item_liaison_message;
CREATE UNIQUE INDEX item_liaison_message ON item(liaison_id, message_id);
