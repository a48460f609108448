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
from dxcoach.coaching.excerpts import EmbedFn, ExcerptPicker, figures_unveiled
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
FUSION_RANK = 3  # reciprocal-rank constant when the question's ranking meets its whole turn's
ASKED_KIND_BONUS = 0.15  # a source of the kind a question asks for, over one ranked a little higher
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


@lru_cache(maxsize=1)
def _question_cues() -> dict[str, tuple[str, ...]]:
    with (paths.PROMPTS_DIR / "question_cues.yaml").open(encoding="utf-8") as fh:
        data: dict[str, list[str]] = yaml.safe_load(fh)
    return {kind: tuple(normalize_query(str(w)).lower() for w in words) for kind, words in data.items()}


def asked_kinds(question: str) -> frozenset[str]:
    """The kinds of source a question asks for by its words (prompts/question_cues.yaml)."""
    haystack = normalize_query(question).lower()
    return frozenset(kind for kind, words in _question_cues().items() if any(w in haystack for w in words))


_PLACE_COUNT = re.compile(r"\s*(?:\d+|\(New\)|（New）)\s*$")
_PLACE_SUFFIX = re.compile(r"(都|道|府|県|市|区|町|村|地域)$")


def _place_named(name: str, said: str) -> bool:
    """Whether a listed place (燕市, 新潟県, 湘南地域) is named in what the owner said or their region: by its
    full name, or its name without 県/市 where two characters or more remain (燕 alone is too short); not as
    the tail of a longer name (京都 inside 東京都)."""
    stem = _PLACE_SUFFIX.sub("", name)
    names = [name] + ([stem] if len(stem) >= 2 and stem != name else [])
    start = r"(?:(?<![\u4e00-\u9fff])|(?<=[都道府県郡市区町村]))"  # a name begins here, after 県 in 新潟県燕市
    return any(re.search(start + re.escape(n), said) for n in names)


OPENING_PRIOR = 0.5  # the share of judged dev owners for whom a stage's own passage fitted (see opens_well)


@lru_cache(maxsize=1)
def _judged_fits() -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """From the dev relevance judgments (prompts/labelled_owners.yaml): per stage and passage, for how many
    owners it fitted; per stage, how many owners were judged."""
    path = paths.PROMPTS_DIR / "labelled_owners.yaml"
    fits: Counter[tuple[str, str]] = Counter()
    judged: Counter[str] = Counter()
    owners = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else []
    for owner in owners or []:
        for stage, part in owner["stages"].items():
            relevance = part.get("relevance") or {}
            judged[stage] += 1
            fits.update((stage, pid) for pid in {*(relevance.get("fits") or []), *(relevance.get("must") or [])})
    return fits, judged


