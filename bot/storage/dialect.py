"""The repositories' SQL (SQLite's dialect, written in the subset both engines share) made
into PostgreSQL's.

Each statement has two forms: ``bound`` (``$1, $2 …``, for a prepared statement whose
parameters' types PostgreSQL infers) and pieces around literals (:func:`render`):
PostgreSQL types an untyped ``'text'`` literal by its context, as SQLite's type affinity
does, so a repository's ``?`` works whatever Python type it passes, where a prepared
statement's typed parameters would refuse ``'5'`` for an integer column or an ``int`` for a
text one; :mod:`bot.storage.pg` binds where the values fit the types and renders otherwise.
``rows_insert`` / ``rows_sql``: a one-row ``INSERT … VALUES`` over parameter arrays, for
many rows in one statement. The few SQLite spellings the code base uses are
rewritten outside quotes: ``x IS ?`` (``IS NOT DISTINCT FROM``), ``ifnull``, ``instr``,
``json_group_array``, the two-argument scalar ``max`` / ``min`` (``greatest`` / ``least``),
``INSERT OR IGNORE``. Migrations also get ``INTEGER PRIMARY KEY`` → an identity column and
``INTEGER`` → ``BIGINT`` (Telegram's ids need 64 bits; SQLite's integers have them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INSERT_TABLE = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+([A-Za-z_][A-Za-z0-9_]*)",
                           re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_ON_CONFLICT = re.compile(r"\bON\s+CONFLICT\b", re.IGNORECASE)
_READS = ("SELECT", "WITH", "VALUES")
_NAMED = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")
NUL_STORED = "\ufffd"        # what a NUL in a text is stored as on PostgreSQL (storable)


@dataclass(frozen=True)
class Statement:
    """One translated statement: SQL pieces around the parameters, and how to run it."""
    pieces: tuple[str, ...]          # len(pieces) == number of parameters + 1
    names: tuple[str, ...] | None    # named parameters (``:name``) in order, else None
    returns_rows: bool               # fetch (a SELECT or RETURNING), else execute
    added_returning: bool            # RETURNING <id> was added for ``lastrowid``
    is_insert: bool
    bound: str = ""                  # the text with $1, $2 … for a prepared statement
    counted: str | None = None       # ``bound`` + RETURNING 1: a DML's rows, counted
    rows_insert: tuple[str, str, str] | None = None   # see :func:`_rows_insert`

    def values(self, params: Sequence[Any] | Mapping[str, Any] = ()) -> Sequence[Any]:
        """The parameters in their places' order (a mapping's by name), a text's NUL
        characters as U+FFFD (``storable``)."""
        if self.names is not None:
            if not isinstance(params, Mapping):
                raise TypeError("named parameters need a mapping")
            return storable([params[name] for name in self.names])
        if len(params) != len(self.pieces) - 1:
            raise ValueError(f"{len(self.pieces) - 1} parameters wanted, {len(params)} "
                             f"given: {self.pieces[0][:60]}")
        return storable(params)

    def rows_sql(self, array_types: Sequence[str]) -> str:
        """``rows_insert`` as one statement: every row's parameters in typed arrays
        (``$1::int8[]`` …), inserted in the arrays' order."""
        if self.rows_insert is None:
            raise ValueError("not a one-row INSERT … VALUES")
        head, values, tail = self.rows_insert
        arrays = ", ".join(f"${n}::{name}[]" for n, name in enumerate(array_types, start=1))
        columns = ", ".join(f"p{n}" for n in range(1, len(array_types) + 1))
        return (f"{head}SELECT {values} FROM unnest({arrays}) WITH ORDINALITY "
                f"AS {_ROWS}({columns}, ord) ORDER BY {_ROWS}.ord{tail}")

    def sql(self, params: Sequence[Any] | Mapping[str, Any] = ()) -> str:
        if len(self.pieces) == 1:
            return self.pieces[0]
        values = self.values(params)
        parts = [self.pieces[0]]
        for value, piece in zip(values, self.pieces[1:], strict=True):
            parts.append(render(value))
            parts.append(piece)
        return "".join(parts)


def storable(values: Sequence[Any]) -> Sequence[Any]:
    """PostgreSQL's text cannot hold NUL (U+0000), which SQLite stores and a person can
    type: it is kept as U+FFFD, the replacement character, rather than failing the write."""
    if not any(type(value) is str and "\x00" in value for value in values):
        return values
    return [value.replace("\x00", NUL_STORED) if type(value) is str else value
            for value in values]


def render(value: Any) -> str:
    """A Python value as a PostgreSQL literal (standard_conforming_strings is on)."""
    if value is None:
        return "NULL"
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return "'NaN'::float8" if math.isnan(value) else \
            ("'Infinity'::float8" if value > 0 else "'-Infinity'::float8")
    if isinstance(value, bytes | bytearray | memoryview):
        return "'\\x" + bytes(value).hex() + "'::bytea"
    text = str(value).replace("\x00", NUL_STORED)
    return "'" + text.replace("'", "''") + "'"


