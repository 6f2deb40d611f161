"""Running the application inside an existing event loop (the demo and the tests).

The same steps, in the same order, as ``Application.run_polling``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update

from bot.context import BotApplication


@asynccontextmanager
async def running(app: BotApplication, poll_timeout: int = 1) -> AsyncIterator[BotApplication]:
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=poll_timeout,
                                    allowed_updates=Update.ALL_TYPES)
    await app.start()
    try:
        yield app
    finally:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
