"""Command line: ``safety-month-bot`` (or ``python -m bot``), the bot and its operator's
commands. Settings come from the environment or ``.env`` (see ``.env.example``)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import replace
from pathlib import Path

from bot import __version__
from bot.config import (
    POSTGRES_SCHEMES,
    ConfigError,
    data_dir_from,
    database_url_from,
    environment,
    load_settings,
    log_level_from,
)
from bot.ops import logs

COMMANDS = {
    "run": "run the bot: long polling with TELEGRAM_BOT_TOKEN (the default command)",
    "demo": "play the week in the local Telegram sandbox: no token, no network",
    "check": "check the settings, Telegram, the data folder, the database and the media store",
    "backup": "back up the data folder, the bot running or not",
    "restore": "restore a backup into an empty data folder",
}


def parser() -> argparse.ArgumentParser:
    program = "python -m bot" if Path(sys.argv[0]).name == "__main__.py" else "safety-month-bot"
    top = argparse.ArgumentParser(
        prog=program, description="The Safety Production Month liaison bot and its operator's "
        "commands. Settings come from the environment or .env (see .env.example).")
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    top.add_argument("-v", "--verbose", action="store_true",
                     help="log debug messages (as BOT_LOG_LEVEL=DEBUG)")
    verbose = argparse.ArgumentParser(add_help=False)     # also after the command's name
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log debug messages (as BOT_LOG_LEVEL=DEBUG)")
    commands = top.add_subparsers(dest="command", metavar="command", title="commands")
    for name, summary in COMMANDS.items():
        command = commands.add_parser(name, help=summary, description=summary,
                                      parents=[verbose])
        if name == "demo":
            command.add_argument("--keep", metavar="DIR", type=Path,
                                 help="leave the data folder, the exports and the media in DIR")
        elif name == "backup":
            command.add_argument("dest", metavar="DEST", type=Path,
                                 help="the backup folder (snapshots and the media they share)")
        elif name == "run":
            command.add_argument("--allow-empty-database", action="store_true",
                                 help="start on an empty database although the media store "
                                      "holds files (as BOT_ALLOW_EMPTY_DATABASE=1)")
        elif name == "restore":
            command.add_argument("source", metavar="SRC", type=Path,
                                 help="a backup folder (its newest snapshot) or one snapshot")
            command.add_argument("--force", action="store_true",
                                 help="restore into a data folder that is not empty (its "
                                      "database is kept aside)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "run"
    merged = environment()
    try:
        level = logging.DEBUG if args.verbose else log_level_from(merged)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if command == "demo":
        from bot.demo import play

        logs.configure(logging.DEBUG if args.verbose else logging.WARNING)
        return asyncio.run(play(args.keep))
    # the operator's commands print what they found; their logs are only for trouble
    redacting = logs.configure(level if command == "run" or args.verbose
                               else max(level, logging.WARNING))
    if command == "check":
        from bot.ops import check

        return check.main()
    if command in ("backup", "restore"):
        try:
            url = database_url_from(merged)
        except ConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if url and url.startswith(POSTGRES_SCHEMES):
            how = "back it up with pg_dump -Fc" if command == "backup" else \
                "restore it with pg_restore"
            print(f"{command}: the database is PostgreSQL (BOT_DATABASE_URL): {how}, and copy "
                  "the media folder with rsync (README: Scale-out, Backups)", file=sys.stderr)
            return 2
    if command == "backup":
        from bot.ops import backup

        return backup.main(data_dir_from(merged), args.dest)
    if command == "restore":
        from bot.ops import restore

        return restore.main(args.source, data_dir_from(merged), args.force)

    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    redacting.secrets.add(settings.token)
    if getattr(args, "allow_empty_database", False):
        settings = replace(settings, allow_empty_database=True)
    from telegram.error import InvalidToken

    from bot.app import build_app
    from bot.ops.datafile import EXIT_REFUSED, StartRefused
    from bot.runtime import EXIT_TOKEN_REFUSED, serve

    try:
        return asyncio.run(serve(build_app(settings)))
    except StartRefused as error:
        logging.getLogger("bot.ops.datafile").critical("refusing to start: %s", error)
        return EXIT_REFUSED
    except InvalidToken:
        logging.getLogger("bot.runtime").critical(
            "Telegram refused the bot token at start-up (revoked? see @BotFather)")
        return EXIT_TOKEN_REFUSED


if __name__ == "__main__":
    sys.exit(main())