def _scan(sql: str):
    """Yield (kind, text) tokens: 'quoted' (strings, quoted names, comments) or 'code'."""
    index = 0
    start = 0
    length = len(sql)
    while index < length:
        char = sql[index]
        if char in "'\"":
            if start < index:
                yield "code", sql[start:index]
            end = index + 1
            while end < length:
                if sql[end] == char:
                    if end + 1 < length and sql[end + 1] == char:
                        end += 2
                        continue
                    break
                end += 1
            yield "quoted", sql[index:end + 1]
            index = start = end + 1
            continue
        if sql.startswith("--", index):
            if start < index:
                yield "code", sql[start:index]
            end = sql.find("\n", index)
            end = length if end == -1 else end
            index = start = end
            continue
        index += 1
    if start < length:
        yield "code", sql[start:]


def _matching(sql: str, open_index: int) -> tuple[int, list[int]]:
    """The index of the ``)`` closing the ``(`` at ``open_index`` and its top-level commas
    (quotes skipped)."""
    depth = 0
    commas: list[int] = []
    index = open_index
    quote = None
    while index < len(sql):
        char = sql[index]
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index, commas
        elif char == "," and depth == 1:
            commas.append(index)
        index += 1
    raise ValueError(f"unbalanced parentheses in: {sql[:80]}")


def _rewrite_functions(sql: str) -> str:
    """ifnull → coalesce, instr → strpos, max(a, b) → greatest, min(a, b) → least,
    json_group_array(x) → coalesce(json_agg(x), '[]') (SQLite's gives [] for no rows)."""
    out: list[str] = []
    index = 0
    quote = None
    while index < len(sql):
        char = sql[index]
        if quote:
            out.append(char)
            if char == quote:
                quote = None
            index += 1
            continue
        if char in "'\"":
            quote = char
            out.append(char)
            index += 1
            continue
        match = _WORD.match(sql, index)
        if not match or (index and (sql[index - 1].isalnum() or sql[index - 1] in "_.")):
            out.append(char)
            index += 1
            continue
        word = match.group(0)
        after = match.end()
        while after < len(sql) and sql[after] == " ":
            after += 1
        lowered = word.lower()
        if after < len(sql) and sql[after] == "(" and lowered in (
                "ifnull", "instr", "max", "min", "json_group_array"):
            close, commas = _matching(sql, after)
            inner = _rewrite_functions(sql[after + 1:close])
            if lowered == "ifnull":
                out.append(f"coalesce({inner})")
            elif lowered == "instr":
                out.append(f"strpos({inner})")
            elif lowered == "json_group_array":
                out.append(f"coalesce(json_agg({inner}), '[]'::json)")
            elif commas:
                out.append(("greatest" if lowered == "max" else "least") + f"({inner})")
            else:
                out.append(f"{word}({inner})")
            index = close + 1
            continue
        out.append(word)
        index = match.end()
    return "".join(out)


