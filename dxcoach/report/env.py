"""The Jinja2 environments of the reports; the templates ship inside the package (report/templates/)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from dxcoach.coaching.rubric import Rubric
from dxcoach.report.data import build_report


def quote_block(text: str) -> str:
    """Markdown block quote; an empty line stays inside the quote so that it does not end it."""
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


@lru_cache(maxsize=2)
def environment(html: bool) -> Environment:
    """HTML escapes every value (an owner's ``<script>`` is shown as text); Markdown is written as is.
    StrictUndefined: a label missing from summary.yaml fails loudly instead of printing nothing."""
    env = Environment(
        loader=PackageLoader("dxcoach.report", "templates"),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["quote_block"] = quote_block
    return env


def render(template: str, rubric: Rubric, transcript: dict[str, Any], today: date | None, **options: Any) -> str:
    """One report template over the report data; ``options`` are build_report's (with_notes, earlier)."""
    report = build_report(rubric, transcript, today, **options)
    return environment(html=template.endswith(".html.j2")).get_template(template).render(r=report, t=report.t)
