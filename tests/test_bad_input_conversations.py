"""Random text at every step of every conversation but the registration form's first pass
(that walk is in tests/test_bad_input.py): /campaign, /deadline, /stats, /event, a nil report
and /plan's sending mode, /profile, /broadcast, and messages outside any conversation.

Every junk message gets an answer, never the catalog's generic error; a junk answer is
refused exactly when it is not a valid answer for the step; the conversation then completes
with valid answers; and what is stored — read back through the bot's own commands or the
storage API — is exactly what was accepted, free of control characters. HTML typed anywhere
shows literally later (no message ever fails to parse).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.campaign.calendar_text import parse_change
from bot.intake.events import event_date
from bot.kernel import validation
from bot.kernel.dates import parse_local_datetime
from bot.kernel.schedule import ONCE, WEEKLY, deadlines, default_rules
from bot.sandbox import FakeTelegram, Sent, SimUser, format_text
from bot.stats.forms import BadValue, parse_definition, parse_value
from bot.storage.dialect import NUL_STORED
from bot.texts import Texts
from tests import backends
from tests.conftest import ADMIN_ID, BotUnderTest, answer
from tests.test_bad_input import NASTY

TZ = ZoneInfo("Asia/Shanghai")
MAY_20 = datetime(2026, 5, 20, 9, 0, tzinfo=TZ)   # before the campaign: nothing comes due
JUNE_4 = datetime(2026, 6, 4, 9, 0, tzinfo=TZ)    # the first week's prompt has gone
TEXTS = Texts.load()

# Commands that start, leave or switch a conversation on purpose are not noise; any other
# "/word" is (it must get the unknown-command answer, or the form's "finish first").
LEAVING = ("/cancel", "/start", "/profile", "/stats", "/event", "/plan", "/summary", "/done",
           "/campaign", "/deadline", "/broadcast", "/help", "/lang", "/mysubmissions",
           "/mystatus", "/units", "/addunit", "/invite", "/addcoordinator", "/status",
           "/missing", "/roster", "/late", "/export", "/photos")
MORE_NASTY = [
    "🙂" * 2042,              # 4,084 UTF-16 units: "/broadcast " + this is a full message
    "/nonsense", "\n\n", "0", "是", "-5", "２０", "1e3", "6月31日", "25:00", "06-02 24:61",
    "<b>未闭合", "&lt;&gt;", "NULL", "' OR '1'='1", "\u200b", "\x1b[31m红\x1b[0m",
]
# accepted wherever free text is: control characters must not be stored, the HTML must show
MIXED = "\x1b[31m<b>红</b>\x1b[0m & \x00 <a href='x'>"
junk = st.one_of(
    st.sampled_from(NASTY + MORE_NASTY),
    st.text(min_size=1, max_size=300).filter(
        lambda text: text.strip(" ") != "" and not text.lower().startswith(LEAVING)),
)
# three random walks and the explicit examples each; the longest walks two (time: the whole
# suite runs on two cores)
WALK = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
LONG_WALK = settings(WALK, max_examples=2)


def noise(size: int):
    return st.lists(junk, min_size=size, max_size=size)


# --------------------------------------------------------------------------- reading replies

def plain(key: str, **params: object) -> str:
    """A catalog text as the user sees it (HTML parsed, ends stripped)."""
    return format_text(TEXTS.get("zh", key, **params), "HTML", None)[0]


ERROR = plain("general.error")
UNKNOWN = plain("common.unknown_command")


def seen(sent: Sent) -> str:
    return (sent.plain_text if sent.plain_text is not None else sent.text) or ""


def is_command(text: str) -> bool:
    """What the sandbox (and Telegram) marks as a /command."""
    return text.startswith("/") and len(text.split(maxsplit=1)[0]) >= 2


def tidy(text: str) -> str:
    """What a free-text answer should be stored as: no control characters (a line break or
    a tab is a space), single spaces, no spaces at the ends."""
    kept = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) != "Cc")
    return " ".join(kept.split())


def clean(stored: str | None) -> bool:
    """Stored free text is valid: no control characters, no spaces at the ends."""
    return stored is None or (
        not any(unicodedata.category(ch) == "Cc" for ch in stored) and stored == stored.strip())


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class Refused:
    """The junk was not a valid answer: the valid one follows."""


REFUSED = Refused()


def moment_in_2026(text: str) -> datetime | None:
    """What /deadline takes for one period of the 2026 campaign: a date-time in 2026."""
    moment = parse_local_datetime(text, 2026)
    return moment if moment is not None and moment.year == 2026 else None


def accepted_by(check: Callable[[str], object]) -> Callable[[str], object]:
    """An oracle from a checker that raises (validation.Invalid, BadValue) or returns None
    for a refusal."""
    def oracle(text: str) -> object:
        try:
            value = check(text)
        except (validation.Invalid, BadValue):
            return REFUSED
        return REFUSED if value is None else value
    return oracle


def free_text(limit: int, at_least: int = 1) -> Callable[[str], object]:
    def oracle(text: str) -> object:
        value = tidy(text)
        return value if at_least <= len(value) <= limit else REFUSED
    return oracle


@dataclass
class Walker:
    """One person saying one junk message after another, each checked on its answer."""
    user: SimUser
    noise: Iterator[str]
    refusals: set[str]

    async def say(self, text: str, count: int = 1) -> list[Sent]:
        await self.user.send(text)
        replies = await self.user.wait_reply(count=count, timeout=20)
        shown = [seen(sent) for sent in replies]
        assert shown, text
        assert all(ERROR not in one for one in shown), (repr(text[:80]),
                                                         self.user.transcript()[-1500:])
        assert sum(one in self.refusals for one in shown) <= 1, shown   # one clear answer
        return replies

    async def junk(self, oracle: Callable[[str], object], reask: bool = False) -> object:
        """Junk at a typed step: refused exactly when the oracle refuses it (a command is
        always refused); returns what the step stored, or REFUSED."""
        text = next(self.noise)
        wanted = REFUSED if is_command(text) else oracle(text)
        replies = await self.say(text)
        refused = seen(replies[0]) in self.refusals
        assert refused == (wanted is REFUSED), (repr(text[:80]), wanted, seen(replies[0]))
        if refused and reask and not is_command(text) and len(replies) < 2:
            await self.user.wait_reply(timeout=20)          # the question, asked again
        return wanted

    async def junk_at_buttons(self, answers: set[str], count: int = 1) -> str:
        """Junk where the step wants a button: one of ``answers`` (or the unknown-command
        answer for a /word) says so."""
        text = next(self.noise)
        replies = await self.say(text, count=1)
        if len(replies) < count and not is_command(text):
            replies += await self.user.wait_reply(count=count - len(replies), timeout=20)
        first = seen(replies[0])
        assert any(first.startswith(one) for one in answers | {UNKNOWN}), (
            repr(text[:80]), first[:200])
        return text


def cycle(texts: list[str]) -> Iterator[str]:
    while True:
        yield from texts


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment.astimezone(UTC)


def stored(texts: list[str]) -> list[str]:
    """What the database keeps of these texts: verbatim, but for a NUL on PostgreSQL
    (bot.storage.dialect.storable)."""
    if backends.current() is None:
        return texts
    return [text.replace("\x00", NUL_STORED) for text in texts]


@asynccontextmanager
async def running(moment: datetime = MAY_20) -> AsyncIterator[tuple[FakeTelegram, BotUnderTest]]:
    """A fresh sandbox and bot per example (hypothesis cannot share function fixtures)."""
    clock = FixedClock(moment)
    sandbox = FakeTelegram()
    await sandbox.start()
    sandbox.now = lambda: clock().timestamp()
    try:
        async with backends.own_database() as url:
            with tempfile.TemporaryDirectory() as data_dir:
                bot = BotUnderTest(sandbox, Path(data_dir), frozenset({ADMIN_ID}), clock=clock,
                                   database_url=url)
                await bot.start()
                try:
                    yield sandbox, bot
                    assert sandbox.stats["400"] == 0          # no message ever failed to parse
                finally:
                    await bot.stop()
    finally:
        await sandbox.stop()


async def seed_campaign(bot: BotUnderTest) -> None:
    await bot.storage.campaigns.create(
        2026, "2026年安全生产月", "人人讲安全、个个会应急", date(2026, 6, 1), date(2026, 12, 31),
        "Asia/Shanghai", default_rules(2026), created_by=ADMIN_ID)


async def seed_liaison(bot: BotUnderTest, sandbox: FakeTelegram, person_id: int = 4100,
                       unit_name: str = "走查单位", **fields: str) -> tuple[int, SimUser]:
    storage = bot.storage
    unit = await storage.units.create(unit_name, None, ADMIN_ID)
    await storage.people.seen(person_id, person_id, "联络员", None, "zh")
    await storage.liaisons.register(unit.id, person_id, {
        "name": "李明", "gender": "male", "position": "科长", "mobile": "13912345678",
        **fields})
    return unit.id, sandbox.user(person_id, "联络员")


async def pressed(user: SimUser, label: str, count: int = 2) -> list[Sent]:
    """A button whose keyboard closes (an edit) and whose answer is a new message."""
    return await answer(user, press=label, count=count)


# --------------------------------------------------------------------------- /campaign

CAMPAIGN_REFUSALS = {plain("campaign.name_bad"), plain("campaign.theme_bad"),
                     plain("validation.invisible"),
                     plain("campaign.text_please"), plain("campaign.busy"),
                     plain("campaign.bad_datetime"), plain("campaign.bad_time"),
                     plain("campaign.out_of_year", year=2026), UNKNOWN}


def due_oracle(kind: str) -> Callable[[str], object]:
    def oracle(text: str) -> object:
        change, problem = parse_change(kind, text, 2026)
        return REFUSED if problem else change
    return oracle


def campaign_name(text: str) -> object:
    """A campaign's name: no format character, 2–60 characters once tidied, normalised."""
    if validation.has_format_characters(text):
        return REFUSED
    value = free_text(60, at_least=2)(text)
    return REFUSED if value is REFUSED else tidy(validation.normalise(value))


