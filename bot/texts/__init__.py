"""Every text the bot sends, by language: one module per language in this package.

Each language module defines ``TEXTS``, a mapping of message keys to ``str.format``
templates. English (``en``) is complete and is the fallback for a missing language or key,
so a new language is one new file such as ``de.py``, picked up at import.
"""

from __future__ import annotations

import html
import importlib
import pkgutil
from collections.abc import Mapping

__all__ = ["FALLBACK_LANGUAGE", "LANGUAGES", "Texts", "catalogue", "texts_for"]

FALLBACK_LANGUAGE = "en"


def _load_catalogues() -> dict[str, Mapping[str, str]]:
    catalogues = {}
    for module in pkgutil.iter_modules(__path__):
        catalogues[module.name] = importlib.import_module(f"{__name__}.{module.name}").TEXTS
    return catalogues


_CATALOGUES = _load_catalogues()
LANGUAGES = tuple(sorted(_CATALOGUES))


def catalogue(language: str) -> Mapping[str, str]:
    """Return the templates one language module defines, without the English fallback."""
    return _CATALOGUES[language]


class Texts:
    """The templates of one language, rendered with ``texts(key, **values)``."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._templates = _CATALOGUES[language]
        self._fallback = _CATALOGUES[FALLBACK_LANGUAGE]

    def _template(self, key: str) -> str:
        template = self._templates.get(key)
        return self._fallback[key] if template is None else template

    def __call__(self, key: str, /, **values: object) -> str:
        return self._template(key).format(**values)

    def html(self, key: str, /, **values: object) -> str:
        """Render a template as HTML: its own text is escaped, ``values`` go in as given.

        Callers escape any value that comes from a user or the catalogue.
        """
        return html.escape(self._template(key), quote=False).format(**values)


_TEXTS = {language: Texts(language) for language in LANGUAGES}


def texts_for(language_code: str | None) -> Texts:
    """Pick the texts for a Telegram ``language_code`` such as ``ru`` or ``en-US``."""
    if language_code:
        primary = language_code.split("-", 1)[0].lower()
        if primary in _TEXTS:
            return _TEXTS[primary]
    return _TEXTS[FALLBACK_LANGUAGE]
