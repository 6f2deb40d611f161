"""Catalogs: every key in both languages, placeholders alike, parameters escaped."""

from __future__ import annotations

import re
import string

import pytest

from bot.texts import Raw, Texts

pytestmark = pytest.mark.no_database      # opens no database: runs once


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_both_languages_with_the_same_placeholders():
    texts = Texts.load()
    zh, en = texts.catalogs["zh"], texts.catalogs["en"]
    assert set(zh) == set(en), set(zh) ^ set(en)
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key
        assert zh[key].strip() and en[key].strip(), key


def test_every_key_used_in_the_code_exists():
    import pathlib

    texts = Texts.load()
    used = set()
    for path in pathlib.Path("bot").rglob("*.py"):
        used |= set(re.findall(r'"((?:[a-z_]+)\.[a-z_0-9]+)"', path.read_text(encoding="utf-8")))
    areas = {key.split(".")[0] for key in texts.catalogs["zh"]}
    missing = {key for key in used if key.split(".")[0] in areas
               and key not in texts.catalogs["zh"]}
    assert not missing


def test_parameters_are_html_escaped_unless_raw():
    texts = Texts.load()
    assert "&lt;b&gt;" in texts.get("zh", "units.exists", name="<b>")
    assert "<b>" in texts.get("zh", "units.exists", name=Raw("<b>"))