async def _walk_campaign(texts: list[str]) -> None:
    async with running() as (sandbox, bot):
        admin = sandbox.user(ADMIN_ID, "王主任")
        walker = Walker(admin, cycle(texts), CAMPAIGN_REFUSALS)
        buttons = {plain("campaign.text_please"), plain("campaign.busy")}
        await admin.command("campaign")
        await admin.wait_reply()

        name = await walker.junk(campaign_name)
        if name is REFUSED:
            name = "<b>安全月</b> & 应急"
            await answer(admin, name)
        theme = await walker.junk(free_text(100, at_least=0))
        if theme is REFUSED:
            theme = "人人讲安全、个个会应急 <i>"
            await answer(admin, theme)
        changes: dict[str, dict] = {}
        for key, label, valid in (("plan", "活动方案", "6月5日 17:30"),
                                  ("weekly", "每周活动材料", "周五 15:00")):
            await walker.junk_at_buttons(buttons)                     # the calendar
            await pressed(admin, "✏️ 修改截止时间")
            await walker.junk_at_buttons(buttons)                     # which deliverable
            await pressed(admin, label)
            kind = ONCE if key == "plan" else WEEKLY
            change = await walker.junk(due_oracle(kind))
            if change is REFUSED:
                change = due_oracle(kind)(valid)
                await answer(admin, valid)
            changes[key] = change
        await walker.junk_at_buttons(buttons)
        shown = next(seen(sent) for sent in reversed(admin.messages)
                     if seen(sent).startswith("3/3 "))
        assert shown.startswith(f"3/3 {name}\n主题：{theme or '-'}\n"), shown[:300]
        created = await pressed(admin, "✅ 使用此日程")
        assert f"已创建“{name}”" in seen(created[-1])

        (again,) = await answer(admin, "/campaign")
        assert seen(again) == plain("campaign.exists", year=2026, name=name)
        calendar = await bot.storage.campaigns.calendar()
        stored = calendar.campaign
        assert (stored.name, stored.theme) == (name, theme)
        assert clean(stored.name) and clean(stored.theme)
        for key, change in changes.items():
            rule = calendar.rule(key)
            assert rule.due_time == time.fromisoformat(change["due_time"])
            if "due_date" in change:
                assert rule.due_date == date.fromisoformat(change["due_date"])
            assert rule.weekday == change.get("weekday", 3 if key == "weekly" else None)


