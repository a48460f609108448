"""The HTML report: one self-contained, printable file (inline CSS and SVG, no script, nothing fetched)."""

from __future__ import annotations

from datetime import date
from typing import Any

from dxcoach.coaching.rubric import Rubric
from dxcoach.report.env import render


def render_html(rubric: Rubric, transcript: dict[str, Any], today: date | None = None, **options: Any) -> str:
    """``options``: ``with_notes``, ``earlier`` (see ``build_report``)."""
    return render("report.html.j2", rubric, transcript, today, **options)
