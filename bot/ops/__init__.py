"""What an operator runs besides the bot: ``check`` (is this configuration able to run?),
``backup`` and ``restore``, and the log set-up every command shares."""
