"""Text entities as Telegram makes them.

parse_mode handling: Telegram turns markup (HTML, MarkdownV2, legacy Markdown) into plain text
+ entities, and rejects malformed markup with "Bad Request: can't parse entities: ...".
Offsets and lengths are in UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.records import JSONDict, bad_request


def u16(text: str) -> int:
    """Length in UTF-16 code units (Telegram's unit for entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> JSONDict:
    """``{"entities": [bot_command]}`` when the text starts with a /command, else {}."""
    if not text.startswith("/"):
        return {}
    word = re.split(r"\s", text, maxsplit=1)[0]
    if len(word) < 2:
        return {}
    return {"entities": [{"type": "bot_command", "offset": 0, "length": u16(word)}]}


class _ParseError(Exception):
    pass


class _TextBuilder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0  # UTF-16 offset of the end of the output
        self.entities: list[JSONDict] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += u16(text)

    def entity(self, etype: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": etype, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[JSONDict]]:
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ents


_HTML_END = re.compile(r"</([A-Za-z][\w-]*)\s*>")
_HTML_START = re.compile(
    r"<([A-Za-z][\w-]*)((?:\s+[A-Za-z][\w-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*/?>"
)
_HTML_ATTR = re.compile(r"([A-Za-z][\w-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_HTML_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
#: The tags Telegram's HTML parse mode knows: tdlib MessageEntity.cpp, parse_html (its list
#: of tag names; anything else is "Unsupported start tag \"x\" at byte offset N").
_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}


def _html_unescape(value: str) -> str:
    return _HTML_ENTITY.sub(lambda m: _decode_html_entity(m.group(1)) or m.group(0), value)


def _decode_html_entity(name: str) -> str | None:
    if name.startswith("#"):
        try:
            cp = int(name[2:], 16) if name[1:2] in "xX" else int(name[1:])
            return chr(cp)
        except (ValueError, OverflowError):
            return None
    return _HTML_NAMED.get(name)


def parse_html(src: str) -> tuple[str, list[JSONDict]]:
    """Telegram's HTML parse mode: plain text + entities, or `_ParseError`."""
    b = _TextBuilder()
    stack: list[tuple[str, JSONDict | None, int]] = []
    i, n = 0, len(src)

    def boff(idx: int) -> int:
        return len(src[:idx].encode())

    while i < n:
        c = src[i]
        if c == "<":
            m = _HTML_END.match(src, i)
            if m:
                tag = m.group(1).lower()
                if not stack:
                    raise _ParseError(f"Unexpected end tag at byte offset {boff(i)}")
                if stack[-1][0] != tag:
                    expected = stack[-1][0]
                    raise _ParseError(
                        f"Unmatched end tag at byte offset {boff(i)}, "
                        f'expected "</{expected}>", found "</{tag}>"'
                    )
                _, ent, start = stack.pop()
                if ent is not None:
                    etype = ent.pop("type")
                    b.entity(etype, start, **ent)
                i = m.end()
                continue
            m = _HTML_START.match(src, i)
            # the tag name as tdlib reads it: up to a space or ">" (so "<br/>" is "br/")
            word_match = re.match(r"<([^\s>]*)", src[i:])
            word = (word_match.group(1) if word_match else "").lower()
            if word not in _HTML_TAGS:
                raise _ParseError(f'Unsupported start tag "{word}" at byte offset {boff(i)}')
            if not m:
                raise _ParseError(f"Unclosed start tag at byte offset {boff(i)}")
            tag = m.group(1).lower()
            attrs: dict[str, str] = {}
            for am in _HTML_ATTR.finditer(m.group(2) or ""):
                attrs[am.group(1).lower()] = _html_unescape(
                    next((g for g in am.groups()[1:] if g is not None), "")
                )
            ent: JSONDict | None = {"type": _HTML_TAGS[tag]}
            if tag == "span" and attrs.get("class") != "tg-spoiler":
                raise _ParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {boff(i)}'
                )
            if tag == "a":
                href = attrs.get("href")
                ent = {"type": "text_link", "url": href} if href else None
            elif tag == "code" and stack and stack[-1][0] == "pre" and stack[-1][1] is not None:
                lang = attrs.get("class", "")
                if lang.startswith("language-"):
                    stack[-1][1]["language"] = lang[len("language-") :]
                ent = None
            elif tag == "blockquote" and "expandable" in attrs:
                ent = {"type": "expandable_blockquote"}
            elif tag == "tg-emoji":
                ent = {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
            elif tag == "tg-time":
                unix = attrs.get("unix", "")
                ent = {"type": "date_time", "unix_time": int(unix) if unix.isdigit() else 0}
            stack.append((tag, ent, b.pos))
            i = m.end()
            continue
        if c == "&":
            m = _HTML_ENTITY.match(src, i)
            decoded = _decode_html_entity(m.group(1)) if m else None
            if m and decoded is not None:
                b.add(decoded)
                i = m.end()
                continue
        b.add(c)
        i += 1
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return b.result()


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}


def _find_unescaped(src: str, needle: str, start: int) -> int:
    i = start
    while i < len(src):
        if src[i] == "\\":
            i += 2
            continue
        if src.startswith(needle, i):
            return i
        i += 1
    return -1


def _md_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.S)


