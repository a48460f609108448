"""Which rubric elements an owner's answer covers — without a language model.

The answer is cut into units: sentences and, inside them, clauses. Every unit is compared by
embedding similarity with every element's description and examples. A unit may show several
elements (「漁師さんに、朝揚がった魚をお腹いっぱい食べてもらう」 names the customers and the value):
it counts for each element it is close enough to and nearly as close to as to its nearest one, and
only if it is closer to the element's examples than to its near misses (owner sentences that sound
alike but do not show it, e.g. 「お客様第一です」 names no customers) and to a few non-answers. A cue
word from the rubric, in the unit itself, lets an element count with a lower similarity. Spoken,
run-on answers are also cut after connectives (〜けど, 〜ので, 〜のに), hesitations (えーと, まあ) are
dropped, and neighbouring clauses are paired. The evidence kept for an element is the clause that
shows it, so that the coach and the report quote the right words.

Thresholds were tuned on ``tests/data/assessment_labels.yaml`` and checked on the held-out
``assessment_labels_spoken.yaml`` (bench/assessment.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from dxcoach.coaching.rubric import Element, Rubric
from dxcoach.retrieval.normalize import normalize_query

EmbedFn = Callable[[Sequence[str]], np.ndarray]  # rows L2-normalised

# Tuned with `bench/assessment.py --grid` on the fit set (best recall at precision >= 0.90, then f1):
# fit P 0.922 / R 0.844, held-out (spoken) P 0.813 / R 0.770, all 148 answers P 0.88 / R 0.81.
THRESHOLD = 0.89  # a unit at least this similar to an element shows it ...
MARGIN = 0.0  # ... when it is also within this of the unit's nearest element (0: it is the nearest)
CUE_THRESHOLD = 0.84  # a unit holding one of the element's cue words needs only this similarity
NEAR_MARGIN = 0.0  # either way, the unit must be this much closer to the element than to its near misses

# Non-answers: a near miss of every element in every language.
VAGUE = (
    "特にないです。",
    "分かりません。",
    "まだ考えていません。",
    "考えたこともないです。",
    "今のままで十分です。",
    "Nothing in particular.",
    "I don't know.",
    "I haven't thought about it.",
)

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
# Clauses end at a comma, or (spoken, run-on answers) after a connective that ends a thought.
_CLAUSE_END = re.compile(
    r"[、,，;；]|(?:けど|けれど(?:も)?|のに|ので|ですが|ますが|でして)(?![、,，。！？!?すしはもね]|$)"
)
_MIN_CLAUSE = 5
# Hesitations at the start of a unit carry nothing ("えーと、まあ、うちは…").
_FILLER = re.compile(
    r"^(?:(?:えー*と?|ええと|えっと|あー+|あのー*|そのー+|まあ|まぁ|うーん|うん|はい|そうですね|そうだなあ|なんか|"
    r"やっぱり?|well|um+|uh+|you know|i mean)(?:[、,，\s]+|(?=[^a-z])))+",
    re.IGNORECASE,
)
# A short unit that only points back ("そこが一番の差です") shows what the sentence before it says.
_POINTER = re.compile(r"^(そこ|それ|これ|あれ|そういう|こういう|そんな|こんな|that|this|it)", re.IGNORECASE)


@dataclass(frozen=True)
class Unit:
    text: str
    sentence: int  # index of its sentence
    clause: bool  # a clause (or two neighbouring clauses) inside a longer sentence


@dataclass(frozen=True)
class Assessment:
    covered: frozenset[str]
    evidence: dict[str, str] = field(default_factory=dict)  # element -> the owner's words that show it
    scores: dict[str, float] = field(default_factory=dict)


def sentences(answer: str) -> list[str]:
    text = normalize_query(answer)
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def clauses(sentence: str) -> list[str]:
    """The clauses of one sentence, without a leading hesitation or the trailing comma; tiny ones dropped."""
    out: list[str] = []
    start = 0
    for end in [m.end() for m in _CLAUSE_END.finditer(sentence)] + [len(sentence)]:
        piece = _strip(sentence[start:end])
        start = end
        if len(piece) >= _MIN_CLAUSE:
            out.append(piece)
    return out


def _strip(text: str) -> str:
    return _FILLER.sub("", text.strip()).strip().rstrip("、,，;；").strip()


def units(answer: str) -> list[Unit]:
    """Sentences, plus the clauses of sentences that have several (owners pack points into one), plus
    neighbouring pairs of clauses when there are three or more (a spoken clause alone says too little)."""
    out: list[Unit] = []
    for i, sentence in enumerate(sentences(answer)):
        whole = _strip(sentence) or sentence
        out.append(Unit(whole, i, False))
        parts = clauses(sentence)
        if len(parts) > 1:
            out.extend(Unit(c, i, True) for c in parts)
        if len(parts) > 2:
            for first, second in pairwise(parts):
                pair = whole[whole.find(first) : whole.find(second) + len(second)]
                if pair.startswith(first) and pair.endswith(second):
                    out.append(Unit(pair, i, True))
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
        margin: float = MARGIN,
        near_margin: float = NEAR_MARGIN,
    ) -> None:
        self.rubric = rubric
        self.embed = embed
        self.threshold = threshold
        self.cue_threshold = cue_threshold
        self.margin = margin
        self.near_margin = near_margin
        self._cues: dict[tuple[str, str], tuple[str, ...]] = {}
        spans: dict[tuple[str, str], tuple[int, int, int]] = {}  # element -> positives [a, b), near misses [b, c)
        texts: list[str] = []
        for stage in rubric.stages:
            for element in stage.elements:
                found = (_same_element(r, stage.id, element.id) for r in also)
                sources = [element, *(e for e in found if e is not None)]
                start = len(texts)
                texts.extend(t for e in sources for t in (e.description, *e.examples))
                middle = len(texts)
                texts.extend(dict.fromkeys([*(t for e in sources for t in e.near_misses), *VAGUE]))
                spans[(stage.id, element.id)] = (start, middle, len(texts))
                self._cues[(stage.id, element.id)] = tuple(c for e in sources for c in e.cues)
        vectors = embed(texts)  # one call for the whole rubric
        self._refs = {k: vectors[a:b] for k, (a, b, _) in spans.items()}
        self._near = {k: vectors[b:c] for k, (_, b, c) in spans.items()}

    def matrix(self, stage_id: str, answer: str) -> tuple[list[Unit], np.ndarray]:
        """The answer's units and a units x elements matrix of similarities (closest reference)."""
        parts, sims, _ = self.matrices(stage_id, answer)
        return parts, sims

    def matrices(self, stage_id: str, answer: str) -> tuple[list[Unit], np.ndarray, np.ndarray]:
        """Units, their similarity to each element's references and to its near misses (units x elements)."""
        parts = units(answer)
        if not parts:
            return [], np.zeros((0, 0)), np.zeros((0, 0))
        vectors = self.embed([u.text for u in parts])
        elements = self.rubric.stage(stage_id).elements
        pos = [(vectors @ self._refs[(stage_id, e.id)].T).max(axis=1) for e in elements]
        neg = [(vectors @ self._near[(stage_id, e.id)].T).max(axis=1) for e in elements]
        return parts, np.stack(pos, axis=1), np.stack(neg, axis=1)

    def assess(self, stage_id: str, answer: str) -> Assessment:
        parts, sims, near = self.matrices(stage_id, answer)
        if not parts:
            return Assessment(frozenset())
        elements = self.rubric.stage(stage_id).elements
        nearest = sims.max(axis=1)
        covered: set[str] = set()
        evidence: dict[str, str] = {}
        scores: dict[str, float] = {}
        for j, element in enumerate(elements):
            column = sims[:, j]
            scores[element.id] = round(float(column.max()), 4)
            clear = column >= near[:, j] + self.near_margin  # closer to the element than to its near misses
            shows = [
                u
                for u in range(len(parts))
                if column[u] >= self.threshold
                and column[u] >= nearest[u] - self.margin
                and clear[u]
                and _meets(element, parts[u].text)
            ]
            if shows:
                covered.add(element.id)
                evidence[element.id] = _clause_for(parts, column, max(shows, key=lambda u: column[u]))
                continue
            cued = [
                u
                for u in range(len(parts))
                if column[u] >= self.cue_threshold and clear[u] and _meets(element, parts[u].text)
            ]
            hit = [u for u in range(len(parts)) if cue_hit(self._cues[(stage_id, element.id)], parts[u].text)]
            cued = [u for u in cued if u in hit]
            if cued:
                covered.add(element.id)
                cue = cue_hit(self._cues[(stage_id, element.id)], parts[cued[0]].text) or ""
                evidence[element.id] = _clause_with(parts, cue)
        return Assessment(frozenset(covered), evidence, scores)


