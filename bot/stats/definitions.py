"""Form definitions: ``/stats_form`` sends the one in use as a .json to edit; a coordinator
of every unit sends one back (or ``/stats_form default``) and new entries use it, while the
entries made so far keep the version they were made against."""

from __future__ import annotations

import asyncio
import io

from telegram import InputFile, Update
from telegram.ext import CommandHandler

from bot.kernel.text import safe_file_name
from bot.ptb.access import Who, coordinator_only
from bot.ptb.context import BotContext
from bot.ptb.replies import send_lines
from bot.stats.entries import campaign_id
from bot.stats.forms import DefinitionError, Form, Problem, default_form, parse_definition, text_in
from bot.stats.rendering import problem_report

MAX_DEFINITION_BYTES = 256 * 1024


def problem_line(context: BotContext, problem: Problem) -> str:
    """Where in the definition (file, section, item or figure) and what is wrong there."""
    if problem.figure is not None:
        where = context.t("stats.def_where_figure", item=problem.item, figure=problem.figure)
    elif problem.item is not None:
        where = context.t("stats.def_where_item", item=problem.item)
    elif problem.section is not None:
        where = context.t("stats.def_where_section", section=problem.section)
    else:
        where = context.t("stats.def_where_top")
    what = context.t(f"stats.def_{problem.what}", **problem.params)
    if problem.name:
        return context.t("stats.def_problem_field", where=where, field=problem.name, what=what)
    return context.t("stats.def_problem", where=where, what=what)


async def load_definition(update: Update, context: BotContext, who: Who) -> None:
    """A coordinator of every unit sends a definition (.json): checked, then used for new
    entries; entries made so far keep their version."""
    message = update.effective_message
    if not who.is_coordinator:
        await message.reply_text(context.t("stats.definition_coordinators_only"))
        return
    if who.scope_unit_id is not None:
        await message.reply_text(context.t("stats.definition_whole_scope_only"))
        return
    document = message.document
    if document.file_size and document.file_size > MAX_DEFINITION_BYTES:
        await message.reply_text(context.t("stats.definition_too_big"))
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        form = await asyncio.to_thread(parse_definition, data)   # off the event loop
    except DefinitionError as error:
        await send_lines(context, message.chat_id, problem_report(
            context, "stats.definition_refused", error.problems,
            lambda problem: problem_line(context, problem)))
        return
    await _use_form(update, context, who, form)


async def _use_form(update: Update, context: BotContext, who: Who, form: Form) -> None:
    storage = context.storage
    await storage.stats.current_form()   # the default is version 1 when nothing was loaded
    version = await storage.stats.add_form(form, await campaign_id(context), who.person_id)
    await update.effective_message.reply_text(context.t(
        "stats.definition_loaded", version=version.id, title=text_in(form.title, context.lang),
        items=len(form.items), figures=len(form.figures),
        kept=await storage.stats.count_current()))


@coordinator_only
async def show_form(update: Update, context: BotContext, who: Who) -> None:
    """``/stats_form``: the definition in use, as a file to edit and send back;
    ``/stats_form default`` goes back to the package's Changchun 2019 table."""
    if context.args and context.args[0].lower() in ("default", "默认"):
        if who.scope_unit_id is not None:
            await update.effective_message.reply_text(
                context.t("stats.definition_whole_scope_only"))
            return
        await _use_form(update, context, who, default_form())
        return
    version = await context.storage.stats.current_form()
    form = version.form
    await update.effective_message.reply_document(
        InputFile(io.BytesIO(form.dumps().encode("utf-8")),
                  filename=f"{safe_file_name(form.key)}.json"),
        caption=context.t("stats.form_caption", version=version.id,
                          title=text_in(form.title, context.lang), items=len(form.items),
                          figures=len(form.figures)))


def register(app) -> None:
    app.add_handler(CommandHandler("stats_form", show_form))
