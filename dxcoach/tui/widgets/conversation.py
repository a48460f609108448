"""The conversation: coach and owner turns, newest at the bottom."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Markdown


def _as_markdown(text: str) -> str:
    # Keep the coach's line breaks: in Markdown a single newline would join the lines.
    return "  \n".join(text.splitlines())


class Turn(Markdown):
    """One turn; its role is a CSS class (coach / owner)."""


class Conversation(VerticalScroll):
    def add_turn(self, role: str, speaker: str, text: str) -> Turn:
        turn = Turn(f"**{speaker}:** {_as_markdown(text)}", classes=role)
        self.mount(turn)
        self.call_after_refresh(self.scroll_end, animate=False)
        return turn
