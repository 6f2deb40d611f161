"""The bot's own settings: getMe, logOut / close, command lists per scope and language (and
which one a client shows), descriptions, the chat menu button.
"""

from __future__ import annotations

import json
import re

from bot.sandbox.records import JSONDict, bad_request


class BotSettingsMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): the bot's
    identity, ``commands``, ``descriptions``, ``short_descriptions``, ``menu_buttons``."""

    @staticmethod
    def scope_key(scope: JSONDict | str | None = None, chat_id: int | None = None) -> str:
        """Canonical key of a BotCommandScope (dict, type name, or None = default)."""
        if scope is None:
            scope = {"type": "default"}
        elif isinstance(scope, str):
            scope = {"type": scope}
        scope = dict(scope)
        if chat_id is not None:
            scope["chat_id"] = chat_id
        if isinstance(scope.get("chat_id"), str) and scope["chat_id"].lstrip("-").isdigit():
            scope["chat_id"] = int(scope["chat_id"])
        if isinstance(scope.get("user_id"), str) and scope["user_id"].isdigit():
            scope["user_id"] = int(scope["user_id"])
        return json.dumps(scope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def commands_for(self, chat_id: int | None = None, language_code: str = "") -> list[JSONDict]:
        """The command list a client would show in the private chat `chat_id`.

        Resolution order (like Telegram): chat scope + language, chat scope, then
        all_private_chats + language, all_private_chats, default + language, default.
        A language like ``zh-hans`` also matches commands set for ``zh``.
        """
        langs: list[str] = []
        if language_code:
            langs.append(language_code)
            base = language_code.split("-")[0]
            if base != language_code:
                langs.append(base)
        langs.append("")
        scopes: list[str] = []
        if chat_id is not None:
            scopes.append(self.scope_key("chat", chat_id))
        scopes += [self.scope_key("all_private_chats"), self.scope_key("default")]
        for scope in scopes:
            for lang in langs:
                found = self.commands.get((scope, lang))
                if found:
                    return [dict(c) for c in found]
        return []

    # ------------------------------------------------------------------ Bot API methods

    def _m_getme(self, p: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _m_logout(self, p: JSONDict) -> bool:
        return True

    def _m_close(self, p: JSONDict) -> bool:
        return True

    def _m_setmycommands(self, p: JSONDict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request('field "commands" must be an Array')
        if len(commands) > 100:
            raise bad_request("too many commands")
        clean = []
        for cmd in commands:
            if not isinstance(cmd, dict):
                raise bad_request("can't parse BotCommand")
            name = str(cmd.get("command", ""))
            desc = str(cmd.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": desc})
        key = (self.scope_key(p.get("scope")), str(p.get("language_code") or ""))
        if clean:
            self.commands[key] = clean
        else:
            self.commands.pop(key, None)
        return True

    def _m_getmycommands(self, p: JSONDict) -> list[JSONDict]:
        key = (self.scope_key(p.get("scope")), str(p.get("language_code") or ""))
        return [dict(c) for c in self.commands.get(key, [])]

    def _m_deletemycommands(self, p: JSONDict) -> bool:
        self.commands.pop((self.scope_key(p.get("scope")), str(p.get("language_code") or "")), None)
        return True

    def _m_setmydescription(self, p: JSONDict) -> bool:
        self.descriptions[str(p.get("language_code") or "")] = str(p.get("description") or "")
        return True

    def _m_getmydescription(self, p: JSONDict) -> JSONDict:
        lang = str(p.get("language_code") or "")
        return {"description": self.descriptions.get(lang, self.descriptions.get("", ""))}

    def _m_setmyshortdescription(self, p: JSONDict) -> bool:
        self.short_descriptions[str(p.get("language_code") or "")] = str(
            p.get("short_description") or ""
        )
        return True

    def _m_getmyshortdescription(self, p: JSONDict) -> JSONDict:
        lang = str(p.get("language_code") or "")
        return {
            "short_description": self.short_descriptions.get(
                lang, self.short_descriptions.get("", "")
            )
        }

    def _m_setchatmenubutton(self, p: JSONDict) -> bool:
        chat_id = p.get("chat_id")
        button = p.get("menu_button") or {"type": "default"}
        self.menu_buttons[int(chat_id) if chat_id is not None else None] = button
        return True

    def _m_getchatmenubutton(self, p: JSONDict) -> JSONDict:
        chat_id = p.get("chat_id")
        key = int(chat_id) if chat_id is not None else None
        return self.menu_buttons.get(key) or self.menu_buttons.get(None) or {"type": "commands"}
