"""The Markdown report an owner takes home: answers, follow-ups, summary, support, checklist, sources."""

from __future__ import annotations

from datetime import date
from typing import Any

from dxcoach.coaching.rubric import Rubric
from dxcoach.report.data import build_report
from dxcoach.report.env import environment


def render_markdown(
    rubric: Rubric,
    transcript: dict[str, Any],
    today: date | None = None,
    *,
    with_notes: bool = False,
    earlier: dict[str, Any] | None = None,
) -> str:
    report = build_report(rubric, transcript, today, with_notes=with_notes, earlier=earlier)
    text = environment(html=False).get_template("report.md.j2").render(r=report, t=report.t)
    return text.rstrip() + "\n"
