"""Modal screens: a passage in full, a yes/no question, help, a facilitator's note."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Markdown, Static, TextArea


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


class NoteModal(ModalScreen[str | None]):
    """The facilitator's private note for one stage: Ctrl+S saves, Esc leaves it as it was."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, title: str, text: str, save: str, cancel: str) -> None:
        super().__init__()
        self.title_text, self.text, self.save_label, self.cancel_label = title, text, save, cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title", markup=False)
            yield TextArea(self.text, id="note", soft_wrap=True)
            with Horizontal(id="buttons"):
                yield Button(self.save_label, variant="primary", id="save")
                yield Button(self.cancel_label, id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)
