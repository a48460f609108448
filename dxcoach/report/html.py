"""The HTML report: one self-contained, printable file (inline CSS and SVG, no script, nothing fetched)."""

from __future__ import annotations

from datetime import date
from typing import Any

from dxcoach.coaching.rubric import Rubric
from dxcoach.report.data import build_report
from dxcoach.report.env import environment


def render_html(
    rubric: Rubric,
    transcript: dict[str, Any],
    today: date | None = None,
    *,
    with_notes: bool = False,
    earlier: dict[str, Any] | None = None,
) -> str:
    report = build_report(rubric, transcript, today, with_notes=with_notes, earlier=earlier)
    return environment(html=True).get_template("report.html.j2").render(r=report, t=report.t)
