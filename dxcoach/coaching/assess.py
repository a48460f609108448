"""Which rubric elements an owner's answer covers — without a language model.

Each sentence (and, for long sentences, each clause) of the answer is compared by embedding
similarity with every element's description and examples. A sentence counts for the element it
is closest to, when close enough; a substring cue from the rubric lets an element count with a
lower similarity. Thresholds were tuned on ``tests/data/assessment_labels.yaml`` (bench/assessment.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dxcoach.coaching.rubric import Element, Rubric
from dxcoach.retrieval.normalize import normalize_query

EmbedFn = Callable[[Sequence[str]], np.ndarray]  # rows L2-normalised

# Tuned on the labelled set (bench/assessment.py); see the README for precision and recall.
THRESHOLD = 0.89  # a sentence's best element, at least this similar, is covered
CUE_THRESHOLD = 0.84  # with a cue word present, this similarity anywhere in the answer suffices

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
_CLAUSE = re.compile(r"[^、,，]+")


@dataclass(frozen=True)
class Assessment:
    covered: frozenset[str]
    evidence: dict[str, str] = field(default_factory=dict)  # element -> the owner's words that show it
    scores: dict[str, float] = field(default_factory=dict)


def units(answer: str) -> list[str]:
    """Sentences, plus the clauses of long sentences (owners pack several points into one)."""
    text = normalize_query(answer)
    out: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE.findall(text)):
        if not sentence:
            continue
        out.append(sentence)
        clauses = [c.strip() for c in _CLAUSE.findall(sentence) if len(c.strip()) >= 6]
        if len(sentence) > 30 and len(clauses) > 1:
            out.extend(clauses)
    return out


def cue_hit(cues: tuple[str, ...], text: str) -> str | None:
    """The first cue found. Cues with capitals match as written ('AI' must not match 'said')."""
    lowered = text.lower()
    for cue in cues:
        if (cue in text) if cue != cue.lower() else (cue in lowered):
            return cue
    return None


class Assessor:
    """Assesses answers against ``rubric``; ``also`` adds other languages' examples and cues (same ids),
    so a Japanese answer is understood in an English session and the other way round."""

    def __init__(
        self,
        rubric: Rubric,
        embed: EmbedFn,
        threshold: float = THRESHOLD,
        cue_threshold: float = CUE_THRESHOLD,
        also: tuple[Rubric, ...] = (),
    ) -> None:
        self.rubric = rubric
        self.embed = embed
        self.threshold = threshold
        self.cue_threshold = cue_threshold
        self._refs: dict[tuple[str, str], np.ndarray] = {}
        self._cues: dict[tuple[str, str], tuple[str, ...]] = {}
        for stage in rubric.stages:
            for element in stage.elements:
                found = (_same_element(r, stage.id, element.id) for r in also)
                sources = [element, *(e for e in found if e is not None)]
                self._refs[(stage.id, element.id)] = embed([t for e in sources for t in (e.description, *e.examples)])
                self._cues[(stage.id, element.id)] = tuple(c for e in sources for c in e.cues)

    def similarities(self, stage_id: str, answer: str) -> tuple[list[str], dict[str, np.ndarray]]:
        parts = units(answer)
        if not parts:
            return [], {}
        vectors = self.embed(parts)
        stage = self.rubric.stage(stage_id)
        return parts, {e.id: vectors @ self._refs[(stage_id, e.id)].T for e in stage.elements}

    def assess(self, stage_id: str, answer: str) -> Assessment:
        parts, sims = self.similarities(stage_id, answer)
        if not parts:
            return Assessment(frozenset())
        text = normalize_query(answer)
        elements = self.rubric.stage(stage_id).elements
        # units x elements: each unit's similarity to each element's closest reference sentence
        matrix = np.stack([sims[e.id].max(axis=1) for e in elements], axis=1)
        nearest = matrix.argmax(axis=1)
        covered: set[str] = set()
        evidence: dict[str, str] = {}
        scores: dict[str, float] = {}
        for j, element in enumerate(elements):
            column = matrix[:, j]
            scores[element.id] = round(float(column.max()), 4)
            own = [
                u
                for u in range(len(parts))
                if nearest[u] == j and column[u] >= self.threshold and _meets(element, parts[u])
            ]
            cue = cue_hit(self._cues[(stage_id, element.id)], text)
            if own:
                covered.add(element.id)
                evidence[element.id] = parts[max(own, key=lambda u: column[u])]
            elif cue is not None and column.max() >= self.cue_threshold and _meets(element, text):
                covered.add(element.id)
                evidence[element.id] = _sentence_with(parts, cue)
        return Assessment(frozenset(covered), evidence, scores)


def _same_element(rubric: Rubric, stage_id: str, element_id: str) -> Element | None:
    try:
        return rubric.stage(stage_id).element(element_id)
    except KeyError:  # an element one language adds on its own
        return None


def _meets(element: Element, words: str) -> bool:
    """An element may demand something concrete, e.g. a number for a measurable target."""
    return not element.requires or re.search(element.requires, words) is not None


def _sentence_with(parts: list[str], cue: str) -> str:
    for part in parts:
        if cue.lower() in part.lower():
            return part
    return parts[0]