@LONG_WALK
@given(texts=noise(9))
@example(texts=[MIXED] * 9)
def test_random_text_at_every_step_of_the_campaign_set_up(texts):
    asyncio.run(_walk_campaign(texts))


# --------------------------------------------------------------------------- /deadline

async def _walk_deadline(texts: list[str]) -> None:
    async with running() as (sandbox, bot):
        await seed_campaign(bot)
        admin = sandbox.user(ADMIN_ID, "王主任")
        walker = Walker(admin, cycle(texts), CAMPAIGN_REFUSALS)
        buttons = {plain("campaign.text_please"), plain("campaign.busy")}

        await answer(admin, "/deadline")
        await walker.junk_at_buttons(buttons)                         # which deliverable
        await pressed(admin, "每周活动材料")
        await walker.junk_at_buttons(buttons)                         # all or one period
        await pressed(admin, "✏️ 修改截止时刻")
        change = await walker.junk(due_oracle(WEEKLY))
        if change is REFUSED:
            change = due_oracle(WEEKLY)("周三 16:00")
            await answer(admin, "周三 16:00")

        changed = next(sent for sent in reversed(admin.messages) if "已修改" in seen(sent))
        assert seen(changed).startswith("✅ 已修改并立即生效：\n每周活动材料\n• ")  # bold
        calendar = await bot.storage.campaigns.calendar()
        weekly = calendar.rule("weekly")
        assert weekly.due_time == time.fromisoformat(change["due_time"])
        assert weekly.weekday == change.get("weekday", 3)
        periods = deadlines(weekly, TZ)

        await answer(admin, "/deadline")
        await pressed(admin, "每周活动材料")
        choice = (await pressed(admin, "📅 单独调整某一期"))[-1]
        await walker.junk_at_buttons(buttons)                         # which period
        await admin.press(choice.button_texts()[2], choice)
        await admin.wait_reply(count=2)
        moment = await walker.junk(accepted_by(moment_in_2026))
        if moment is REFUSED:
            moment = datetime(2026, periods[2].nominal.month, periods[2].nominal.day, 16, 30)
            await answer(admin, moment.strftime("%m-%d %H:%M"))

        calendar = await bot.storage.campaigns.calendar()
        moved = next(found for found in deadlines(calendar.rule("weekly"), TZ)
                     if found.nominal == periods[2].nominal)
        assert moved.due == moment.replace(tzinfo=TZ) and moved.moved == "override"


