"""/ranking [月份|季度|全部]: the caller's units ranked by points, in chat (paged) and as an
.xlsx whose cells are what the chat shows."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from telegram import InputFile, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.kernel.words import Words
from bot.ptb.access import Who, coordinator_only, who_is
from bot.ptb.buttons import RankingPage
from bot.ptb.context import BotContext
from bot.ptb.keyboards import inline, pager
from bot.ptb.replies import pressed, stale_button
from bot.scoring import sheet
from bot.scoring.rules import points_text
from bot.scoring.scores import ALL, Ranking, Span, UnitScore, parse_span, ranking, span_of_key

PAGE_SIZE = 15
UPLOAD_TIMEOUT = 300


def words_of(context: BotContext, timezone=None) -> Words:
    return Words(context.texts, context.lang, timezone or context.settings.timezone)


def span_text(context: BotContext, span: Span) -> str:
    if span.kind == ALL:
        return context.t("scoring.span_all")
    if span.kind == "month":
        return context.t("scoring.span_month", year=span.year, month=span.number)
    return context.t("scoring.span_quarter", year=span.year,
                     quarter=context.t(f"scoring.quarter_{span.number}"))


def rate_text(context: BotContext, score: UnitScore) -> str:
    return "—" if score.rate is None else f"{score.rate * 100:.1f}%"


def line(context: BotContext, found: Ranking, score: UnitScore) -> str:
    levels = context.t("scoring.separator").join(
        context.t("scoring.level_count", level=level.name_in(context.lang),
                  count=score.adoptions[level.key])
        for level in found.rules.levels if score.adoptions.get(level.key))
    return context.t(
        "scoring.rank_line", rank=score.rank, unit=score.unit.name,
        points=points_text(score.points), adopted=score.adopted,
        levels=context.t("scoring.rank_levels", levels=levels) if levels else "",
        rate=rate_text(context, score), late=score.late, missing=score.missing)


async def scope_text(context: BotContext, who: Who) -> str:
    if who.scope_unit_id is None:
        return context.t("desk.scope_all")
    unit = await context.storage.units.get(who.scope_unit_id)
    return context.t("desk.scope_unit", unit=unit.name if unit else "")


async def page_of(context: BotContext, who: Who, found: Ranking, page: int):
    pages = max(1, -(-len(found.scores) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    lines = [context.t("scoring.rank_title", span=span_text(context, found.span)),
             context.t("scoring.rank_note", scope=await scope_text(context, who),
                       units=len(found.scores), version=found.rules_version)]
    lines += [line(context, found, score)
              for score in found.scores[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]]
    if not found.scores:
        lines.append(context.t("scoring.rank_empty"))
    if pages > 1:
        lines.append(context.t("desk.page", page=page + 1, pages=pages))
    row = pager(lambda n: RankingPage(found.span.key, n).pack(), page, pages,
                context.t("scoring.previous_page"), context.t("scoring.next_page"))
    return "\n".join(lines), inline([row]) if row else None


def workbook_rows(context: BotContext, found: Ranking) -> list[list[object]]:
    return [[score.rank, score.unit.name, round(score.points, 2),
             *(score.adoptions.get(level.key, 0) for level in found.rules.levels),
             score.adopted, None if score.rate is None else round(score.rate, 4),
             score.on_time, score.late, score.missing, score.due]
            for score in found.scores]


def workbook_header(context: BotContext, found: Ranking) -> list[str]:
    return [context.t("scoring.col_rank"), context.t("scoring.col_unit"),
            context.t("scoring.col_points"),
            *(level.name_in(context.lang) for level in found.rules.levels),
            context.t("scoring.col_adopted"), context.t("scoring.col_rate"),
            context.t("scoring.col_on_time"), context.t("scoring.col_late"),
            context.t("scoring.col_missing"), context.t("scoring.col_due")]


@coordinator_only
async def show_ranking(update: Update, context: BotContext, who: Who) -> None:
    now = context.clock()
    calendar = await context.storage.campaigns.calendar()
    timezone = calendar.campaign.timezone if calendar else context.settings.timezone
    span = parse_span(" ".join(context.args or ()), now.astimezone(timezone).date())
    if span is None:
        await update.effective_message.reply_text(context.t("scoring.rank_usage"))
        return
    found = await ranking(context.storage, who.scope_unit_id, span, now)
    text, markup = await page_of(context, who, found, 0)
    await update.effective_message.reply_text(text, reply_markup=markup)
    if not found.scores:
        return
    words = words_of(context, timezone)
    title = context.t("scoring.rank_title_plain", span=span_text(context, span))
    note = context.t("scoring.rank_file_note", scope=await scope_text(context, who),
                     version=found.rules_version, time=words.moment(now))
    context.settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ranking-", dir=context.settings.data_dir) as work:
        path = Path(work) / "ranking.xlsx"
        await asyncio.to_thread(sheet.write_ranking, path, title, note,
                                workbook_header(context, found), workbook_rows(context, found),
                                words.plain("words.page_footer"))
        with path.open("rb") as reader:
            await context.bot.send_document(
                update.effective_chat.id,
                InputFile(reader, filename=f"{context.t('scoring.rank_file')}_"
                                           f"{span_text(context, span)}.xlsx"),
                read_timeout=UPLOAD_TIMEOUT, write_timeout=UPLOAD_TIMEOUT)


@pressed(RankingPage)
async def on_page(update: Update, context: BotContext, press: RankingPage) -> None:
    who = await who_is(context, update.effective_user.id)
    span = span_of_key(press.span)
    if not who.is_coordinator or span is None:
        await stale_button(update, context)
        return
    found = await ranking(context.storage, who.scope_unit_id, span, context.clock())
    text, markup = await page_of(context, who, found, press.page)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(text, reply_markup=markup)


def register(app) -> None:
    app.add_handler(CommandHandler("ranking", show_ranking))
    app.add_handler(CallbackQueryHandler(on_page, pattern=RankingPage.pattern()))
