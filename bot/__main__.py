"""Command line: ``python -m bot`` runs the bot; ``python -m bot demo`` plays a scene."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import ConfigError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "demo"],
                        help="run: long polling with TELEGRAM_BOT_TOKEN; demo: no token needed")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)

    if args.command == "demo":
        from bot.demo import play

        logging.getLogger().setLevel(logging.WARNING if not args.verbose else logging.DEBUG)
        return asyncio.run(play())

    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from bot.app import build_app
    from bot.runtime import serve

    asyncio.run(serve(build_app(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
