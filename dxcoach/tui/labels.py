"""Interface labels for the TUI (prompts/<lang>/ui.yaml, section ``tui``) and localised key bindings."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from dxcoach import texts


def tui_labels(lang: str) -> dict[str, Any]:
    labels: dict[str, Any] = texts.load(lang, "ui")["tui"]
    return labels


def localise_bindings(node: DOMNode, lang: str, keys: list[tuple[str, str, str, bool]]) -> None:
    """Give a widget or screen key bindings whose footer labels are in the session's language.

    ``keys`` holds (key, action, label id in ui.yaml, shown in footer). Textual reads BINDINGS once
    per class, so the per-language map is set on the instance.
    """
    labels = tui_labels(lang)
    bindings = [Binding(key, action, labels[label], show=show) for key, action, label, show in keys]
    new_keys = {key for key, *_ in keys}
    existing = [binding for _, binding in node._bindings if binding.key not in new_keys]
    node._bindings = BindingsMap([*existing, *bindings])
