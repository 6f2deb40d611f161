"""Pure checks of what people type. Each returns the cleaned value or raises Invalid(key)."""

from __future__ import annotations

import re
import unicodedata


class Invalid(ValueError):
    """``key`` names the catalog text that says what is wrong."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
QQ = re.compile(r"^[1-9]\d{4,11}$")
WECHAT = re.compile(r"^[A-Za-z][-_A-Za-z0-9]{5,19}$")
LANDLINE = re.compile(r"^\+?[\d\-\s()（）]+(?:(?:转|ext\.?|x|#)\s*\d{1,6})?$", re.IGNORECASE)


def telegram_length(text: str) -> int:
    """A text's length as Telegram counts it (UTF-16 code units: an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def drop_controls(raw: str) -> str:
    """Control characters dropped, line breaks and tabs kept (a multi-line announcement)."""
    return "".join(ch for ch in raw if unicodedata.category(ch) != "Cc" or ch in "\n\t")


def tidy(raw: str) -> str:
    """Control characters dropped (line breaks and tabs are spaces), every run of whitespace
    one space, the ends stripped."""
    return " ".join("".join(ch for ch in raw
                            if ch.isspace() or unicodedata.category(ch) != "Cc").split())


def clean_text(raw: str, max_length: int) -> str:
    """Strip, drop control characters, refuse empty or over-long input."""
    text = tidy(raw)
    if not text:
        raise Invalid("validation.empty")
    if len(text) > max_length:
        raise Invalid("validation.too_long")
    return text


def mobile(raw: str) -> str:
    """A Chinese mobile (11 digits, 1[3-9]…, optional +86) or an international +number."""
    compact = re.sub(r"[\s\-()（）]", "", raw.strip())
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("0086"):
        compact = compact[4:]
    elif compact.startswith("86") and len(compact) == 13:
        compact = compact[2:]
    if CN_MOBILE.match(compact):
        return compact
    if compact.startswith("+") and compact[1:].isdigit() and 8 <= len(compact) - 1 <= 15:
        return compact
    raise Invalid("validation.mobile")


def contact_phone(raw: str) -> str:
    """A number shared from the Telegram contact button (digits, maybe without the +)."""
    digits = re.sub(r"\D", "", raw)
    try:
        return mobile(raw if raw.strip().startswith("+") else "+" + digits)
    except Invalid:
        return mobile(digits)


def landline(raw: str) -> str:
    """Office phone or fax: 7–15 digits, area code, hyphens, spaces and an extension allowed."""
    text = raw.strip()
    digits = re.sub(r"\D", "", text)
    if not LANDLINE.match(text) or not 7 <= len(digits) <= 18:
        raise Invalid("validation.phone")
    return " ".join(text.split())


def email(raw: str) -> str:
    text = raw.strip()
    if len(text) > 254 or not EMAIL.match(text):
        raise Invalid("validation.email")
    return text


def qq(raw: str) -> str:
    text = raw.strip()
    if not QQ.match(text):
        raise Invalid("validation.qq")
    return text


def wechat(raw: str) -> str:
    text = raw.strip()
    if WECHAT.match(text):
        return text
    try:
        return mobile(text)
    except Invalid:
        raise Invalid("validation.wechat") from None


GENDERS = {"男": "male", "女": "female", "male": "male", "female": "female",
           "m": "male", "f": "female"}


def gender(raw: str) -> str:
    value = GENDERS.get(raw.strip().lower())
    if value is None:
        raise Invalid("validation.gender")
    return value


def has_format_characters(text: str) -> bool:
    """Unicode category Cf: zero-width spaces and joiners, bidi controls (U+202A–E,
    U+2066–9), the BOM… — invisible, so a name holding one can imitate another."""
    return any(unicodedata.category(ch) == "Cf" for ch in text)


def _full_width_punctuation(ch: str) -> bool:
    """（）：，… as Chinese writing uses them (U+FF01–FF5E punctuation and symbols)."""
    return "\uff01" <= ch <= "\uff5e" and unicodedata.category(ch)[0] in "PS"


def normalise(raw: str) -> str:
    """NFKC (full-width letters and digits, ligatures, compatibility forms folded), except
    the full-width punctuation of Chinese writing: ``长春市（甲）`` keeps its brackets, as
    the official name is written; :func:`name_key` still compares them folded."""
    parts: list[str] = []
    run: list[str] = []
    for ch in raw:
        if _full_width_punctuation(ch):
            parts += [unicodedata.normalize("NFKC", "".join(run)), ch]
            run = []
        else:
            run.append(ch)
    parts.append(unicodedata.normalize("NFKC", "".join(run)))
    return "".join(parts)


def name(raw: str, max_length: int) -> str:
    """Every typed name (a unit, a person, a campaign, an event): normalised
    (:func:`normalise`), refused when it holds a format character, then
    :func:`clean_text`."""
    text = normalise(raw)
    if has_format_characters(text):
        raise Invalid("validation.invisible")
    return clean_text(text, max_length)


def name_key(text: str) -> str:
    """What two names are compared by: NFKC, format characters and whitespace dropped, case
    folded (``长春市 ＡＢ`` is ``长春市ab``). Names stored before normalisation compare
    equal to their clean form."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(tidy("".join(ch for ch in folded if unicodedata.category(ch) != "Cf"))
                   .split()).casefold()


def unit_name(raw: str) -> str:
    return name(raw, 60)
