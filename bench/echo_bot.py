"""A bare python-telegram-bot echo bot: the baseline for bench/update_throughput.py."""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, MessageHandler, filters


async def echo(update: Update, context) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def main() -> None:
    app = (ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"])
           .base_url(os.environ["TELEGRAM_API_BASE_URL"])
           .concurrent_updates(int(os.environ.get("ECHO_CONCURRENCY", "1")))
           .build())
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
