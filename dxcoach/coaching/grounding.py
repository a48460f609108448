"""Grounding: which passages stand behind a coach turn, each with a one-line reason.

The owner's own industry case comes first when the corpus has one; support programmes join
when a gap or data answer mentions money, tools, people or security.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import yaml

from dxcoach import paths, texts
from dxcoach.coaching.rubric import Stage
from dxcoach.retrieval.corpus import Passage
from dxcoach.retrieval.normalize import normalize_query
from dxcoach.retrieval.search import Filters, Hit

MAX_CITATIONS = 3
SUPPORT_KINDS = {"people": ("support", "talent")}


class SearchLike(Protocol):
    passages: list[Passage]

    def search(
        self, query: str, k: int = 5, *, method: str = "hybrid", filters: Filters | None = None
    ) -> list[Hit]: ...


@dataclass(frozen=True)
class Citation:
    id: str
    source: str
    title: str
    kind: str
    text: str
    reason: str

    @classmethod
    def of(cls, p: Passage, reason: str) -> Citation:
        return cls(p.id, p.source, p.title, p.kind, p.text, reason)

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "kind": self.kind,
            "text": self.text,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Industry:
    key: str
    label: str
    cases: tuple[str, ...]


@lru_cache(maxsize=1)
def _industries() -> dict[str, Any]:
    with (paths.PROMPTS_DIR / "industries.yaml").open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def industry_of(text: str, lang: str) -> Industry | None:
    """The first category (in file order) with a keyword inside the owner's industry text."""
    haystack = normalize_query(text).lower()
    if not haystack:
        return None
    for key, cat in _industries().items():
        if any(k.lower() in haystack for k in cat["keywords"]):
            return Industry(key, str(cat["label"][lang]), tuple(cat["cases"]))
    return None


def support_topics(stage: Stage, text: str) -> list[str]:
    """Topics (money, tools, people, security) whose cue words appear in the owner's words."""
    lowered = normalize_query(text).lower()
    return [topic for topic, cues in stage.support_triggers if any(c.lower() in lowered for c in cues)]


class Grounder:
    def __init__(self, searcher: SearchLike, lang: str) -> None:
        self.searcher = searcher
        self.lang = lang
        self.reasons: dict[str, str] = texts.load(lang, "coach")["reasons"]
        self.topics: dict[str, str] = texts.load(lang, "coach")["topics"]

    def _reason(self, key: str, **values: str) -> str:
        return self.reasons[key].format(**values)

    def industry_case(self, profile: dict[str, Any], query: str) -> Citation | None:
        """The owner's industry case that best fits the query: bundled by id, or a user's by front matter."""
        text = str(profile.get("industry", ""))
        industry = industry_of(text, self.lang)
        hits = self.searcher.search(query, k=max(len(self.searcher.passages), 1))
        wanted = set(industry.cases) if industry else set()
        for hit in hits:
            p = hit.passage
            own = p.kind == "user" and text and text in str(p.meta.get("industry", ""))
            if p.doc_id in wanted or p.id in wanted or own:
                label = industry.label if industry else text
                return Citation.of(p, self._reason("industry_case", industry=label))
        return None

    def _first_new(self, query: str, chosen: list[Citation], filters: Filters | None = None) -> Passage | None:
        taken = {c.id for c in chosen}
        for hit in self.searcher.search(query, k=MAX_CITATIONS + len(taken) + 2, filters=filters):
            if hit.passage.id not in taken:
                return hit.passage
        return None

    def for_turn(
        self, stage: Stage, profile: dict[str, Any], *, element_id: str = "", answer: str = "", support_text: str = ""
    ) -> list[Citation]:
        """1–3 citations: industry case, the passage behind the question, support programmes if triggered."""
        element = stage.element(element_id) if element_id else None
        focus = element.retrieval_query if element else stage.retrieval_query
        query = f"{focus} {normalize_query(answer)[:200]}".strip()
        chosen: list[Citation] = []
        case = self.industry_case(profile, query)
        if case:
            chosen.append(case)
        passage = self._first_new(query, chosen)
        if passage:
            reason = (
                self._reason("element", label=element.label) if element else self._reason("stage", title=stage.short)
            )
            chosen.append(Citation.of(passage, reason))
        for topic in support_topics(stage, support_text):
            if len(chosen) >= MAX_CITATIONS:
                break
            kinds = SUPPORT_KINDS.get(topic, ("support",))
            found = self._first_new(
                f"{self.topics[topic]} {normalize_query(support_text)[:200]}", chosen, Filters(kinds=kinds)
            )
            if found:
                chosen.append(Citation.of(found, self._reason("support", topic=self.topics[topic])))
        return chosen[:MAX_CITATIONS]
