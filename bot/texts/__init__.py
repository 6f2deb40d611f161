"""Text catalogs: ``bot/texts/<lang>/<area>.toml``; a key is ``<area>.<name>``.

Parameters are HTML-escaped when formatted (messages use HTML parse mode), so a name like
``<b>`` typed by a user can never break a later message. Wrap trusted markup in :class:`Raw`.
"""

from __future__ import annotations

import html
import tomllib
from pathlib import Path

CATALOG_DIR = Path(__file__).resolve().parent
LANGUAGES = ("zh", "en")


class Raw(str):
    """A parameter that is already valid HTML and must not be escaped."""


class Texts:
    def __init__(self, catalogs: dict[str, dict[str, str]], default: str = "zh") -> None:
        self.catalogs = catalogs
        self.default = default

    @classmethod
    def load(cls, directory: Path = CATALOG_DIR, default: str = "zh") -> Texts:
        catalogs: dict[str, dict[str, str]] = {}
        for language in LANGUAGES:
            entries: dict[str, str] = {}
            for path in sorted((directory / language).glob("*.toml")):
                with path.open("rb") as handle:
                    _flatten(path.stem, tomllib.load(handle), entries)
            catalogs[language] = entries
        return cls(catalogs, default)

    def get(self, language: str, key: str, **params: object) -> str:
        catalog = self.catalogs.get(language) or self.catalogs[self.default]
        template = catalog.get(key)
        if template is None:
            template = self.catalogs[self.default][key]
        if not params:
            return template
        return template.format(**{name: _escape(value) for name, value in params.items()})

    def variants(self, key: str) -> set[str]:
        """The text of a key in every language: to recognise a reply-keyboard tap."""
        return {catalog[key] for catalog in self.catalogs.values() if key in catalog}


def _escape(value: object) -> str:
    if isinstance(value, Raw):
        return str(value)
    return html.escape(str(value), quote=False)


def _flatten(prefix: str, table: dict, into: dict[str, str]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if isinstance(value, dict):
            _flatten(key, value, into)
        else:
            into[key] = str(value)
