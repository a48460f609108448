"""Modal screens: a passage in full, a yes/no question, help."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Markdown, Static


class PassageModal(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, citation: dict[str, Any], kind_label: str, close: str) -> None:
        super().__init__()
        self.citation = citation
        self.kind_label = kind_label
        self.close_label = close

    def compose(self) -> ComposeResult:
        c = self.citation
        with Vertical(id="dialog"):
            yield Label(str(c["title"]), id="dialog-title", markup=False)
            yield Static(f"{self.kind_label} · {c['source']} · {c['id']}", classes="muted", markup=False)
            with VerticalScroll():
                yield Markdown("  \n".join(str(c["text"]).splitlines()))
            yield Button(self.close_label, id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss()


class ConfirmModal(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(False)", "No"),
        Binding("y", "dismiss(True)", "Yes"),
    ]

    def __init__(self, question: str, yes: str, no: str) -> None:
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question, markup=False)
            with Horizontal(id="buttons"):
                yield Button(self.yes, variant="error", id="yes")
                yield Button(self.no, id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class HelpModal(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,f1", "dismiss", "Close")]

    def __init__(self, text: str, close: str) -> None:
        super().__init__()
        self.text, self.close_label = text, close

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.text, markup=False)
            yield Button(self.close_label, id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss()
