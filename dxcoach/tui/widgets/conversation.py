"""The conversation: coach and owner turns, newest at the bottom.

Every turn is shown literally: the owner's words and a language model's words may contain
Markdown, links or markup, and none of it may format the screen or open anything.
"""

from __future__ import annotations

import re

from textual.containers import VerticalScroll
from textual.widgets import Markdown

_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def _as_markdown(text: str) -> str:
    # Escape what Markdown would read as syntax, and keep the line breaks (a single newline would join lines).
    return "  \n".join(_PUNCTUATION.sub(r"\\\1", line) for line in text.splitlines())


class Turn(Markdown):
    """One turn; its role is a CSS class (coach / owner)."""


class Conversation(VerticalScroll):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.live: Turn | None = None  # the coach's reply while it streams in

    def add_turn(self, role: str, speaker: str, text: str) -> Turn:
        turn = Turn(self._body(speaker, text), classes=role, open_links=False)
        self.mount(turn)
        self.call_after_refresh(self.scroll_end, animate=False)
        return turn

    def show_live(self, speaker: str, text: str) -> None:
        if self.live is None:
            self.live = self.add_turn("coach live", speaker, text)
        else:
            self.live.update(self._body(speaker, text))
            self.call_after_refresh(self.scroll_end, animate=False)

    def end_live(self) -> None:
        if self.live is not None:
            self.live.remove()
            self.live = None

    @staticmethod
    def _body(speaker: str, text: str) -> str:
        return f"**{speaker}:** {_as_markdown(text)}"
