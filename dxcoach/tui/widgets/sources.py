"""The 出典 panel: the passages behind the coach's latest turn. Enter opens one in full."""

from __future__ import annotations

from typing import Any

from textual.message import Message
from textual.widgets import Label, ListItem, ListView

SNIPPET = 60


class SourceItem(ListItem):
    def __init__(self, n: int, citation: dict[str, Any], kind_label: str) -> None:
        text = " ".join(str(citation.get("text", "")).split())
        body = text.split(" ", 1)[1] if text.startswith("#") and " " in text else text
        snippet = body[:SNIPPET] + ("…" if len(body) > SNIPPET else "")
        super().__init__(Label(f"[{n}] {citation['title']}\n    {kind_label} · {snippet}", markup=False))
        self.citation = citation


class SourcesPanel(ListView):
    class Open(Message):
        def __init__(self, citation: dict[str, Any]) -> None:
            super().__init__()
            self.citation = citation

    def show(self, citations: list[dict[str, Any]], kinds: dict[str, str], empty: str) -> None:
        self.clear()
        if not citations:
            self.append(ListItem(Label(empty)))
        for n, citation in enumerate(citations, start=1):
            self.append(SourceItem(n, citation, kinds.get(citation.get("kind", ""), citation.get("kind", ""))))

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        if isinstance(event.item, SourceItem):
            event.stop()
            self.post_message(self.Open(event.item.citation))
