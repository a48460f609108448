"""Grounding: which passages stand behind a coach turn, and which of their sentences the coach quotes.

- A stage opens with the owner's industry case, then the passage behind the stage's question.
- A follow-up draws on the passage that best fits the missing element and the owner's words; the
  industry case comes back only when those words rank it among the best again.
- An obstacle the owner names (people, money, security …) brings the passages that answer it.
- Variety: no passage is cited in more than a third of the coach's turns so far (a first citation
  is always allowed; closing turns count too, so that a short session can still meet its industry
  case in the stage it fits), nor, where another fits, in two turns in a row; a sentence once
  quoted is not quoted again while others are left.

Each citation carries the sentences chosen for this turn (``excerpt``): what the coach says, and
the material a language model would be given.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import yaml

from dxcoach import paths, texts
from dxcoach.coaching import programs
from dxcoach.coaching.excerpts import EmbedFn, ExcerptPicker
from dxcoach.coaching.kinds import SPOKEN
from dxcoach.coaching.obstacles import Obstacle
from dxcoach.coaching.rubric import Element, Stage
from dxcoach.retrieval.corpus import Passage
from dxcoach.retrieval.normalize import normalize_query
from dxcoach.retrieval.search import Filters, Hit
from dxcoach.storage.db import Turn

MAX_CITATIONS = 3
CANDIDATES = 10  # hits looked at per search
NEWLY_RELEVANT_RANK = 3  # the industry case returns to a follow-up only from this high in the ranking
ANSWER_CHARS = 200
# A passage is quoted only when its closest sentence comes at least this near the owner's words and
# the turn's focus (cosine of the embedded model; fitted on the dev relevance judgments, checked on
# the held-out ones: bench/listening.py). Below it, the passage stays in the 出典 panel, unquoted.
RELEVANCE_FLOOR = 0.87
# A follow-up quotes what search found for the missing element only above this: on the dev judgments,
# few such passages fitted the owner below it (bench/listening.py); the passage stays in the panel.
PROBE_FLOOR = 0.91
CASE_CLOSENESS = 0.5  # a case of the same family of trades at least (the same trade scores 1)
QUESTION_PASSAGES = 2  # sources quoted in the answer to a question at most
# A stage opens on why its question matters: guidance, figures and cases (programmes come with the
# owner's own obstacles and follow-ups).
OPENING_KINDS = ("guidance", "statistic", "case", "user")


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
    excerpt: tuple[str, ...] = ()  # the passage's own sentences the coach quotes in this turn
    name: str = ""  # how the coach names it in a sentence (ゑびや, IT導入補助金2023（通常枠）)
    topic: str = ""  # the obstacle it answers, if any
    relevance: float = 0.0  # how close its closest sentence came to this turn's aims

    @classmethod
    def of(cls, p: Passage, reason: str, topic: str = "") -> Citation:
        return cls(p.id, p.source, p.title, p.kind, p.text, reason, name=short_name(p), topic=topic)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "kind": self.kind,
            "text": self.text,
            "reason": self.reason,
            "excerpt": list(self.excerpt),
            "name": self.name,
        }
        if self.topic:
            out["topic"] = self.topic
        if self.relevance:
            out["relevance"] = self.relevance
        if not self.excerpt:
            out["quoted"] = False  # in the 出典 panel only: it did not fit this owner closely enough
        return out


_LEGAL_FORM = re.compile(r"(株式会社|有限会社|合同会社|一般社団法人|社会福祉法人)")
_PAREN = re.compile(r"[(（][^()（）]*[)）]")


def short_name(p: Passage) -> str:
    """A case by its company (ゑびや), anything else by its title without asides."""
    company = str(p.meta.get("company", ""))
    if p.kind == "case" and company:
        return _PAREN.sub("", _LEGAL_FORM.sub("", company.split("/")[0])).strip() or p.title
    head, _, tail = p.title.partition("|")
    head, tail = _PAREN.sub("", head).strip(), _PAREN.sub("", tail).strip()
    return f"{head}（{tail}）" if tail else head


@dataclass(frozen=True)
class History:
    """What earlier coach turns of the session cited and quoted."""

    turns: int = 0  # the coach's turns so far (openings, follow-ups, closings)
    counts: Counter[str] = field(default_factory=Counter)
    last: frozenset[str] = frozenset()  # cited by the latest citing turn
    quoted: frozenset[str] = frozenset()

    @classmethod
    def of(cls, turns: Iterable[Turn]) -> History:
        n, counts, last, quoted = 0, Counter[str](), frozenset[str](), set[str]()
        for turn in turns:
            if turn.role != "coach" or turn.kind not in SPOKEN:
                continue
            n += 1
            cites = turn.data.get("citations", [])
            if cites:
                counts.update({c["id"] for c in cites})
                last = frozenset(c["id"] for c in cites)
                quoted.update(s for c in cites for s in c.get("excerpt", []))
        return cls(n, counts, last, frozenset(quoted))

    def allows(self, passage_id: str) -> bool:
        """At most a third of the coach's turns, counting this one (a first citation is always allowed)."""
        return self.counts[passage_id] + 1 <= max(1, (self.turns + 1) // 3)


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


def trades_of(text: str) -> frozenset[str]:
    """The trades (categories of prompts/industries.yaml) an industry text names; a generic one
    (製造) only when no specific one is named."""
    haystack = normalize_query(text).lower()
    if not haystack:
        return frozenset()
    named = {key for key, cat in _industries().items() if any(k.lower() in haystack for k in cat["keywords"])}
    specific = {key for key in named if not _industries()[key].get("generic")}
    return frozenset(specific or named)


def closeness(mine: frozenset[str], theirs: frozenset[str]) -> float:
    """1 for a shared trade, 0.5 for a shared family of trades, else 0."""
    if mine & theirs:
        return 1.0
    families = {_industries()[k].get("family") for k in mine} - {None}
    return 0.5 if families & {_industries()[k].get("family") for k in theirs} else 0.0


def industry_of(text: str, lang: str) -> Industry | None:
    """The first category (in file order) with a keyword inside the owner's industry text."""
    haystack = normalize_query(text).lower()
    if not haystack:
        return None
    for key, cat in _industries().items():
        if any(k.lower() in haystack for k in cat["keywords"]):
            return Industry(key, str(cat["label"][lang]), tuple(cat["cases"]))
    return None


class Grounder:
    def __init__(
        self,
        searcher: SearchLike,
        lang: str,
        embed: EmbedFn,
        catalogue: dict[str, programs.Program] | None = None,
        floor: float | None = None,
    ) -> None:
        """``catalogue``: the support programmes' structured facts; ``floor``: the relevance below which a
        passage is not quoted (None: every passage is quoted, e.g. with bigram vectors before the model loads)."""
        self.searcher = searcher
        self.lang = lang
        self.embed = embed
        self.picker = ExcerptPicker(embed)
        self.catalogue = catalogue or {}
        self.floor = floor
        coach = texts.load(lang, "coach")
        self.reasons: dict[str, str] = coach["reasons"]

    def _reason(self, key: str, **values: str) -> str:
        return self.reasons[key].format(**values)

    # ---- candidates ---------------------------------------------------------------------------
    def industry_cases(self, profile: dict[str, Any]) -> tuple[str, list[Passage]]:
        """The owner's industry label and the cases of a close trade, closest first: a case whose
        industry shares the owner's trade, then one of the same family (a bakery and a restaurant plan
        a day's batch alike). Any case of the corpus may be one, a user's own included; a case of
        another trade never is (a food maker is not sent to a resin processor)."""
        text = str(profile.get("industry", "")).strip()
        industry = industry_of(text, self.lang)
        listed = {c for key in trades_of(text) for c in _industries()[key].get("cases", ())}
        scored = [
            (self._tier(profile, p), p)
            for p in self.searcher.passages
            if (p.kind == "case" or (p.kind == "user" and "industry" in p.meta)) or p.id in listed or p.doc_id in listed
        ]
        chosen = [p for score, p in sorted(scored, key=lambda sp: -sp[0]) if score >= CASE_CLOSENESS]
        return (industry.label if industry else text), chosen

    def _tier(self, profile: dict[str, Any], p: Passage) -> float:
        """How close a case's trade is to the owner's (1 the same, 0.5 the same family). A trade may also
        list passages that show its own examples (IT導入補助金's cases of construction and retail)."""
        mine = trades_of(str(profile.get("industry", "")))
        listed = {c for key in mine for c in _industries()[key].get("cases", ())}
        if p.id in listed or p.doc_id in listed:
            return 1.0
        return closeness(mine, trades_of(str(p.meta.get("industry", ""))))

    def _search(self, query: str, filters: Filters | None = None) -> list[Passage]:
        return [h.passage for h in self.searcher.search(query, k=CANDIDATES, filters=filters)]

    def _with_excerpts(
        self,
        planned: list[tuple[Citation, tuple[str, ...]]],
        avoid: set[str],
        keep: frozenset[str] = frozenset(),
        floor: float | None = None,
    ) -> list[Citation]:
        """Quote each planned citation: the sentences closest to its aims (the owner's words, the
        question's focus). A passage whose closest sentence stays below the relevance floor is not
        quoted (it stays in the 出典 panel), unless it answers an obstacle the owner named or is in
        ``keep``. New passages and all aims are embedded in one call."""
        planned = planned[:MAX_CITATIONS]
        floor = self.floor if floor is None else floor
        texts_ = list(dict.fromkeys(t for _, aims in planned for t in aims if t.strip()))
        vectors = self.picker.prepare([(c.id, c.text, c.title) for c, _ in planned], texts_)
        row = {t: vectors[i] for i, t in enumerate(texts_)}
        out = []
        for c, aims in planned:
            lead = bool(c.topic) and c.kind in ("support", "talent")  # a programme: what it supports, then a condition
            rows = np.stack([row[t] for t in aims if t in row]) if any(t in row for t in aims) else vectors[:0]
            if not len(rows):
                out.append(c)
                continue
            excerpt, closeness = self.picker.pick_scored(c.id, c.text, c.title, rows, frozenset(avoid), lead=lead)
            if floor is not None and closeness < floor and not c.topic and c.id not in keep:
                excerpt = ()  # does not fit this owner: listed, not quoted
            avoid.update(excerpt)
            out.append(replace(c, excerpt=excerpt, relevance=round(closeness, 4)))
        return out

    # ---- turns --------------------------------------------------------------------------------
    def for_open(
        self,
        stage: Stage,
        profile: dict[str, Any],
        history: History,
        obstacles: Sequence[Obstacle] = (),
        words: str = "",
    ) -> list[Citation]:
        """A stage's opening: help for an obstacle just named, the industry case, the question's passage.
        ``words``: what the owner said last; passages are quoted as they fit it, the trade and the stage."""
        hits = self._search(stage.retrieval_query, Filters(kinds=OPENING_KINDS))
        label, cases = self.industry_cases(profile)
        rank = {p.id: i for i, p in enumerate(hits)}
        # The closest trade's cases first; among those, the one the stage's search ranks highest.
        closest = [p for p in cases if self._tier(profile, p) == self._tier(profile, cases[0])] if cases else []
        case = next((p for p in sorted(closest, key=lambda p: rank.get(p.id, len(hits))) if history.allows(p.id)), None)
        case = case or next((p for p in cases if history.allows(p.id)), None)
        chosen: list[Citation] = []
        if case:
            chosen.append(Citation.of(case, self._reason("industry_case", industry=label)))
        focus = self._pick(hits, history, chosen, {p.id for p in cases})
        if focus:
            chosen.append(Citation.of(focus, self._reason("stage", title=stage.short)))
        helps = self._for_obstacles(obstacles, history, chosen, MAX_CITATIONS - len(chosen), profile)
        owner = f"{profile.get('industry', '')} {normalize_query(words)[:ANSWER_CHARS]}".strip()
        aims = (stage.retrieval_query, owner) if owner else (stage.retrieval_query,)
        return self._with_excerpts([*helps, *((c, aims) for c in chosen)], set(history.quoted))

    def for_probe(
        self,
        stage: Stage,
        element: Element,
        profile: dict[str, Any],
        answer: str,
        history: History,
        obstacles: Sequence[Obstacle] = (),
    ) -> list[Citation]:
        """A follow-up: the passage that best fits the missing element and the owner's words."""
        words = normalize_query(answer)[:ANSWER_CHARS]
        hits = self._search(f"{element.retrieval_query} {words}".strip())
        label, cases = self.industry_cases(profile)
        focus = self._pick(hits, history, [], {p.id for p in cases})
        chosen = [Citation.of(focus, self._reason("element", label=element.label))] if focus else []
        helps = self._for_obstacles(obstacles, history, chosen, MAX_CITATIONS - len(chosen), profile)
        top = {p.id for p in hits[:NEWLY_RELEVANT_RANK]}
        taken = [*chosen, *(c for c, _ in helps)]
        case = next((p for p in cases if p.id in top and self._free(p, history, taken)), None)
        if case and len(taken) < MAX_CITATIONS:
            chosen.insert(0, Citation.of(case, self._reason("industry_case", industry=label)))
        aims = (words, element.retrieval_query)
        floor = None if self.floor is None else max(self.floor, PROBE_FLOOR)
        return self._with_excerpts([*((c, aims) for c in chosen), *helps], set(history.quoted), floor=floor)

    def _programmes_for(
        self,
        obstacles: Sequence[Obstacle],
        history: History,
        chosen: list[Citation],
        room: int,
        profile: dict[str, Any],
    ) -> list[tuple[Citation, tuple[str, ...]]]:
        """For the obstacles named, the one programme that fits this owner's need and scale, quoted by
        the line that applies to them (its row, its condition); nothing when none fits."""
        words = " ".join(o.words for o in obstacles)
        by_id = {p.id: p for p in self.searcher.passages}
        taken = {c.id for c in chosen}
        for fit in programs.choose(words, profile, self.catalogue):
            p = by_id.get(fit.passage_id)
            if p is None or p.id in taken or not history.allows(p.id) or room < 1:
                continue
            topic = obstacles[0].topic
            reason = self._reason("obstacle", topic=topic.label.get(self.lang, topic.key))
            citation = replace(Citation.of(p, reason, topic=topic.key), excerpt=tuple(fit.quote))
            return [(citation, ())]
        return []

    def programs_for(self, obstacle: Obstacle, n: int = 2) -> list[Citation]:
        """The summary's programmes for one obstacle: the ``n`` best, each with the sentences that
        state its conditions (no rule against repetition: the summary is read on its own)."""
        topic = obstacle.topic
        hits = self._search(f"{topic.query} {normalize_query(obstacle.words)}", Filters(kinds=topic.kinds))
        by_id = {p.id: p for p in self.searcher.passages}
        ranked = [p for p in hits if p.id in topic.passages] + [by_id[i] for i in topic.passages if i in by_id]
        unique = list({p.id: p for p in ranked}.values())[:n]
        reason = self._reason("obstacle", topic=topic.label.get(self.lang, topic.key))
        aims = (obstacle.words, topic.query)
        return self._with_excerpts([(Citation.of(p, reason, topic=topic.key), aims) for p in unique], set())

    def for_question(
        self, question: str, profile: dict[str, Any], stage: Stage, history: History, context: str = ""
    ) -> list[Citation]:
        """The sources that answer the owner's question, each quoted for the fact that applies to this
        owner: a programme by need and scale (the row for their head count, the frame for the amount
        they name, a prerequisite such as DX認定 named with it); anything else by search, the sentence
        closest to the question. Nothing that does not fit: an empty list."""
        words = normalize_query(question)
        # What was said around the question (a head count, an amount, a worry, the case it heard of) finds
        # the source and decides which programme and which of its rows apply.
        around = normalize_query(f"{context} {question}") if context else words
        hits = self.searcher.search(around, k=CANDIDATES)
        about_support = any(h.passage.kind == "support" for h in hits[:3])
        if self.catalogue and (about_support or programs.scale_of(around, profile).needs):
            found = self._programme_answer(around, profile)
            if found:
                return found
        reason = self._reason("question")
        planned: list[tuple[Citation, tuple[str, ...]]] = [
            (Citation.of(h.passage, reason), (words,)) for h in hits[:QUESTION_PASSAGES]
        ]
        quoted = self._with_excerpts(planned, set(), keep=frozenset(c.id for c, _ in planned[:1]))
        best = quoted[:1]
        second = [c for c in quoted[1:] if c.excerpt and self.floor is not None and c.relevance >= self.floor]
        return [*best, *second]

    def _programme_answer(self, words: str, profile: dict[str, Any]) -> list[Citation]:
        by_id = {p.id: p for p in self.searcher.passages}
        reason = self._reason("question")
        out: list[Citation] = []
        for fit in programs.choose(words, profile, self.catalogue):
            p = by_id.get(fit.passage_id)
            if p is None or any(c.id == p.id for c in out):
                continue
            out.append(replace(Citation.of(p, reason), excerpt=tuple(fit.quote)))
            for pre in fit.prerequisite:
                q = by_id.get(pre)
                if q is not None and all(c.id != q.id for c in out):
                    lead = self.picker.pick(q.id, q.text, q.title, self.embed([words]), lead=True)[:1]
                    out.append(replace(Citation.of(q, self._reason("prerequisite")), excerpt=lead))
            if len(out) >= QUESTION_PASSAGES:
                break
        return out[: QUESTION_PASSAGES + 1]

    def for_example(
        self, stage: Stage, element: Element | None, profile: dict[str, Any], history: History
    ) -> list[Citation]:
        """One concrete example from a case, for an owner who cannot answer: the case closest to their
        trade that speaks to what is asked, quoted by its one sentence closest to it."""
        focus = element.retrieval_query if element else stage.retrieval_query
        label, own = self.industry_cases(profile)
        hits = self._search(f"{focus} {label}", Filters(kinds=("case", "user")))
        ranked = [*(p for p in own if any(h.id == p.id for h in hits)), *own, *hits]
        case = next((p for p in ranked if history.allows(p.id)), None) or (ranked[0] if ranked else None)
        if case is None:
            return []
        reason = self._reason("industry_case", industry=label) if case in own else self._reason("example")
        quoted = self._with_excerpts([(Citation.of(case, reason), (focus,))], set(history.quoted), frozenset({case.id}))
        return [replace(c, excerpt=c.excerpt[:1]) for c in quoted]

    # ---- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _free(p: Passage, history: History, chosen: list[Citation]) -> bool:
        return history.allows(p.id) and p.id not in history.last and all(c.id != p.id for c in chosen)

    def _pick(self, hits: list[Passage], history: History, chosen: list[Citation], own: set[str]) -> Passage | None:
        """The best hit that is still free; failing that, the best one not cited in this turn.

        Another industry's case comes in only as the very best hit: a bakery is not sent to a
        metal-parts maker for want of anything better (``own``: the owner's industry cases, if any).
        """
        hits = [p for i, p in enumerate(hits) if i == 0 or not own or p.kind != "case" or p.id in own]
        free = next((p for p in hits if self._free(p, history, chosen)), None)
        return free or next((p for p in hits if all(c.id != p.id for c in chosen) and history.allows(p.id)), None)

    def _for_obstacles(
        self,
        obstacles: Sequence[Obstacle],
        history: History,
        chosen: list[Citation],
        room: int,
        profile: dict[str, Any] | None = None,
    ) -> list[tuple[Citation, tuple[str, ...]]]:
        """For each obstacle (while there is room) its best free passage, and what to quote it for."""
        by_id = {p.id: p for p in self.searcher.passages}
        helps: list[tuple[Citation, tuple[str, ...]]] = []
        if self.catalogue and obstacles:  # the programme that fits the need and the scale the owner said
            fitting = self._programmes_for(obstacles, history, chosen, room, profile or {})
            if fitting:
                return fitting
        for obstacle in obstacles:
            if len(helps) >= room:
                break
            topic = obstacle.topic
            hits = self._search(f"{topic.query} {normalize_query(obstacle.words)}", Filters(kinds=topic.kinds))
            ranked = [p for p in hits if p.id in topic.passages] + [by_id[i] for i in topic.passages if i in by_id]
            taken = {c.id for c in chosen} | {c.id for c, _ in helps}
            found = next((p for p in ranked if p.id not in taken and self._free(p, history, [])), None)
            found = found or next((p for p in ranked if p.id not in taken and history.allows(p.id)), None)
            if found:
                reason = self._reason("obstacle", topic=topic.label.get(self.lang, topic.key))
                # Quote what answers the owner's words: the programme's conditions and amounts.
                helps.append((Citation.of(found, reason, topic=topic.key), (obstacle.words, topic.query)))
        return helps