@WALK
@given(texts=noise(5))
@example(texts=[MIXED] * 5)
def test_random_text_at_every_step_of_a_deadline_change(texts):
    asyncio.run(_walk_deadline(texts))


# --------------------------------------------------------------------------- /stats

WALK_FORM = {
    "id": "walk", "title": {"zh": "走查统计表", "en": "Walk table"},
    "sections": [{"title": "安全生产月", "items": [
        {"title": "宣讲", "standard": "开展宣讲",
         "figures": [{"key": "lectures", "label": "宣讲", "type": "count", "unit": "场"},
                     {"key": "audience", "label": "听众", "type": "count", "unit": "人次"}]},
        {"title": "方案", "standard": "有方案",
         "figures": [{"key": "plan", "label": "有方案", "type": "yesno"}]},
        {"title": "形式", "standard": "启动形式",
         "figures": [{"key": "forms", "label": "启动形式", "type": "text"}]},
    ]}],
}
STATS_REFUSALS = {plain(f"stats.bad_{kind}", unit=unit) for kind in
                  ("count", "negative", "too_big", "yesno", "text", "too_long")
                  for unit in ("场", "人次", "")} | {UNKNOWN}
NO_CAMPAIGN = plain("submissions.no_campaign")


async def _walk_stats(texts: list[str]) -> None:
    form = parse_definition(json.dumps(WALK_FORM).encode())
    figure = {key: form.figure(key) for key in ("lectures", "audience", "plan", "forms")}

    def oracle(key: str):
        return accepted_by(lambda text: parse_value(figure[key], text))

    async with running() as (sandbox, bot):
        admin = sandbox.user(ADMIN_ID, "王主任")
        await admin.send_document(json.dumps(WALK_FORM).encode(), "walk.json")
        assert "已加载统计表第 2 版" in seen((await admin.wait_reply())[-1])
        _, user = await seed_liaison(bot, sandbox)
        walker = Walker(user, cycle(texts), STATS_REFUSALS)
        elsewhere = {NO_CAMPAIGN}      # text outside a question goes on to the intake

        await user.command("stats")
        await user.wait_reply(count=2)
        values: dict[str, object] = {}
        for key, valid in (("lectures", "3"), ("audience", "120"), ("plan", None),
                           ("forms", "线上<b>线下</b> & 结合")):
            value = await walker.junk(oracle(key), reask=True)
            if value is REFUSED:
                if valid is None:
                    await pressed(user, "是")
                    value = True
                else:
                    await answer(user, valid)
                    value = oracle(key)(valid)
            values[key] = value
        await walker.junk_at_buttons(elsewhere)                       # the review
        await pressed(user, "1. 宣讲")
        await walker.junk_at_buttons(elsewhere)                       # which figure
        await pressed(user, "听众")
        value = await walker.junk(oracle("audience"), reask=True)
        if value is REFUSED:
            await answer(user, "150")
            value = 150
        values["audience"] = value
        await answer(user, "/cancel")
        await answer(user, "/stats")
        await walker.junk_at_buttons(elsewhere)                       # continue or restart
        await pressed(user, "▶ 继续填写")
        done = await pressed(user, "✅ 确认提交")
        assert "已填 4/4" in seen(done[-1])

        await admin.wait_reply()                                      # told of the entry
        await admin.command("stats_unit", "走查单位")
        shown = seen((await admin.wait_reply())[-1])
        yes_no = {True: "是", False: "否"}
        for key, label in (("lectures", "宣讲"), ("audience", "听众"), ("plan", "有方案"),
                           ("forms", "启动形式")):
            value = values[key]
            text = yes_no[value] if isinstance(value, bool) else \
                f"{value} {figure[key].unit}" if figure[key].unit else value
            assert f"· {label}：{text}" in shown, (key, shown)
        entry = await bot.storage.stats.current(
            (await bot.storage.units.by_name("走查单位")).id, None)
        assert entry.figures == values and clean(entry.figures["forms"])


