"""The typed context every handler receives: ``context.storage``, ``context.texts``, ..."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.config import Settings
from bot.kernel.clock import Clock, system_clock
from bot.kernel.words import Words
from bot.ptb.user_state import UserState, state_of
from bot.storage.models import Person

if TYPE_CHECKING:
    from bot.media.store import MediaStore
    from bot.outbox.sender import Sender
    from bot.scale.identity import Identity
    from bot.storage import Storage
    from bot.texts import Texts


@dataclass
class Services:
    """Shared services, set by ``build_app``; reached through :class:`BotContext`."""

    settings: Settings | None = None
    texts: Texts | None = None
    storage: Storage | None = None
    clock: Clock = system_clock
    sender: Sender | None = None
    schedule_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    export_part_bytes: int = 49_000_000   # bot.desk.export.PART_BYTES: under 50,000,000 bytes
    media: MediaStore | None = None
    # bot.intake.albums: who takes a settled album, by purpose ('intake', 'event')
    album_handlers: dict = field(default_factory=dict)
    # bot.intake.archive: item id -> the task archiving it in this process
    archiving: dict = field(default_factory=dict)
    # bot.ops.datafile: set when the database file was lost under the running bot
    halted: asyncio.Event = field(default_factory=asyncio.Event)
    # bot.scale.shared.Cluster: leadership and the shared inbox (issue 18); None in a bare app
    cluster: object | None = None
    # bot.scale.budget on PostgreSQL: this process's share of the token's send budget
    budget: object | None = None
    # bot.scale.identity: this process's heartbeat row id, the owner of the albums it claims
    process: Identity | None = None
    # bot.runtime: Telegram refused the token (401: revoked); the process exits non-zero
    token_refused: asyncio.Event = field(default_factory=asyncio.Event)


class BotContext(CallbackContext[ExtBot, dict, dict, Services]):
    person: Person | None = None

    @property
    def services(self) -> Services:
        return self.bot_data

    @property
    def settings(self) -> Settings:
        assert self.bot_data.settings is not None
        return self.bot_data.settings

    @property
    def texts(self) -> Texts:
        assert self.bot_data.texts is not None
        return self.bot_data.texts

    @property
    def storage(self) -> Storage:
        assert self.bot_data.storage is not None
        return self.bot_data.storage

    @property
    def media(self) -> MediaStore:
        assert self.bot_data.media is not None
        return self.bot_data.media

    @property
    def clock(self) -> Clock:
        return self.bot_data.clock

    @property
    def sender(self) -> Sender:
        assert self.bot_data.sender is not None
        return self.bot_data.sender

    @property
    def user_state(self) -> UserState:
        """``user_data`` as declared in :mod:`bot.ptb.user_state` (the same dict)."""
        return state_of(self.user_data)

    @property
    def lang(self) -> str:
        return self.person.language if self.person else self.settings.language

    @property
    def words(self) -> Words:
        """The vocabulary in this user's language and the bot's time zone (the campaign's:
        it is created in the bot's)."""
        return Words(self.texts, self.lang, self.settings.timezone)

    def t(self, key: str, **params: object) -> str:
        """The text for ``key`` in the current user's language."""
        return self.texts.get(self.lang, key, **params)


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=Services, user_data=dict,
                             chat_data=dict)

BotApplication = Application[ExtBot, BotContext, dict, dict, Services, object]
