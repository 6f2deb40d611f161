"""How the statistics read: a value, a table's summary, a list of problems and the
workbook's fixed words, the same in the chat review, a read workbook, a coordinator's view
and the files."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

from bot.ptb.context import BotContext
from bot.stats.forms import Figure, Form, Value, text_in

if TYPE_CHECKING:
    from bot.stats.workbook import Labels

MAX_PROBLEMS_SHOWN = 30
BUTTON_LABEL = 28

Problem = TypeVar("Problem")


def value_text(context: BotContext, figure: Figure, value: Value | None) -> str:
    if value is None:
        return context.t("stats.not_filled")
    if figure.type == "yesno":
        return context.t("stats.yes") if value else context.t("stats.no")
    if figure.type == "count":
        return f"{value} {figure.unit}"
    return str(value)


def summary_lines(context: BotContext, form: Form, values: dict[str, Value]) -> list[str]:
    """Every figure by section and item, as the review, a workbook's summary and a
    coordinator's view show them."""
    lines: list[str] = []
    for section in form.sections:
        lines.append(context.t("stats.summary_section", title=text_in(section.title, context.lang)))
        for item in section.items:
            lines.append(context.t("stats.summary_item", number=item.number,
                                   title=text_in(item.title, context.lang)))
            for figure in item.figures:
                lines.append(context.t(
                    "stats.summary_figure", label=text_in(figure.label, context.lang),
                    value=value_text(context, figure, values.get(figure.key))))
    filled = sum(1 for _, figure in form.figures if values.get(figure.key) is not None)
    lines.append(context.t("stats.summary_filled", filled=filled, total=len(form.figures)))
    return lines


def problem_report(context: BotContext, heading: str, problems: Sequence[Problem],
                   line: Callable[[Problem], str]) -> list[str]:
    """A refused workbook or definition: the heading (with the count), the first problems,
    and how many more there are (a long list helps no one fix the first)."""
    lines = [context.t(heading, count=len(problems))]
    lines += [line(problem) for problem in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(context.t("stats.more_problems", count=len(problems) - MAX_PROBLEMS_SHOWN))
    return lines


def short(text: str) -> str:
    """A button label that fits on a phone."""
    return text if len(text) <= BUTTON_LABEL else text[: BUTTON_LABEL - 1] + "…"


async def workbooks() -> ModuleType:
    """``bot.stats.workbook``, imported in a worker thread the first time: openpyxl takes
    ~0.3 s to import, and not at start-up either (idle memory)."""
    return await asyncio.to_thread(importlib.import_module, "bot.stats.workbook")


def workbook_labels(context: BotContext) -> Labels:
    """The workbook's fixed words in the reader's language (after :func:`workbooks`)."""
    from bot.stats import workbook  # loaded by workbooks() already: openpyxl is heavy

    t = context.t
    return workbook.Labels(
        language=context.lang, table_sheet=t("stats.xlsx_sheet"),
        item=t("stats.xlsx_item"), standard=t("stats.xlsx_standard"),
        figure=t("stats.xlsx_figure"), value=t("stats.xlsx_value"),
        measure=t("stats.xlsx_measure"), yes=t("stats.yes"), no=t("stats.no"),
        yes_count=t("stats.xlsx_yes_count"), bad_count=t("stats.xlsx_bad_count"),
        missing_title=t("stats.xlsx_missing_title"),
        missing_header=tuple(t("stats.xlsx_missing_header").split("|")),
        totals_sheet=t("stats.xlsx_totals_sheet"), missing_sheet=t("stats.xlsx_missing_sheet"),
        # the templates below are filled in by the workbook (t() without parameters)
        annex=t("stats.xlsx_annex"), filled_unit=t("stats.xlsx_filled_unit"),
        filled_by=t("stats.xlsx_filled_by"),
        filled_phone=t("stats.xlsx_filled_phone"),
        filled_on=t("stats.xlsx_filled_on"),
        date_blank=t("stats.xlsx_date_blank"), texts_sheet=t("stats.xlsx_texts_sheet"),
        texts_header=tuple(t("stats.xlsx_texts_header").split("|")),
        texts_see=t("stats.xlsx_texts_see"),
        page_footer=t("words.page_footer"),
    )

