"""The Markdown report an owner takes home: answers, follow-ups, summary, support, checklist, sources."""

from __future__ import annotations

from datetime import date
from typing import Any

from dxcoach.coaching.rubric import Rubric
from dxcoach.report.env import render


def render_markdown(rubric: Rubric, transcript: dict[str, Any], today: date | None = None, **options: Any) -> str:
    """``options``: ``with_notes``, ``earlier`` (see ``build_report``)."""
    return render("report.md.j2", rubric, transcript, today, **options).rstrip() + "\n"
