"""Errors the command line turns into exit codes, said by key in the person's language.

Every message lives in ``prompts/<lang>/errors.yaml``; the code names a key and its values::

    raise UserError("session_not_found", id=session_id)

``str(exc)`` is the Japanese text (logs, and tests that match Japanese fragments); ``exc.render(lang)``
is the text in a given language — what the CLI prints and the TUI shows. tests/unit/test_errors.py checks
that both files have the same keys and placeholders and that every key raised in the code is there; a key
that is missing anyway shows as itself rather than failing the person at the keyboard.
"""

from __future__ import annotations

import os

from dxcoach import texts

LANGUAGES = ("ja", "en")


def env_lang() -> str:
    """The language before settings are loaded (argparse, a settings file that cannot be read)."""
    lang = os.environ.get("DXCOACH_LANG", "").strip().lower()
    return lang if lang in LANGUAGES else "ja"


def message(lang: str, key: str, **values: object) -> str:
    """The text of ``key`` in ``lang``, filled with ``values``."""
    table = texts.load(lang if lang in LANGUAGES else "ja", "errors")
    template = str(table.get(key, key))
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


class UserError(Exception):
    """Bad input or bad usage: the CLI prints the message as one line and exits with 2."""

    def __init__(self, key: str, /, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def render(self, lang: str) -> str:
        return message(lang, self.key, **self.values)

    def __str__(self) -> str:
        return self.render("ja")


class IndexBusyError(UserError):
    """Another process holds the index lock for longer than we are willing to wait."""
