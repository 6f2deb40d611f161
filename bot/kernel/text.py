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


def _cut(line: str, limit: int) -> list[str]:
    """A line as pieces of at most ``limit`` units, cut only outside tags and entities."""
    if utf16_length(line) <= limit:
        return [line]
    pieces: list[str] = []
    open_tags: list[tuple[str, str]] = []     # (name, the opening tag as written)
    current = ""
    size = 0
    index = 0
    while index < len(line):
        match = TAG.match(line, index)
        if match:
            token = match.group(0)
        elif line[index] == "&" and (end := line.find(";", index, index + 12)) != -1:
            token = line[index:end + 1]
        else:
            token = line[index]
        closing = "".join(f"</{name}>" for name, _ in reversed(open_tags))
        if current and size + utf16_length(token) + utf16_length(closing) > limit:
            pieces.append(current + closing)
            current = "".join(tag for _, tag in open_tags)
            size = utf16_length(current)
        current += token
        size += utf16_length(token)
        if match:
            name = match.group(2).lower()
            if match.group(1):
                for position in range(len(open_tags) - 1, -1, -1):
                    if open_tags[position][0] == name:
                        del open_tags[position]
                        break
            else:
                open_tags.append((name, token))
        index += len(token)
    if current:
        pieces.append(current)
    return pieces


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
