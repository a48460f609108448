"""A stored session's report in a chosen format, as the CLI and the summary screen write it."""

from __future__ import annotations

from typing import Any

from dxcoach.coaching.rubric import Rubric, load_rubric
from dxcoach.coaching.transcript import transcript
from dxcoach.report.html import render_html
from dxcoach.report.markdown import render_markdown
from dxcoach.storage.db import Store

SUFFIXES = {"md": ".md", "html": ".html"}


def render_report(
    fmt: str, rubric: Rubric, data: dict[str, Any], *, with_notes: bool = False, earlier: dict[str, Any] | None = None
) -> str:
    """``fmt`` is ``md`` or ``html``; ``earlier`` is a transcript of the same company to compare with."""
    renderer = render_html if fmt == "html" else render_markdown
    return renderer(rubric, data, with_notes=with_notes, earlier=earlier)


def render_session(
    store: Store, session_id: str, fmt: str, *, with_notes: bool = False, earlier_id: str | None = None
) -> str:
    """In the session's own language. An unknown id (or an earlier session of another company)
    raises UserError before anything is written."""
    data = transcript(store, session_id)
    earlier = transcript(store, earlier_id) if earlier_id else None
    return render_report(fmt, load_rubric(data["language"]), data, with_notes=with_notes, earlier=earlier)