def parse_markdown_v2(src: str) -> tuple[str, list[JSONDict]]:
    """Telegram's MarkdownV2: reserved characters must be escaped with a backslash."""
    b = _TextBuilder()
    stack: list[tuple[str, int, int]] = []  # (entity type, start utf16, byte offset)
    quote_start: int | None = None
    i, n = 0, len(src)

    def boff(idx: int) -> int:
        return len(src[:idx].encode())

    def toggle(etype: str, width: int) -> None:
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] == etype:
                _, start, _ = stack.pop(k)
                b.entity(etype, start)
                return
        stack.append((etype, b.pos, boff(i)))

    while i < n:
        c = src[i]
        if c == "\\":
            if i + 1 < n and 0 < ord(src[i + 1]) < 127:
                b.add(src[i + 1])
                i += 2
                continue
            b.add(c)
            i += 1
            continue
        if c == "\n":
            if quote_start is not None and src[i + 1 : i + 2] != ">":
                b.entity("blockquote", quote_start)
                quote_start = None
            b.add(c)
            i += 1
            continue
        if c == ">" and (i == 0 or src[i - 1] == "\n"):
            if quote_start is None:
                quote_start = b.pos
            i += 1
            continue
        if c == "`":
            if src.startswith("```", i):
                end = _find_unescaped(src, "```", i + 3)
                if end < 0:
                    raise _ParseError(f"Can't find end of Pre entity at byte offset {boff(i)}")
                body = src[i + 3 : end]
                language = ""
                first, sep, rest = body.partition("\n")
                if sep and first and " " not in first:
                    language, body = first, rest
                elif sep and not first:
                    body = rest
                start = b.pos
                b.add(_md_unescape(body))
                b.entity("pre", start, **({"language": language} if language else {}))
                i = end + 3
                continue
            end = _find_unescaped(src, "`", i + 1)
            if end < 0:
                raise _ParseError(f"Can't find end of Code entity at byte offset {boff(i)}")
            start = b.pos
            b.add(_md_unescape(src[i + 1 : end]))
            b.entity("code", start)
            i = end + 1
            continue
        if c == "*":
            toggle("bold", 1)
            i += 1
            continue
        if c == "_":
            if src.startswith("__", i):
                toggle("underline", 2)
                i += 2
            else:
                toggle("italic", 1)
                i += 1
            continue
        if c == "~":
            toggle("strikethrough", 1)
            i += 1
            continue
        if c == "|" and src.startswith("||", i):
            toggle("spoiler", 2)
            i += 2
            continue
        if c == "[":
            stack.append(("text_link", b.pos, boff(i)))
            i += 1
            continue
        if c == "]" and stack and stack[-1][0] == "text_link":
            if src[i + 1 : i + 2] != "(":
                raise _ParseError(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            end = _find_unescaped(src, ")", i + 2)
            if end < 0:
                raise _ParseError(f"Can't find end of a URL at byte offset {boff(i + 2)}")
            _, start, _ = stack.pop()
            b.entity("text_link", start, url=_md_unescape(src[i + 2 : end]))
            i = end + 1
            continue
        if c in _MDV2_RESERVED:
            raise _ParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        b.add(c)
        i += 1
    if quote_start is not None:
        b.entity("blockquote", quote_start)
    if stack:
        etype, _, byte_offset = stack[-1]
        raise _ParseError(
            f"Can't find end of {_MD_NAMES[etype]} entity at byte offset {byte_offset}"
        )
    return b.result()


def parse_markdown(src: str) -> tuple[str, list[JSONDict]]:
    """Telegram's legacy Markdown (no nesting, only _*`[ are special)."""
    b = _TextBuilder()
    i, n = 0, len(src)
    simple = {"*": "bold", "_": "italic"}
    while i < n:
        c = src[i]
        byte_offset = len(src[:i].encode())
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            b.add(src[i + 1])
            i += 2
            continue
        if c in simple or c == "`":
            token = "```" if src.startswith("```", i) else c
            end = src.find(token, i + len(token))
            if end < 0:
                raise _ParseError(
                    f"Can't find end of the entity starting at byte offset {byte_offset}"
                )
            body = src[i + len(token) : end]
            etype = simple.get(c, "pre" if token == "```" else "code")
            language = ""
            if token == "```":
                first, sep, rest = body.partition("\n")
                if sep and first and " " not in first:
                    language, body = first, rest
            start = b.pos
            b.add(body)
            b.entity(etype, start, **({"language": language} if language else {}))
            i = end + len(token)
            continue
        if c == "[":
            m = re.compile(r"\[([^\]]*)\]\(([^)]*)\)").match(src, i)
            if m:
                start = b.pos
                b.add(m.group(1))
                b.entity("text_link", start, url=m.group(2))
                i = m.end()
                continue
            raise _ParseError(f"Can't find end of the entity starting at byte offset {byte_offset}")
        b.add(c)
        i += 1
    return b.result()


def _strip_text(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram trims leading/trailing whitespace of message texts (entities follow)."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    left = u16(text[: len(text) - len(text.lstrip())])
    total = u16(stripped)
    out = []
    for ent in entities:
        start = max(ent["offset"] - left, 0)
        end = min(ent["offset"] - left + ent["length"], total)
        if end > start:
            out.append({**ent, "offset": start, "length": end - start})
    return stripped, out


def format_text(
    text: str, parse_mode: str | None, entities: list[JSONDict] | None
) -> tuple[str, list[JSONDict]]:
    """Apply `parse_mode` like Telegram: returns (plain text, entities) or raises ApiError 400."""
    mode = (parse_mode or "").lower()
    try:
        if not mode:
            plain, ents = text, [dict(e) for e in entities or []]
        elif mode == "html":
            plain, ents = parse_html(text)
        elif mode == "markdownv2":
            plain, ents = parse_markdown_v2(text)
        elif mode == "markdown":
            plain, ents = parse_markdown(text)
        else:
            raise bad_request("unsupported parse_mode")
    except _ParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    return _strip_text(plain, ents)