def opens_well(stage_id: str, p: Passage) -> bool:
    """Whether a bundled passage fitted most judged owners at this stage (guidance-dx-promotion at the
    purpose: 27 of 32), so that it may be quoted before the owner has said anything of the stage. A
    passage outside the bundled corpus was never judged."""
    fits, judged = _judged_fits()
    if p.kind == "user" or not judged[stage_id] or not (paths.BUNDLED_CORPUS / f"{p.doc_id}.md").exists():
        return True  # never judged (a user's document, another corpus): the floor alone decides
    return fits[(stage_id, p.id)] / judged[stage_id] >= OPENING_PRIOR


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
        figures: bool = False,
    ) -> list[Citation]:
        """Quote each planned citation: the sentences closest to its aims (the owner's words, the
        question's focus). A passage whose closest sentence stays below the relevance floor is not
        quoted (it stays in the 出典 panel), unless it answers an obstacle the owner named or is in
        ``keep``. New passages and all aims are embedded in one call. ``figures``: a figure in a caption
        may be quoted (an owner asked for numbers)."""
        planned = planned[:MAX_CITATIONS]
        key = (lambda c: f"{c.id}#figures") if figures else (lambda c: c.id)
        body = (lambda c: figures_unveiled(c.text)) if figures else (lambda c: c.text)
        floor = self.floor if floor is None else floor
        texts_ = list(dict.fromkeys(t for _, aims in planned for t in aims if t.strip()))
        vectors = self.picker.prepare([(key(c), body(c), c.title) for c, _ in planned], texts_)
        row = {t: vectors[i] for i, t in enumerate(texts_)}
        out = []
        for c, aims in planned:
            lead = bool(c.topic) and c.kind in ("support", "talent")  # a programme: what it supports, then a condition
            rows = np.stack([row[t] for t in aims if t in row]) if any(t in row for t in aims) else vectors[:0]
            if not len(rows):
                out.append(c)
                continue
            excerpt, closeness = self.picker.pick_scored(key(c), body(c), c.title, rows, frozenset(avoid), lead=lead)
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
        helps = self._for_obstacles(obstacles, history, chosen, MAX_CITATIONS - len(chosen), profile, words)
        owner = f"{profile.get('industry', '')} {normalize_query(words)[:ANSWER_CHARS]}".strip()
        aims = (stage.retrieval_query, owner) if owner else (stage.retrieval_query,)
        quoted = self._with_excerpts([*helps, *((c, aims) for c in chosen)], set(history.quoted))
        # The stage's own passage is asked before the owner has answered it: quoted only where careful
        # readers judged it fitting for most owners at this stage (the bundled corpus; a user's own
        # documents by the floor alone).
        return [
            replace(c, excerpt=()) if focus and c.id == focus.id and not opens_well(stage.id, focus) else c
            for c in quoted
        ]

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
        helps = self._for_obstacles(obstacles, history, chosen, MAX_CITATIONS - len(chosen), profile, answer)
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
        said: str = "",
    ) -> list[tuple[Citation, tuple[str, ...]]]:
        """For the obstacles named (or, with none, for what the owner ``said`` of a programme they want), the
        one programme that fits this owner's need and scale, quoted by the line that applies to them (its
        row, its condition); nothing when none fits."""
        words = " ".join(o.words for o in obstacles) or said
        by_id = {p.id: p for p in self.searcher.passages}
        taken = {c.id for c in chosen}
        for fit in programs.choose(words, profile, self.catalogue):
            p = by_id.get(fit.passage_id)
            if p is None or p.id in taken or not history.allows(p.id) or room < 1:
                continue
            if obstacles:
                topic = obstacles[0].topic
                reason = self._reason("obstacle", topic=topic.label.get(self.lang, topic.key))
                citation = Citation.of(p, reason, topic=topic.key)
            else:
                citation = Citation.of(p, self._reason("wanted"))
            return [(replace(citation, excerpt=tuple(fit.quote)), ())]
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
        asked = asked_kinds(words) or asked_kinds(around)
        hits = self._question_ranking(words, around, asked)
        about_support = any(p.kind == "support" for p in hits[:3])
        needs = programs.scale_of(around, profile).needs
        # A programme is looked up by need and scale when one is asked for (and not a figure, a place or
        # learning about programmes), or when nothing is asked for by name and programmes come up anyway.
        wants_programme = "support" in asked and not asked & {"statistic", "region", "talent"}
        if self.catalogue and (wants_programme or (not asked and (about_support or needs))):
            found = self._programme_answer(around, profile)
            if found:
                return found
        reason = self._reason("question")
        place = self._place_answer(around, profile, reason) if "region" in asked else []
        rest = [p for p in hits if all(c.id != p.id for c in place)]
        planned: list[tuple[Citation, tuple[str, ...]]] = [
            (Citation.of(p, reason), (words,)) for p in rest[: QUESTION_PASSAGES - len(place)]
        ]
        first = frozenset(c.id for c, _ in planned[:1]) if not place else frozenset()
        quoted = self._with_excerpts(planned, set(), keep=first, figures="statistic" in asked)
        best = [*place, *quoted][:1]
        second = [
            c for c in [*place, *quoted][1:] if c.excerpt and (c in place or (self.floor and c.relevance >= self.floor))
        ]
        return [*best, *second]

    def _place_answer(self, words: str, profile: dict[str, Any], reason: str) -> list[Citation]:
        """A place the owner works in, found in a list of regional labs or centres: that passage, quoted by
        its heading and the line that names the place (a list's line is otherwise never quoted)."""
        said = normalize_query(f"{profile.get('region', '')} {words}")
        for p in self.searcher.passages:
            if p.kind != "region":
                continue
            heading, named = "", list[str]()
            for raw in p.text.splitlines():
                line = raw.strip()
                if line and not line.startswith(("-", "#")) and not line.endswith(":") and not named:
                    heading = line
                item = line.lstrip("-・ ").strip()
                if line.startswith("-") and _place_named(_PLACE_COUNT.sub("", item), said):
                    named.append(item)
            if named:  # the city before its prefecture: the most specific place first
                named.sort(key=lambda item: bool(re.search(r"(都|道|府|県)\s*\d*$", item)))
                return [replace(Citation.of(p, reason), excerpt=(heading, *named[:2]))]
        return []

    def _question_ranking(self, question: str, around: str, asked: frozenset[str]) -> list[Passage]:
        """Sources for a question, best first: the ranking of the question alone fused with that of everything
        the owner said in the turn (reciprocal ranks), a source of the kind the question asks for (figures, a
        programme, a place, learning, another company's case) first. A long story around a question ranks a
        case's story high; a case comes only when the question asks what another company did."""
        rankings = [self._search(question)]
        if around != question:
            rankings.append(self._search(around))
        if asked:  # the asked-for kind's best sources are candidates even when a story outranks them
            rankings.append(self._search(around, Filters(kinds=tuple(sorted(asked)))))
        score: dict[str, float] = {}
        by_id: dict[str, Passage] = {}
        for ranking in rankings:
            for rank, p in enumerate(ranking):
                by_id[p.id] = p
                score[p.id] = score.get(p.id, 0.0) + 1 / (FUSION_RANK + rank)
        for pid, p in by_id.items():
            if p.kind in asked:
                score[pid] += ASKED_KIND_BONUS
            elif p.kind == "case" and asked:
                score[pid] -= ASKED_KIND_BONUS
        return sorted(by_id.values(), key=lambda p: -score[p.id])

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
        said: str = "",
    ) -> list[tuple[Citation, tuple[str, ...]]]:
        """For each obstacle (while there is room) its best free passage, and what to quote it for. A help is
        quoted only when the owner's words (``said``) ask for its kind (a programme, learning, a place): a
        difficulty told in passing is not a request, and its help stays in the 出典 panel. Words that ask
        for a programme find the one that fits even where no difficulty was named."""
        wants = asked_kinds(said)
        if self.catalogue and not obstacles and wants & {"support", "talent"}:
            return self._programmes_for((), history, chosen, room, profile or {}, normalize_query(said))
        return [
            (replace(c, excerpt=()), ()) if c.kind not in wants else (c, aims)
            for c, aims in self._helps(obstacles, history, chosen, room, profile)
        ]

    def _helps(
        self,
        obstacles: Sequence[Obstacle],
        history: History,
        chosen: list[Citation],
        room: int,
        profile: dict[str, Any] | None = None,
    ) -> list[tuple[Citation, tuple[str, ...]]]:
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