@LONG_WALK
@given(texts=noise(8))
@example(texts=[MIXED] * 8)
def test_random_text_at_every_step_of_the_statistics_form(texts):
    asyncio.run(_walk_stats(texts))


# --------------------------------------------------------------------------- /event

EVENT_REFUSALS = {plain("validation.empty"), plain("validation.too_long"),
                  plain("validation.invisible"),
                  plain("events.bad_date"), plain("events.text_expected"), UNKNOWN}


async def _walk_event(texts: list[str]) -> None:
    async with running() as (sandbox, bot):
        await seed_campaign(bot)
        unit_id, user = await seed_liaison(bot, sandbox)
        walker = Walker(user, cycle(texts), EVENT_REFUSALS)
        await user.command("event")
        await user.wait_reply(count=2)
        answers: dict[str, object] = {}
        for name, oracle, valid in (
                ("title", accepted_by(lambda text: validation.name(text, 100)),
                 "<b>危化品</b>泄漏应急演练"),
                ("date", accepted_by(lambda text: event_date(text, 2026).isoformat()),
                 "6月12日"),
                ("place", accepted_by(lambda text: validation.name(text, 100)),
                 "长春市化工园区 & 周边"),
                ("description", free_text(2000), "参演 120 人，<i>疏散</i> 30 分钟完成")):
            value = await walker.junk(oracle)
            if value is REFUSED:
                await answer(user, valid)
                value = oracle(valid)
            answers[name] = value
        await walker.junk_at_buttons({plain("events.photos_expected")})
        receipt = await pressed(user, "✅ 完成提交")
        assert "大型活动、演练报告" in seen(receipt[-1])

        storage = bot.storage
        rule = (await storage.campaigns.calendar()).rule("event")
        event = await storage.submissions.find(unit_id, rule.id, "event-1")
        assert event.details == answers
        assert all(clean(value) for value in answers.values())
        items = await storage.submissions.items(event.id)
        assert [(item.kind, item.text) for item in items] == [("text", answers["description"])]
        (mine,) = await answer(user, "/mysubmissions")
        assert "大型活动、演练报告（第 1 份）" in seen(mine)