_IS_NOT_PARAM = re.compile(r"\bIS\s+NOT\s+\?", re.IGNORECASE)
_IS_PARAM = re.compile(r"\bIS\s+\?", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^(\s*INSERT)\s+OR\s+IGNORE\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def translate(sql: str, identity: frozenset[tuple[str, str]] = frozenset()) -> Statement:
    """SQLite-dialect ``sql`` as PostgreSQL pieces. ``identity``: (table, id column) pairs
    whose inserts return their id (``lastrowid``)."""
    text = sql.strip().rstrip(";")
    or_ignore = bool(_OR_IGNORE.match(text))
    if or_ignore:
        text = _OR_IGNORE.sub(r"\1", text, count=1)
    code_parts = []
    for kind, part in _scan(text):
        if kind == "code":
            part = _IS_NOT_PARAM.sub("IS DISTINCT FROM ?", part)
            part = _IS_PARAM.sub("IS NOT DISTINCT FROM ?", part)
        code_parts.append((kind, part))
    text = _rewrite_functions("".join(part for _, part in code_parts))
    if or_ignore and not _ON_CONFLICT.search(text):
        text += " ON CONFLICT DO NOTHING"
    pieces: list[str] = []
    names: list[str] = []
    current: list[str] = []
    named = False
    for kind, part in _scan(text):
        if kind == "quoted":
            current.append(part)
            continue
        position = 0
        for index, char in enumerate(part):
            if char == "?":
                current.append(part[position:index])
                pieces.append("".join(current))
                current = []
                position = index + 1
            elif char == ":" and index + 1 < len(part) and part[index + 1] != ":" and \
                    (index == 0 or part[index - 1] != ":"):
                match = _NAMED.match(part, index)
                if match:
                    current.append(part[position:index])
                    pieces.append("".join(current))
                    current = []
                    names.append(match.group(1))
                    named = True
                    position = match.end()
        current.append(part[position:])
    pieces.append("".join(current))
    head = text.lstrip()[:10].upper()
    is_insert = head.startswith("INSERT")
    returns_rows = head.startswith(_READS) or bool(_RETURNING.search(text))
    added = False
    if is_insert and not returns_rows:
        table = _INSERT_TABLE.match(text)
        column = dict(identity).get(table.group(1).lower()) if table else None
        if column:
            pieces[-1] = pieces[-1] + f" RETURNING {column}"
            returns_rows = True
            added = True
    bound = _numbered(pieces)
    counted = None
    if not returns_rows and head.startswith(("INSERT", "UPDATE", "DELETE")):
        counted = bound + " RETURNING 1"
    rows_insert = _rows_insert(bound) if is_insert and not returns_rows else None
    return Statement(tuple(pieces), tuple(names) if named else None, returns_rows, added,
                     is_insert, bound, counted, rows_insert)


_ROWS = "bot_rows"
_VALUES = re.compile(r"\bVALUES\s*\(", re.IGNORECASE)
_PLACE = re.compile(r"\$(\d+)")
_DO_NOTHING = re.compile(r"^\s*(ON\s+CONFLICT\b[^$]*\bDO\s+NOTHING\s*)?$", re.IGNORECASE)


def _numbered(pieces: Sequence[str]) -> str:
    parts = [pieces[0]]
    for number, piece in enumerate(pieces[1:], start=1):
        parts.append(f"${number}")
        parts.append(piece)
    return "".join(parts)


def _code_sub(pattern: re.Pattern, replace, text: str) -> str:
    return "".join(part if kind == "quoted" else pattern.sub(replace, part)
                   for kind, part in _scan(text))


def _rows_insert(bound: str) -> tuple[str, str, str] | None:
    """A one-row ``INSERT … VALUES (…)`` (nothing after it but ``ON CONFLICT … DO
    NOTHING``, every parameter in the row) as (head, the row's expressions over
    ``bot_rows.pN``, tail): for many rows in one statement, each row's values from
    parameter arrays, in their order. None for any other statement. ``DO UPDATE`` is left
    out: two rows with one key in a statement fail where one by one they would not."""
    code = "".join(part if kind == "code" else " " * len(part) for kind, part in _scan(bound))
    found = list(_VALUES.finditer(code))
    if len(found) != 1 or "$1" not in bound:
        return None
    opening = found[0].end() - 1
    try:
        closing, _ = _matching(code, opening)
    except ValueError:
        return None
    tail = bound[closing + 1:]
    if not _DO_NOTHING.match(code[closing + 1:]) or _PLACE.search(code[:found[0].start()]):
        return None
    values = _code_sub(_PLACE, lambda match: f"{_ROWS}.p{match.group(1)}",
                       bound[opening + 1:closing])
    return bound[:found[0].start()], values, tail


_INTEGER_KEY = re.compile(r"\b(\w+)\s+INTEGER\s+PRIMARY\s+KEY\b", re.IGNORECASE)
_INTEGER = re.compile(r"\bINTEGER\b", re.IGNORECASE)
_REAL = re.compile(r"\bREAL\b", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)",
                           re.IGNORECASE)


def migration_statement(statement: str) -> tuple[str, tuple[str, str] | None]:
    """A migration's statement in PostgreSQL's words, and the (table, column) of the
    identity column it creates, if any. ``x INTEGER PRIMARY KEY`` is SQLite's rowid alias:
    an id filled in when not given."""
    identity = None
    table = _CREATE_TABLE.match(statement)
    out = []
    for kind, part in _scan(statement):
        if kind == "code":
            key = _INTEGER_KEY.search(part)
            if key and table:
                identity = (table.group(1).lower(), key.group(1).lower())
            part = _INTEGER_KEY.sub(r"\1 BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                                    part)
            part = _INTEGER.sub("BIGINT", part)
            part = _REAL.sub("DOUBLE PRECISION", part)
        out.append(part)
    return _rewrite_functions("".join(out)), identity


_REFERENCES = re.compile(r"\bREFERENCES\s+(\w+)", re.IGNORECASE)


def creation_order(statements: list[str]) -> list[str]:
    """A migration's statements with each ``CREATE TABLE`` after the tables of the same
    migration it references (SQLite accepts a reference to a table created later;
    PostgreSQL does not). Other statements keep their place after what they follow."""
    created = {match.group(1).lower(): index for index, statement in enumerate(statements)
               if (match := _CREATE_TABLE.match(statement))}
    done: set[int] = set()
    ordered: list[str] = []

    def emit(index: int, seen: frozenset[int]) -> None:
        if index in done or index in seen:
            return
        for name in _REFERENCES.findall(statements[index]):
            target = created.get(name.lower())
            if target is not None and target > index:
                emit(target, seen | {index})
        done.add(index)
        ordered.append(statements[index])

    for index in range(len(statements)):
        emit(index, frozenset())
    return ordered