def _same_element(rubric: Rubric, stage_id: str, element_id: str) -> Element | None:
    try:
        return rubric.stage(stage_id).element(element_id)
    except KeyError:  # an element one language adds on its own
        return None


def _meets(element: Element, words: str) -> bool:
    """An element may demand something concrete, e.g. a number for a measurable target."""
    return not element.requires or re.search(element.requires, words) is not None


def _clause_for(parts: list[Unit], column: np.ndarray, best: int) -> str:
    """The clause of the best unit's sentence that shows the element most clearly.

    Neighbouring clauses nearly as close join it (a list of customers spans several); a bare pointer
    such as 「そこが一番の差です」 is replaced by the sentence it points back to.
    """
    sentence = parts[best].sentence
    members = [u for u in range(len(parts)) if parts[u].sentence == sentence and parts[u].clause]
    if not members:
        chosen = parts[best].text
    else:
        top = max(members, key=lambda u: column[u])
        keep = [u for u in members if u == top or (abs(u - top) == 1 and column[u] >= column[top] - 0.015)]
        chosen = "、".join(parts[u].text for u in sorted(keep))
    if _POINTER.match(chosen) and len(chosen) < 16 and sentence > 0:
        before = [u for u in range(len(parts)) if parts[u].sentence == sentence - 1 and not parts[u].clause]
        if before:
            return parts[before[0]].text
    return chosen


def _clause_with(parts: list[Unit], cue: str) -> str:
    """The shortest unit containing the cue: the clause, not the whole answer."""
    found = [u for u in parts if cue.lower() in u.text.lower()]
    return min(found, key=lambda u: len(u.text)).text if found else parts[0].text
