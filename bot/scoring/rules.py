"""The scoring rules as data: adoption levels and their points, the deductions for late,
missing and returned-and-not-fixed periods, and the grace a return gives.

A rules file is a JSON object::

    {"kind": "scoring-rules", "id": "safety-month-default",
     "title": {"zh": ..., "en": ...}, "return_grace_days": 2,
     "levels": [{"key": "county_bulletin", "name": {"zh": "县级简报采用", "en": ...},
                 "points": 5}, ...],
     "deductions": {"weekly": {"late": -0.5, "missing": -1, "returned": -0.5}, ...}}

A text is ``{"zh": ..., "en": ...}`` or one string for both. A deliverable not named under
``deductions`` costs nothing when late or missing. Everything here is pure; the file is
hostile until checked: its size is checked before it is read and its nesting before it is
parsed (:func:`parse_rules`), and every problem is named, not only the first.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "forms" / "scoring_default.json"
KIND = "scoring-rules"
MAX_BYTES = 64 * 1024
MAX_DEPTH = 5              # object > levels > level > name > text
MAX_LEVELS = 12
MAX_NAME = 40
MAX_TITLE = 100
MAX_POINTS = 1000
MAX_GRACE_DAYS = 30
LEVEL_KEY = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
DELIVERABLE_KEYS = ("registration", "plan", "weekly", "monthly_case", "summary", "statistics",
                    "event")
DEDUCTION_KINDS = ("late", "missing", "returned")
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Level:
    key: str
    name: dict[str, str]
    points: float

    def name_in(self, language: str) -> str:
        return self.name.get(language) or self.name["zh"]


@dataclass(frozen=True)
class Rules:
    key: str
    title: dict[str, str]
    return_grace_days: int
    levels: tuple[Level, ...]
    deductions: dict[str, dict[str, float]]    # deliverable key -> kind -> points (<= 0)

    def level(self, key: str) -> Level | None:
        return next((level for level in self.levels if level.key == key), None)

    def deduction(self, deliverable_key: str, kind: str) -> float:
        return self.deductions.get(deliverable_key, {}).get(kind, 0)

    def to_json(self) -> dict:
        return {"kind": KIND, "id": self.key, "title": self.title,
                "return_grace_days": self.return_grace_days,
                "levels": [{"key": level.key, "name": level.name, "points": level.points}
                           for level in self.levels],
                "deductions": self.deductions}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class Problem:
    """One error: where (``levels[2].points``, ``deductions.weekly.late``) and what
    (catalog name ``scoring.rules_<what>``)."""
    what: str
    where: str = ""
    params: dict[str, Any] = field(default_factory=dict)


class RulesError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the scoring rules")
        self.problems = problems


def default_rules() -> Rules:
    return parse_rules(DEFAULT_RULES.read_bytes())


def looks_like_rules(data: bytes) -> bool:
    """Whether a .json someone sent is meant as scoring rules (its ``kind``), before it is
    checked: the documents router hands other .json files to the statistics forms."""
    return f'"{KIND}"'.encode() in data[:4096]


def nesting(text: str) -> int:
    """How deep the brackets of a JSON text go, strings skipped: measured before parsing, so
    a file of a million ``[`` costs a scan, not the parser's recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_rules(data: bytes) -> Rules:
    """The rules in ``data`` (JSON, UTF-8), or RulesError naming every problem."""
    if len(data) > MAX_BYTES:
        raise RulesError([Problem("too_big", params={"limit": MAX_BYTES // 1024})])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RulesError([Problem("not_utf8")]) from error
    if nesting(text) > MAX_DEPTH:
        raise RulesError([Problem("too_deep", params={"limit": MAX_DEPTH})])
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise RulesError([Problem("not_json", params={
            "line": error.lineno, "column": error.colno})]) from error
    return _Checker().rules(raw)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, what: str, where: str = "", **params: Any) -> None:
        self.problems.append(Problem(what, where, params))

    def known(self, raw: dict, allowed: tuple[str, ...], where: str) -> None:
        for name in raw:
            if name not in allowed:
                self.problem("unknown_field", f"{where}{name}")

    def text(self, raw: dict, name: str, where: str, limit: int) -> dict[str, str]:
        value = raw.get(name)
        if value is None:
            self.problem("missing", where + name)
            return {"zh": ""}
        if isinstance(value, str):
            value = {language: value for language in LANGUAGES}
        if not isinstance(value, dict):
            self.problem("not_text", where + name)
            return {"zh": ""}
        result = {}
        for language in LANGUAGES:
            part = value.get(language)
            if not isinstance(part, str) or not part.strip():
                self.problem("missing", f"{where}{name}.{language}")
                continue
            if len(part.strip()) > limit:
                self.problem("too_long", f"{where}{name}.{language}", limit=limit)
            result[language] = " ".join(part.split())
        for language in value:
            if language not in LANGUAGES:
                self.problem("unknown_field", f"{where}{name}.{language}")
        return result or {"zh": ""}

    def number(self, value: Any, where: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            self.problem("not_number", where)
            return 0
        if not low <= value <= high:
            self.problem("out_of_range", where, low=_shown(low), high=_shown(high))
            return 0
        if round(value * 100) != value * 100:
            self.problem("too_precise", where)
        return int(value) if float(value).is_integer() else float(value)

    def rules(self, raw: Any) -> Rules:
        if not isinstance(raw, dict):
            raise RulesError([Problem("not_object")])
        self.known(raw, ("kind", "id", "title", "return_grace_days", "levels", "deductions"),
                   "")
        if raw.get("kind") != KIND:
            self.problem("wrong_kind", "kind", kind=KIND)
        key = raw.get("id")
        if not isinstance(key, str) or not key.strip() or len(key) > MAX_TITLE:
            self.problem("missing", "id")
            key = ""
        title = self.text(raw, "title", "", MAX_TITLE)
        grace = raw.get("return_grace_days", 2)
        if isinstance(grace, bool) or not isinstance(grace, int):
            self.problem("not_whole", "return_grace_days")
            grace = 2
        elif not 0 <= grace <= MAX_GRACE_DAYS:
            self.problem("out_of_range", "return_grace_days", low=0, high=MAX_GRACE_DAYS)
        levels = self.levels(raw.get("levels"))
        deductions = self.deductions(raw.get("deductions", {}))
        if self.problems:
            raise RulesError(self.problems)
        return Rules(key.strip(), title, grace, levels, deductions)

    def levels(self, raw: Any) -> tuple[Level, ...]:
        if raw is None:
            self.problem("missing", "levels")
            return ()
        if not isinstance(raw, list):
            self.problem("not_list", "levels")
            return ()
        if not raw:
            self.problem("empty", "levels")
        if len(raw) > MAX_LEVELS:
            self.problem("too_many", "levels", limit=MAX_LEVELS)
            raw = raw[:MAX_LEVELS]
        found: list[Level] = []
        seen: set[str] = set()
        for index, entry in enumerate(raw, 1):
            where = f"levels[{index}]."
            if not isinstance(entry, dict):
                self.problem("not_object", f"levels[{index}]")
                continue
            self.known(entry, ("key", "name", "points"), where)
            key = entry.get("key")
            if not isinstance(key, str) or not LEVEL_KEY.match(key):
                self.problem("bad_key", where + "key")
                key = ""
            elif key in seen:
                self.problem("duplicate_key", where + "key", name=key)
            seen.add(key)
            name = self.text(entry, "name", where, MAX_NAME)
            if "points" not in entry:
                self.problem("missing", where + "points")
            points = self.number(entry.get("points"), where + "points", 0, MAX_POINTS)
            found.append(Level(key, name, points))
        return tuple(found)

    def deductions(self, raw: Any) -> dict[str, dict[str, float]]:
        if not isinstance(raw, dict):
            self.problem("not_object", "deductions")
            return {}
        found: dict[str, dict[str, float]] = {}
        for deliverable, kinds in raw.items():
            where = f"deductions.{deliverable}"
            if deliverable not in DELIVERABLE_KEYS:
                self.problem("unknown_deliverable", where,
                             known=", ".join(DELIVERABLE_KEYS))
                continue
            if not isinstance(kinds, dict):
                self.problem("not_object", where)
                continue
            self.known(kinds, DEDUCTION_KINDS, where + ".")
            found[deliverable] = {
                kind: self.number(kinds[kind], f"{where}.{kind}", -MAX_POINTS, 0)
                for kind in DEDUCTION_KINDS if kind in kinds}
        return found


def _shown(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def points_text(points: float) -> str:
    """Points as people write them: ``5``, ``-0.5``, ``+20`` is not used."""
    rounded = round(points, 2)
    if float(rounded).is_integer():
        return str(int(rounded))
    return f"{rounded:g}"
