"""Which commands each role sees in Telegram's menu (``setMyCommands`` per chat, per language)."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.texts import LANGUAGES, Texts

log = logging.getLogger(__name__)

EVERYONE = ("start", "help", "lang", "cancel")
LIAISON = ("plan", "summary", "event", "mysubmissions", "stats", "stats_xlsx", "profile",
           "mystatus")
COORDINATOR = ("units", "addunit", "invite", "addcoordinator",
               "status", "missing", "roster", "export", "photos", "late",
               "stats_total", "stats_unit", "stats_form", "campaign", "deadline", "broadcast",
               "review", "ranking", "bulletin", "scoring")


def command_names(roles: frozenset[str]) -> list[str]:
    names = list(EVERYONE)
    if "liaison" in roles:
        names += LIAISON
    if "coordinator" in roles:
        names += COORDINATOR
    return names


def menu(texts: Texts, language: str, roles: frozenset[str]) -> list[BotCommand]:
    return [BotCommand(name, texts.get(language, f"commands.{name}"))
            for name in command_names(roles)]


async def publish_defaults(bot, texts: Texts, default_language: str) -> None:
    """The menu of someone the bot does not know yet: in the default language and in each."""
    await bot.set_my_commands(menu(texts, default_language, frozenset()),
                              scope=BotCommandScopeDefault())
    for language in LANGUAGES:
        await bot.set_my_commands(menu(texts, language, frozenset()),
                                  scope=BotCommandScopeDefault(), language_code=language)


async def publish_for_chat(bot, texts: Texts, chat_id: int, language: str,
                           roles: frozenset[str]) -> None:
    """This chat's menu for its roles in its chosen language (failures are only logged)."""
    try:
        await bot.set_my_commands(menu(texts, language, roles),
                                  scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:
        log.warning("could not set commands for chat %s: %s", chat_id, error)