@WALK
@given(texts=noise(5))
@example(texts=[MIXED] * 5)
def test_random_text_at_every_step_of_an_event_report(texts):
    asyncio.run(_walk_event(texts))


# --------------------------------------------------------------------------- nil report, /plan

async def _walk_nil_and_sending(texts: list[str]) -> None:
    # a nil report is taken only where a prompt offered it: the weekly prompt of June 4 has
    # gone at 08:00; the scheduler is paused so no prompt lands in the walk
    async with running(JUNE_4) as (sandbox, bot):
        bot.app.job_queue.scheduler.pause()
        await seed_campaign(bot)
        unit_id, user = await seed_liaison(bot, sandbox)
        walker = Walker(user, cycle(texts), {UNKNOWN})
        storage = bot.storage
        calendar = await storage.campaigns.calendar()

        await answer(user, "/help")         # (a prompt has the button; any message will do)
        await user.press_data("submit:nil:weekly:2026-06-04")
        await user.wait_reply()
        # any text is the reason (a /word is not: it gets its own answer and the reason
        # is still awaited); nothing but control characters and spaces leaves none
        text = next(walker.noise)
        replies = await walker.say(text)
        if is_command(text):
            assert seen(replies[0]) == UNKNOWN
            text = "本周停产检修 <b>"
            replies = await answer(user, text)
        reason = tidy(text)[:500] or None
        assert seen(replies[-1]) == plain(
            "submissions.nil_reason_saved" if reason else "submissions.nil_ok")
        nil = await storage.submissions.find(unit_id, calendar.rule("weekly").id, "2026-06-04")
        assert nil.state == "nil" and clean(nil.nil_reason)
        assert nil.nil_reason == reason

        await answer(user, "/plan")
        sent = []
        for _ in range(3):
            text = await walker.junk_at_buttons({"✅ 已收到：文字"})      # a receipt
            if not is_command(text):
                sent.append(text)
        (done,) = await answer(user, "/done")
        assert seen(done) == plain("submissions.sending_done", deliverable="活动方案")
        plan = await storage.submissions.find(unit_id, calendar.rule("plan").id, "once")
        items = await storage.submissions.items(plan.id) if plan else []
        assert [item.text for item in items] == stored(sent)    # materials are kept verbatim
        (mine,) = await answer(user, "/mysubmissions")
        state = "— 本期无材料" + (f"（原因：{reason}）" if reason else "")
        assert any(line.endswith(state) for line in seen(mine).splitlines()), seen(mine)


@WALK
@given(texts=noise(4))
@example(texts=[MIXED] * 4)
def test_random_text_as_a_nil_reason_and_while_sending_the_plan(texts):
    asyncio.run(_walk_nil_and_sending(texts))


# --------------------------------------------------------------------------- /profile

PROFILE_REFUSALS = {plain(f"validation.{key}") for key in (
    "empty", "too_long", "invisible", "email", "mobile", "phone", "qq", "wechat", "gender")} | {
    plain("registration.text_please"), plain("registration.busy")}


async def _walk_profile(texts: list[str]) -> None:
    async with running() as (sandbox, bot):
        _, user = await seed_liaison(bot, sandbox, email="old@example.cn")
        walker = Walker(user, cycle(texts), PROFILE_REFUSALS)
        busy = plain("registration.busy")
        summary = {plain("registration.text_please"), busy}
        await answer(user, "/profile")
        await walker.junk_at_buttons(summary, count=2)                # the summary
        await pressed(user, "✏️ 修改某项")
        await walker.junk_at_buttons(summary, count=2)                # which field
        if seen(user.last) != busy:                                   # back at the summary
            await pressed(user, "✏️ 修改某项")
        values = {}
        for label, name, oracle, valid in (
                ("姓名", "name", accepted_by(lambda text: validation.name(text, 40)),
                 "<i>王</i>&五"),
                ("电子邮箱", "email", accepted_by(validation.email), "walk@example.cn")):
            if values:
                await pressed(user, "✏️ 修改某项")
            await pressed(user, label)
            value = await walker.junk(oracle, reask=True)
            if value is REFUSED:
                await answer(user, valid)
                value = valid
            values[name] = value
        saved = await pressed(user, "✅ 完成")
        assert seen(saved[-1]) == plain("registration.profile_saved")

        (shown,) = await answer(user, "/profile")
        assert f"姓名：{values['name']}" in seen(shown)
        assert f"电子邮箱：{values['email']}" in seen(shown)
        liaison = await bot.storage.liaisons.open_for_person(user.id)
        assert (liaison.name, liaison.email, liaison.mobile) == (
            values["name"], values["email"], "13912345678")
        assert clean(liaison.name) and clean(liaison.email)


