"""Text that leaves the bot: one message splitter and one safe file name.

Telegram takes at most 4,096 characters of message text after entity parsing (UTF-16 code
units). :func:`split_message` measures the HTML source in UTF-16 units, which is never less
than what Telegram counts, so every part it makes is accepted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

MESSAGE_LIMIT = 4096
SAFE_LIMIT = 4000      # room for a "continued" line and a little markup
TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")
UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
# Names Windows keeps for devices, whatever the case and whatever extension follows.
WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$",
                              re.IGNORECASE)
FILE_NAME_LIMIT = 80        # characters; a path of a few of them stays under Windows' 260
ECHO_LIMIT = 60             # characters of a person's input a reply repeats (a unit name's most)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_message(lines: Sequence[str], continued: str = "", limit: int = SAFE_LIMIT
                  ) -> list[str]:
    """Join lines into messages of at most ``limit`` UTF-16 units. A line is never cut
    when it fits in a message of its own; a line too long alone is cut between tags and
    entities, its open tags closed at the cut and opened again after it. Every part after
    the first starts with ``continued`` (when given)."""
    pieces: list[str] = []
    for line in lines:
        pieces += _cut(line, limit - utf16_length(continued) - 1)
    parts: list[list[str]] = [[]]
    size = 0
    for piece in pieces:
        length = utf16_length(piece) + 1
        if parts[-1] and size + length > limit:
            parts.append([continued] if continued else [])
            size = utf16_length(continued) + 1 if continued else 0
        parts[-1].append(piece)
        size += length
    return ["\n".join(part) for part in parts if part]


BREAKS = frozenset("、，,；; \u3000")     # a long line is cut after one of these if it can be


def _tokens(line: str) -> list[str]:
    """A line as tags, entities and single characters (a cut never falls inside one)."""
    tokens: list[str] = []
    index = 0
    while index < len(line):
        match = TAG.match(line, index)
        if match:
            token = match.group(0)
        elif line[index] == "&" and (end := line.find(";", index, index + 12)) != -1:
            token = line[index:end + 1]
        else:
            token = line[index]
        tokens.append(token)
        index += len(token)
    return tokens


def _after(open_tags: list[tuple[str, str]], token: str) -> list[tuple[str, str]]:
    """The open tags once ``token`` is read."""
    match = TAG.fullmatch(token)
    if not match:
        return open_tags
    name = match.group(2).lower()
    if not match.group(1):
        return [*open_tags, (name, token)]
    for position in range(len(open_tags) - 1, -1, -1):
        if open_tags[position][0] == name:
            return open_tags[:position] + open_tags[position + 1:]
    return open_tags


def _closing(open_tags: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(open_tags))


def _cut(line: str, limit: int) -> list[str]:
    """A line as pieces of at most ``limit`` units, cut only outside tags and entities, and
    after a separator (``、``, a comma, a space) when the piece holds one: a list of names
    joined on one line is cut between names, not inside one."""
    if utf16_length(line) <= limit:
        return [line]
    tokens = _tokens(line)
    pieces: list[str] = []
    index = 0
    open_tags: list[tuple[str, str]] = []
    while index < len(tokens):
        opening = "".join(tag for _, tag in open_tags)
        current, size, tags = opening, utf16_length(opening), open_tags
        best: tuple[int, str, list[tuple[str, str]]] | None = None   # a cut after a break
        position = index
        while position < len(tokens):
            token = tokens[position]
            following = _after(tags, token)
            length = utf16_length(token)
            if position > index and size + length + utf16_length(_closing(following)) > limit:
                break
            current += token
            size += length
            tags = following
            position += 1
            if token in BREAKS and position < len(tokens):
                best = (position, current, tags)
        if position < len(tokens) and best is not None:
            position, current, tags = best
        pieces.append(current + (_closing(tags) if position < len(tokens) else ""))
        index, open_tags = position, tags
    return pieces


def shortened(text: str, limit: int = ECHO_LIMIT) -> str:
    """What a person typed, as a reply repeats it: at most ``limit`` characters, ``…`` at
    the end when cut (a 4,000-character argument echoed in full would not fit a message)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def safe_file_name(name: str, fallback: str = "_", limit: int = FILE_NAME_LIMIT) -> str:
    """A name usable as a file or folder name on Windows, macOS and Linux: NFC (as macOS
    stores it), no character any of them refuses (``\\ / : * ? " < > |``, controls), no
    leading or trailing space, no trailing dot (Windows drops it: ``长春市.`` would become
    ``长春市``), not a device name Windows keeps (``CON``, ``nul.txt``, ``COM1``: prefixed
    with ``_``), at most ``limit`` characters (the extension kept). Characters only:
    making names unique is the caller's part."""
    cleaned = UNSAFE_IN_FILE_NAMES.sub("_", unicodedata.normalize("NFC", name))
    cleaned = cleaned.strip(" ").rstrip(". ")
    if len(cleaned) > limit:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 10 and stem:
            cleaned = stem[:limit - len(extension) - 1].rstrip(". ") + "." + extension
        else:
            cleaned = cleaned[:limit].rstrip(". ")
    if not cleaned:
        return fallback
    if WINDOWS_RESERVED.match(cleaned.split(".", 1)[0].rstrip(" ")):
        cleaned = "_" + cleaned
    return cleaned
