-- A replayed update (a crash between storing it and marking it handled) must not record the
-- same message twice: items are looked up by the liaison and Telegram's message id.
CREATE INDEX item_liaison_message ON item(liaison_id, message_id);
