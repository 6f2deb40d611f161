"""``/scoring``: the rules in use as a .json to edit; a coordinator of every unit sends one
back (or ``/scoring default``) and the ledger is re-scored from its events under the new
version. The documents router asks :func:`take_document` before the statistics forms: a
.json whose ``kind`` is ``scoring-rules`` is a rules file."""

from __future__ import annotations

import asyncio
import io

from telegram import InputFile, Update
from telegram.ext import CommandHandler

from bot.kernel.text import safe_file_name
from bot.ptb.access import Who, coordinator_only
from bot.ptb.context import BotContext
from bot.ptb.replies import send_lines
from bot.scoring import ledger
from bot.scoring.rules import (
    Problem,
    Rules,
    RulesError,
    default_rules,
    looks_like_rules,
    parse_rules,
    points_text,
)

SNIFF_BYTES = 256 * 1024       # a .json up to this size is opened to see whether it is rules
MAX_PROBLEMS_SHOWN = 50


def problem_line(context: BotContext, problem: Problem) -> str:
    what = context.t(f"scoring.rules_{problem.what}", **problem.params)
    if problem.where:
        return context.t("scoring.rules_problem_at", where=problem.where, what=what)
    return what


def summary(context: BotContext, rules: Rules) -> str:
    levels = context.t("scoring.separator").join(
        context.t("scoring.level_summary", level=level.name_in(context.lang),
                  points=points_text(level.points)) for level in rules.levels)
    return context.t("scoring.rules_summary", levels=levels, grace=rules.return_grace_days)


@coordinator_only
async def show_rules(update: Update, context: BotContext, who: Who) -> None:
    """``/scoring``: the rules in use as a file; ``/scoring default`` goes back to the
    package's rules."""
    if context.args and context.args[0].lower() in ("default", "默认"):
        if who.scope_unit_id is not None:
            await update.effective_message.reply_text(context.t("scoring.rules_whole_scope_only"))
            return
        rules = default_rules()
        try:
            await _check_levels_in_use(context, rules)
        except RulesError as error:
            await refuse(update, context, error.problems)
            return
        await use_rules(update, context, who, rules)
        return
    version = await context.storage.scoring.current()
    rules = version.rules
    await update.effective_message.reply_document(
        InputFile(io.BytesIO(rules.dumps().encode("utf-8")),
                  filename=f"{safe_file_name(rules.key)}.json"),
        caption=context.t("scoring.rules_caption", version=version.id,
                          title=rules.title.get(context.lang) or rules.title["zh"],
                          summary=summary(context, rules)))


async def take_document(update: Update, context: BotContext, who: Who) -> bool:
    """For the documents router: True when the document was a scoring rules file (loaded or
    refused with every problem named); False leaves it to the other handlers."""
    document = update.effective_message.document
    if not (document.file_name or "").lower().endswith(".json"):
        return False
    if document.file_size and document.file_size > SNIFF_BYTES:
        return False
    data = bytes(await (await document.get_file()).download_as_bytearray())
    if not looks_like_rules(data):
        return False
    message = update.effective_message
    if not who.is_coordinator or who.scope_unit_id is not None:
        await message.reply_text(context.t("scoring.rules_whole_scope_only"))
        return True
    try:
        rules = await asyncio.to_thread(parse_rules, data)
        await _check_levels_in_use(context, rules)
    except RulesError as error:
        await refuse(update, context, error.problems)
        return True
    await use_rules(update, context, who, rules)
    return True


async def _check_levels_in_use(context: BotContext, rules: Rules) -> None:
    """A level that adoptions were made at may not disappear: they would lose their points
    silently. Raised as one problem per such level."""
    problems = [Problem("level_in_use", "levels", {"name": key, "count": count})
                for key, count in sorted((await context.storage.scoring.levels_in_use()).items())
                if rules.level(key) is None]
    if problems:
        raise RulesError(problems)


async def refuse(update: Update, context: BotContext, problems: list[Problem]) -> None:
    lines = [context.t("scoring.rules_refused", count=len(problems))]
    lines += [problem_line(context, problem) for problem in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(context.t("scoring.rules_more_problems",
                               count=len(problems) - MAX_PROBLEMS_SHOWN))
    await send_lines(context, update.effective_chat.id, lines)


async def use_rules(update: Update, context: BotContext, who: Who, rules: Rules) -> None:
    storage = context.storage
    await storage.scoring.current()      # the default is version 1 when nothing was loaded
    version = await storage.scoring.add_rules(rules, who.person_id)
    await ledger.settle(storage, context.clock(), version)
    rows = await storage.scoring.ledger()
    await update.effective_message.reply_text(context.t(
        "scoring.rules_loaded", version=version.id, summary=summary(context, rules),
        rows=len(rows), units=len({row.unit_id for row in rows})))


def register(app) -> None:
    app.add_handler(CommandHandler("scoring", show_rules))

