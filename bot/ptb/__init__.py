"""The python-telegram-bot frame: typed context, access guards, button data, keyboards,
commands, persistence, the aiohttp request and the rate limiter."""
