"""Pure building blocks: the clock, what is due when, the vocabulary, date grammar and
validation. No I/O, no Telegram."""
