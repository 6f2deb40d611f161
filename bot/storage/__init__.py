"""Storage: the database and one repository per entity. All SQL lives in this package."""

from __future__ import annotations

from pathlib import Path

from bot.kernel.clock import Clock, from_iso, system_clock
from bot.kernel.schedule import Deadline, lateness
from bot.storage.albums import Albums
from bot.storage.audience import Audience
from bot.storage.broadcasts import Broadcasts
from bot.storage.campaigns import Campaigns
from bot.storage.coordinators import Coordinators
from bot.storage.db import connect_database
from bot.storage.inbox import Inbox
from bot.storage.invites import Invites
from bot.storage.liaisons import Liaisons
from bot.storage.message_history import MessageHistory
from bot.storage.outbox import Outbox
from bot.storage.people import People
from bot.storage.processes import Processes
from bot.storage.reminders import DeskReminders
from bot.storage.reviews import Reviews
from bot.storage.roles import Roles
from bot.storage.scheduler import SchedulerMarks
from bot.storage.scoring import Scoring
from bot.storage.send_budget import SendBudgetStore
from bot.storage.state import ConversationStore
from bot.storage.stats import Stats
from bot.storage.submissions import Submissions
from bot.storage.units import Units


class Storage:
    """Built cheaply (no I/O); :meth:`open` connects and migrates."""

    def __init__(self, database: Path | str, clock: Clock = system_clock) -> None:
        """``database``: a SQLite file or a ``postgresql://`` URL."""
        self.db = connect_database(database)
        self.clock = clock
        self.people = People(self.db, clock)
        self.units = Units(self.db, clock)
        self.invites = Invites(self.db, clock)
        self.coordinators = Coordinators(self.db, clock)
        self.liaisons = Liaisons(self.db, clock)
        self.roles = Roles(self.db)
        self.conversations = ConversationStore(self.db)
        self.campaigns = Campaigns(self.db, clock)
        self.submissions = Submissions(self.db, clock)
        self.outbox = Outbox(self.db, clock)
        self.audience = Audience(self.db)
        self.broadcasts = Broadcasts(self.db, clock)
        self.scheduler = SchedulerMarks(self.db)
        self.inbox = Inbox(self.db, clock)
        self.processes = Processes(self.db)    # issue 18: heartbeats
        self.send_budget = SendBudgetStore(self.db)   # issue 18: PostgreSQL only
        self.desk_reminders = DeskReminders(self.db, clock)
        self.stats = Stats(self.db, clock)
        self.message_history = MessageHistory(self.db)
        self.albums = Albums(self.db)
        self.scoring = Scoring(self.db, clock)
        self.reviews = Reviews(self.db, clock)

    async def open(self) -> None:
        await self.db.open()

    async def delivered(self, deadline: Deadline) -> dict[int, int | None]:
        """Who delivered for a deadline: unit id -> seconds late (None: on time). The one
        rule the scheduler, the desk and /mystatus all ask.

        A nil report or an item not withdrawn delivers (``Submissions.delivered_units``,
        which also counts a unit's first statistics entry for the ``statistics`` table); the
        liaison registration is delivered by the unit's first liaison registering, besides
        any submission stored for it."""
        found = await self.submissions.delivered_units(deadline.deliverable_id, deadline.period)
        if deadline.key == "registration":
            for unit_id, registered_at in (await self.liaisons.first_registered()).items():
                found.setdefault(unit_id, lateness(deadline, from_iso(registered_at)))
        return found

    async def close(self) -> None:
        await self.db.close()
