"""A progress bar on stderr for the CLI's long work (embedding passages into the index).

The core reports ``(done, total)`` to a plain callback; this module turns it into a Rich bar. It
draws only on a terminal and only when the work is large enough, so that scripts and tests see
exactly the same output as before. Rich is imported only when a bar is drawn: the core stays free
of it (tests/unit/test_layering.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

Callback = Callable[[int, int], None]


def _on_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _ignore(done: int, total: int) -> None:
    return None


@contextmanager
def bar(label: str, *, more_than: int = 0, stream: TextIO | None = None) -> Iterator[Callback]:
    """A callback ``(done, total)`` that draws ``label`` and a bar on ``stream`` (stderr) while the
    block runs; the bar appears only on a terminal and only when ``total`` exceeds ``more_than``."""
    out = sys.stderr if stream is None else stream
    if not _on_terminal(out):
        yield _ignore
        return
    state: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if total <= more_than:
            return
        if "bar" not in state:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            progress = Progress(
                SpinnerColumn(),  # alive while a batch (or the model) loads and the bar cannot move
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=out),
                transient=False,  # the finished bar stays: it tells how long the work took
            )
            progress.start()
            state["bar"], state["task"] = progress, progress.add_task(label, total=total)
        state["bar"].update(state["task"], completed=done, total=total)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()
