"""Statistics forms as data: the definition format, its validation and typed figure values.

A definition is a JSON object::

    {"id": "changchun-2019",
     "title": {"zh": "...", "en": "..."},
     "sections": [{"title": ...,
                   "items": [{"title": ..., "standard": ...,
                              "figures": [{"key": "forums", "label": ..., "type": "count",
                                           "unit": "场"}]}]}]}

A text is either ``{"zh": ..., "en": ...}`` or one string used in both languages. A figure's
type is ``count`` (a whole number >= 0, with a unit), ``yesno`` or ``text`` (both without a
unit). Items are numbered 1, 2, ... across the sections. Everything here is pure.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DEFINITION = Path(__file__).resolve().parents[1] / "forms" / "changchun_2019.json"
TYPES = ("count", "yesno", "text")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_SECTIONS = 20
MAX_ITEMS = 60
MAX_FIGURES = 300
MAX_TITLE = 200
MAX_STANDARD = 1000
MAX_LABEL = 200
MAX_UNIT = 6
MAX_TEXT_VALUE = 200
MAX_COUNT = 10**12
LANGUAGES = ("zh", "en")

Value = int | bool | str


@dataclass(frozen=True)
class Figure:
    key: str
    label: dict[str, str]
    type: str
    unit: str | None


@dataclass(frozen=True)
class Item:
    number: int
    title: dict[str, str]
    standard: dict[str, str]
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Section:
    title: dict[str, str]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Form:
    key: str
    title: dict[str, str]
    sections: tuple[Section, ...]

    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    @property
    def figures(self) -> list[tuple[Item, Figure]]:
        return [(item, figure) for item in self.items for figure in item.figures]

    def figure(self, key: str) -> Figure | None:
        return next((figure for _, figure in self.figures if figure.key == key), None)

    def item(self, number: int) -> Item | None:
        return next((item for item in self.items if item.number == number), None)

    def to_json(self) -> dict:
        return {
            "id": self.key,
            "title": self.title,
            "sections": [
                {"title": section.title,
                 "items": [{"title": item.title, "standard": item.standard,
                            "figures": [{"key": f.key, "label": f.label, "type": f.type,
                                         "unit": f.unit} for f in item.figures]}
                           for item in section.items]}
                for section in self.sections
            ],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)


def text_in(text: dict[str, str], language: str) -> str:
    return text.get(language) or text["zh"]


@dataclass(frozen=True)
class Problem:
    """One error in a definition: where (section / item / figure, 1-based) and what."""
    what: str                     # catalog name: stats.def_<what>
    name: str = ""                # the field in question, e.g. "unit" or "label.en"
    section: int | None = None
    item: int | None = None
    figure: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


class DefinitionError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the form definition")
        self.problems = problems


def default_form() -> Form:
    return parse_definition(DEFAULT_DEFINITION.read_bytes())


# A form nests four levels (form, sections, items, figures) and texts one more; anything
# far deeper is not a form, and Python's decoder would hit its recursion limit on it.
MAX_DEPTH = 20
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings not
    counted), without decoding it."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_definition(data: bytes) -> Form:
    """The form in ``data`` (JSON, UTF-8), or DefinitionError naming every problem."""
    try:
        text = data.decode("utf-8-sig")
        if nesting_depth(text) > MAX_DEPTH:
            raise DefinitionError([Problem("too_deep", params={"limit": MAX_DEPTH})])
        raw = json.loads(text)
    except UnicodeDecodeError as error:
        raise DefinitionError([Problem("not_utf8")]) from error
    except RecursionError as error:
        raise DefinitionError([Problem("too_deep", params={"limit": MAX_DEPTH})]) from error
    except json.JSONDecodeError as error:
        raise DefinitionError([Problem("not_json", params={
            "line": error.lineno, "column": error.colno})]) from error
    return _Checker().form(raw)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.where: dict[str, int | None] = {"section": None, "item": None, "figure": None}
        self.keys: dict[str, tuple[int, int]] = {}

    def problem(self, what: str, name: str = "", **params: Any) -> None:
        self.problems.append(Problem(what, name, **self.where, params=params))

    def known_fields(self, raw: dict, allowed: set[str]) -> None:
        for name in raw:
            if name not in allowed:
                self.problem("unknown_field", str(name))

    def text(self, raw: dict, name: str, limit: int) -> dict[str, str]:
        value = raw.get(name)
        if value is None:
            self.problem("missing", name)
            return {"zh": ""}
        if isinstance(value, str):
            value = {"zh": value, "en": value}
        if not isinstance(value, dict):
            self.problem("not_text", name)
            return {"zh": ""}
        result = {}
        for language in LANGUAGES:
            part = value.get(language)
            if not isinstance(part, str) or not part.strip():
                self.problem("missing", f"{name}.{language}")
                continue
            if len(part.strip()) > limit:
                self.problem("too_long", f"{name}.{language}", limit=limit)
            result[language] = " ".join(part.split())
        for language in value:
            if language not in LANGUAGES:
                self.problem("unknown_field", f"{name}.{language}")
        return result or {"zh": ""}

    def listing(self, raw: dict, name: str, limit: int) -> list:
        value = raw.get(name)
        if value is None:
            self.problem("missing", name)
            return []
        if not isinstance(value, list):
            self.problem("not_list", name)
            return []
        if not value:
            self.problem("empty", name)
        if len(value) > limit:
            self.problem("too_many", name, limit=limit)
            return value[:limit]
        return value

    def form(self, raw: Any) -> Form:
        if not isinstance(raw, dict):
            raise DefinitionError([Problem("not_object")])
        self.known_fields(raw, {"id", "title", "sections"})
        key = raw.get("id")
        if not isinstance(key, str) or not key.strip():
            self.problem("missing", "id")
            key = ""
        elif len(key) > 60:
            self.problem("too_long", "id", limit=60)
        title = self.text(raw, "title", MAX_TITLE)
        sections = []
        number = 0
        for index, raw_section in enumerate(self.listing(raw, "sections", MAX_SECTIONS), 1):
            self.where = {"section": index, "item": None, "figure": None}
            if not isinstance(raw_section, dict):
                self.problem("not_object_here")
                continue
            self.known_fields(raw_section, {"title", "items"})
            section_title = self.text(raw_section, "title", MAX_TITLE)
            items = []
            for raw_item in self.listing(raw_section, "items", MAX_ITEMS):
                number += 1
                items.append(self.item(raw_item, index, number))
            sections.append(Section(section_title, tuple(items)))
        self.where = {"section": None, "item": None, "figure": None}
        if number > MAX_ITEMS:
            self.problem("too_many", "items", limit=MAX_ITEMS)
        if len(self.keys) > MAX_FIGURES:
            self.problem("too_many", "figures", limit=MAX_FIGURES)
        if self.problems:
            raise DefinitionError(self.problems)
        return Form(key.strip(), title, tuple(sections))

    def item(self, raw: Any, section: int, number: int) -> Item:
        self.where = {"section": section, "item": number, "figure": None}
        if not isinstance(raw, dict):
            self.problem("not_object_here")
            return Item(number, {"zh": ""}, {"zh": ""}, ())
        self.known_fields(raw, {"title", "standard", "figures"})
        title = self.text(raw, "title", MAX_TITLE)
        standard = self.text(raw, "standard", MAX_STANDARD)
        figures = []
        for index, raw_figure in enumerate(self.listing(raw, "figures", MAX_FIGURES), 1):
            self.where = {"section": section, "item": number, "figure": index}
            figure = self.figure(raw_figure, number, index)
            if figure is not None:
                figures.append(figure)
        return Item(number, title, standard, tuple(figures))

    def figure(self, raw: Any, item: int, index: int) -> Figure | None:
        if not isinstance(raw, dict):
            self.problem("not_object_here")
            return None
        self.known_fields(raw, {"key", "label", "type", "unit"})
        key = raw.get("key")
        if key is None:
            self.problem("missing", "key")
        elif not isinstance(key, str) or not KEY.match(key):
            self.problem("bad_key", "key", given=str(key))
        elif key in self.keys:
            first_item, first_index = self.keys[key]
            self.problem("duplicate_key", "key", given=key, item=first_item, figure=first_index)
        else:
            self.keys[key] = (item, index)
        label = self.text(raw, "label", MAX_LABEL)
        kind = raw.get("type")
        if kind is None:
            self.problem("missing", "type")
        elif kind not in TYPES:
            self.problem("bad_type", "type", type=str(kind))
        unit = raw.get("unit")
        if kind == "count":
            if unit is None or (isinstance(unit, str) and not unit.strip()):
                self.problem("unit_required", "unit")
            elif not isinstance(unit, str) or len(unit.strip()) > MAX_UNIT:
                self.problem("bad_unit", "unit", limit=MAX_UNIT)
        elif kind in TYPES and unit not in (None, ""):
            self.problem("unit_not_allowed", "unit", type=kind)
        if not isinstance(key, str) or kind not in TYPES:
            return None
        return Figure(key, label, kind, unit.strip() if kind == "count" and
                      isinstance(unit, str) else None)


# ---------------------------------------------------------------- values

class BadValue(ValueError):
    """``key`` names the catalog text saying what is wrong (stats.bad_<kind>)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


