"""What the model is told about one coach turn — a plain record, cheap to import (no LangChain),
so that the guided coach can fill it in whether or not a model is configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dxcoach.coaching.grounding import Citation
from dxcoach.coaching.rubric import Element, Stage


@dataclass(frozen=True)
class Brief:
    """Everything the model is told about one coach turn."""

    lang: str
    kind: str  # open / revisit / probe / confirm / reply
    stage: Stage
    profile: dict[str, Any]
    covered: list[str]  # element labels
    missing: list[str]
    sources: list[Citation]
    answer: str = ""  # the owner's latest answer ("" when the session begins)
    element: Element | None = None  # what a probe asks for
    topics: list[str] = field(default_factory=list)  # obstacles the owner just named
    history: list[tuple[str, str]] = field(default_factory=list)  # (owner|coach, text), oldest first
    question: str = ""  # what the owner asked (a reply answers it from the sources' facts first)