@WALK
@given(texts=noise(4))
@example(texts=[MIXED] * 4)
def test_random_text_at_every_step_of_a_profile_change(texts):
    asyncio.run(_walk_profile(texts))


# --------------------------------------------------------------------------- /broadcast

def broadcast_oracle(text: str) -> object:
    """What /broadcast takes from ``/broadcast <text>``: control characters but line breaks
    and tabs dropped; refused when empty or too long for its preview to fit in one message
    (3,500 UTF-16 units, as Telegram counts)."""
    parts = f"/broadcast {text}".split(maxsplit=1)
    body = "".join(ch for ch in parts[1] if unicodedata.category(ch) != "Cc" or ch in "\n\t"
                   ).strip() if len(parts) > 1 else ""
    return body if body and utf16(body) <= 3500 else REFUSED


async def _walk_broadcast(texts: list[str]) -> None:
    async with running() as (sandbox, bot):
        _, user = await seed_liaison(bot, sandbox)
        admin = sandbox.user(ADMIN_ID, "王主任")
        walker = Walker(admin, cycle(texts), {plain("broadcast.usage"),
                                              plain("broadcast.too_long")})
        text = next(walker.noise)
        wanted = broadcast_oracle(text)
        (preview,) = await walker.say(f"/broadcast {text}")
        assert (seen(preview) in walker.refusals) == (wanted is REFUSED), seen(preview)[:200]
        if wanted is REFUSED:
            wanted = "明天 <b>检查</b> & 演练\n请准时"
            await answer(admin, f"/broadcast {wanted}")
        await walker.junk_at_buttons({plain("common.not_understood")})
        await admin.press("✅ 确认发送")
        await admin.wait_reply()
        (received,) = await user.wait_reply(timeout=20)
        assert seen(received) == "📢 通知\n" + wanted.strip()
        draft = await bot.storage.broadcasts.get(1)
        assert draft.text == wanted and draft.confirmed_at is not None


@WALK
@given(texts=noise(2))
@example(texts=["🙂" * 2042, "x"])                 # a full message: its preview is longer
@example(texts=[MIXED, MIXED])
def test_random_text_as_a_broadcast_and_while_it_waits_for_confirmation(texts):
    asyncio.run(_walk_broadcast(texts))


# --------------------------------------------------------------------------- outside any form

async def _walk_outside(texts: list[str]) -> None:
    async with running() as (sandbox, bot):
        await seed_campaign(bot)
        unit_id, liaison = await seed_liaison(bot, sandbox)
        admin = sandbox.user(ADMIN_ID, "王主任")
        stranger = sandbox.user(4999, "路人")
        stream = cycle(texts)
        not_understood = {plain("common.not_understood")}
        sent = []
        for _ in range(2):
            text = await Walker(liaison, stream, set()).junk_at_buttons({"✅ 已收到：文字"})
            if not is_command(text):
                sent.append(text)
            await Walker(admin, stream, set()).junk_at_buttons(not_understood)
            await Walker(stranger, stream, set()).junk_at_buttons(not_understood)
        weekly = (await bot.storage.campaigns.calendar()).rule("weekly")
        found = await bot.storage.submissions.find(unit_id, weekly.id, "2026-06-04")
        items = await bot.storage.submissions.items(found.id) if found else []
        assert [item.text for item in items] == stored(sent)


@WALK
@given(texts=noise(6))
@example(texts=[MIXED] * 6)
def test_random_text_outside_any_conversation_gets_an_answer(texts):
    asyncio.run(_walk_outside(texts))
