"""Notices for the person at the keyboard ("waiting for the index", "a damaged store was set aside").

The core says them here, by key, in the session's language (``prompts/<lang>/ui.yaml``, section
``notices``). They go to one logger: the CLI prints it on stderr, the TUI shows it as a notification
(Textual swallows stderr). Never a user's answer: notices carry paths and reasons only.
"""

from __future__ import annotations

import logging
import sys

from dxcoach import texts

LOGGER = logging.getLogger("dxcoach.notices")
LOGGER.propagate = False


def say(lang: str, key: str, **values: object) -> None:
    LOGGER.warning(texts.ui(lang, "notices", key).format(**values))


def to_stderr() -> None:
    """The CLI's way: one line each on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("dxcoach: %(message)s"))
    show_with(handler)


def show_with(handler: logging.Handler) -> None:
    """Send every notice to ``handler`` alone (the TUI replaces the CLI's stderr with its own)."""
    for old in list(LOGGER.handlers):
        LOGGER.removeHandler(old)
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)


class Collect(logging.Handler):
    """Keeps the notices' texts (for the TUI and for tests)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