YES = {"是", "有", "y", "yes", "true", "1", "√", "✓", "✔", "对"}
NO = {"否", "无", "没有", "n", "no", "false", "0", "×", "✗", "x", "不是"}
NONE_WORDS = {"无", "没有", "none", "-", "—", "／", "/"}


def _normal(raw: str) -> str:
    """Full-width digits and letters to ASCII, spaces dropped at the ends."""
    return unicodedata.normalize("NFKC", raw).strip()


def parse_value(figure: Figure, raw: object) -> Value | None:
    """A typed value from what a person typed or a cell held; None when empty.

    Counts accept ``1,200``, ``12 场`` (the figure's own unit) and full-width digits;
    ``无`` / ``none`` is 0. A wrong value raises BadValue.
    """
    if raw is None:
        return None
    if figure.type == "count":
        return _count(figure, raw)
    if figure.type == "yesno":
        return _yes_no(raw)
    return _text(raw)


def _count(figure: Figure, raw: object) -> int | None:
    if isinstance(raw, bool):
        raise BadValue("stats.bad_count")
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            raise BadValue("stats.bad_count")
        number = int(raw)
    elif isinstance(raw, str):
        text = _normal(raw)
        if not text:
            return None
        if text.lower() in NONE_WORDS:
            return 0
        if figure.unit and text.endswith(_normal(figure.unit)):
            text = text[: -len(_normal(figure.unit))].strip()
        text = text.replace(",", "").replace(" ", "")
        if text.endswith(".0"):
            text = text[:-2]
        if text.startswith("-") and text[1:].isdigit():
            raise BadValue("stats.bad_negative")
        if not text.isascii() or not text.isdigit():
            raise BadValue("stats.bad_count")
        number = int(text)
    else:
        raise BadValue("stats.bad_count")
    if number < 0:
        raise BadValue("stats.bad_negative")
    if number > MAX_COUNT:
        raise BadValue("stats.bad_too_big")
    return number


def _yes_no(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = _normal(raw).lower().replace("□", "").replace("☑", "√").strip()
        if not text:
            return None
        if text in YES:
            return True
        if text in NO:
            return False
    raise BadValue("stats.bad_yesno")


def _text(raw: object) -> str | None:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = " ".join("".join(ch for ch in str(raw) if unicodedata.category(ch) != "Cc"
                            or ch == "\n").split())
    if not text:
        return None
    if len(text) > MAX_TEXT_VALUE:
        raise BadValue("stats.bad_too_long")
    return text


def values_for(form: Form, figures: dict[str, Value]) -> dict[str, Value]:
    """Previous values carried over to ``form``: only keys it has, with the same type."""
    carried: dict[str, Value] = {}
    for _, figure in form.figures:
        value = figures.get(figure.key)
        if value is None:
            continue
        if _fits(figure, value):
            carried[figure.key] = value
    return carried


def _fits(figure: Figure, value: Value) -> bool:
    if figure.type == "count":
        return isinstance(value, int) and not isinstance(value, bool)
    if figure.type == "yesno":
        return isinstance(value, bool)
    return isinstance(value, str)
