"""Which rubric elements an owner's answer covers — without a language model.

The answer is cut into units: sentences and, inside them, clauses (spoken, run-on answers are
also cut after connectives such as 〜けど and 〜ので, hesitations such as えーと are dropped, and
neighbouring clauses are paired). Each unit is scored for every element of the stage by a linear
probe over its embedding and its character n-grams: a ridge classifier per element, fitted when the
assessor starts, on the rubric's examples (positive), its near misses and a few non-answers
(negative), the other elements' examples (negative), and the owner answers labelled in
``prompts/labelled_answers.yaml`` (each answer for its elements; each of its units as a negative for
the elements the answer does not cover, since the probe later scores units, not whole answers).
Cosine similarity alone could not separate the elements: with this small model nearly every sentence
scores 0.84–0.90 against every element, while a probe learns the directions that tell them apart. The
n-grams add what the small model blurs: 紙, FAX, 年後, 任せ, a negation.

A unit may show several elements (「漁師さんに、朝揚がった魚をお腹いっぱい食べてもらう」 names the
customers and the value). A cue word from the rubric, in the unit itself, lets an element count with
a lower score; an element may also require concrete words (a number for a target). The evidence kept
for an element is the clause that shows it, so that the coach and the report quote the right words.

Thresholds, the ridge strength and the n-gram weight were chosen by 4-fold cross-validation on the
labelled answers and checked on the held-out ``tests/data/assessment_labels_spoken.yaml``
(bench/assessment.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import yaml

from dxcoach import paths
from dxcoach.coaching.rubric import Element, Rubric
from dxcoach.retrieval.normalize import normalize_query

EmbedFn = Callable[[Sequence[str]], np.ndarray]  # rows L2-normalised

# Chosen with `bench/assessment.py --grid` by 4-fold cross-validation on the labelled answers (best
# recall at precision >= 0.90, ties by F1); numbers in the README.
THRESHOLD = 0.05  # a unit scoring at least this for an element shows it (probes aim at ±1)
CUE_THRESHOLD = -0.4  # a unit holding one of the element's cue words needs only this
UNSURE = -0.2  # below "shown", at least this: a clause that may show it (the coach checks, never asks afresh);
# chosen on tests/data/assessment_labels_spoken.yaml: 7 of 10 missed elements are checked, 17 of 69 checks needless
CLEAR = 0.45  # at least this: shown clearly enough to be named in a reflection (「…」という原因)
# Long answers (LONG_CHARS and more: an owner talking at length) are scored by a second set of probes
# that also learnt from the spanned long answers of prompts/labelled_owners.yaml, with their own
# strength and bars, chosen by 4-fold cross-validation over those owners (best F1): short answers keep
# the probes above, which the long answers would cost recall (cross-validated 0.86 -> 0.77).
LONG_CHARS = 150
LONG_THRESHOLD, LONG_CUE_THRESHOLD, LONG_RIDGE, LONG_LEXICAL = 0.15, 0.0, 1000.0, 20.0
# Cross-validated over the dev owners: at -0.3, 38 of 41 missed elements are checked (129 of 189 checks
# are of an element not shown: a yes/no for the owner, never a question asked again from scratch).
LONG_UNSURE = -0.3
RIDGE = 100.0  # regularisation of the probes: few examples, 384 + 4,096 dimensions
LEXICAL = 40.0  # weight of the character n-grams next to the standardised embedding (norm ~20)
_GRAMS = 4096  # hashed character 1-3-grams
_VERSION = "probe-v4"  # in the cache key: a change of features or fitting refits old caches

# Non-answers: a negative example for every element in every language.
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
# A clause ending in a particle is half a thought: the clause after it completes it.
# A clause that cannot stand alone: it ends in a particle (仕入れも、), or in a noun, as in a list
# (「毎日の売上と天気、来られたお客さんの数を入力する…」): it is quoted with what follows it.
_DANGLING = re.compile(r"(?:も|は|が|を|と|や|[\u4e00-\u9fff\u30a1-\u30faー])$")
# A unit that asks or echoes the coach's question (「十年後ですか?」「どんな園になっていたいか」) shows
# nothing: it is the question, not the owner's answer to it.
_ASKS = re.compile(r"(?:か|かね|かな|でしょうか|ですか|ますか)[?？]?$|[?？]$")
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
    unsure: dict[str, str] = field(default_factory=dict)  # element -> the clause that may show it
    gist: str = ""  # the clause the answer is most about: what the coach reflects when it names nothing


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


def grams(texts: Sequence[str]) -> np.ndarray:
    """Hashed character 1-3-grams (square-rooted counts, L2-normalised). crc32, not hash(): the
    buckets must be the same in every process, since fitted probes are cached."""
    out = np.zeros((len(texts), _GRAMS))
    for row, text in enumerate(texts):
        s = unicodedata.normalize("NFKC", text).lower()
        for n in (1, 2, 3):
            for i in range(len(s) - n + 1):
                if s[i : i + n].strip():
                    out[row, zlib.crc32(s[i : i + n].encode("utf-8")) % _GRAMS] += 1.0
    out = np.sqrt(out)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    result: np.ndarray = out / np.where(norms == 0, 1.0, norms)
    return result


@dataclass(frozen=True)
class Labelled:
    """An owner answer judged by a person: the elements of its stage it covers."""

    stage: str
    answer: str
    covered: frozenset[str]


def load_labelled(path: Path | None = None) -> list[Labelled]:
    rows = yaml.safe_load((path or paths.PROMPTS_DIR / "labelled_answers.yaml").read_text(encoding="utf-8"))
    return [Labelled(r["stage"], r["answer"], frozenset(r.get("covered") or ())) for r in rows]


@dataclass(frozen=True)
class Spanned:
    """A long, spoken answer judged by a person, with the words (a substring) that show each element."""

    stage: str
    answer: str
    spans: dict[str, str]


def load_spanned(path: Path | None = None) -> list[Spanned]:
    """Owners' long answers with their spans: ``prompts/labelled_owners.yaml`` (the dev half; the
    held-out half lives under tests/data and is never learnt from)."""
    source = path or paths.PROMPTS_DIR / "labelled_owners.yaml"
    if not source.exists():
        return []
    out = []
    for owner in yaml.safe_load(source.read_text(encoding="utf-8")) or []:
        for stage, part in owner["stages"].items():
            out.append(Spanned(stage, part["answer"], {k: str(v) for k, v in (part.get("elements") or {}).items()}))
    return out


def _span_rows(item: Spanned) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """Training rows from one spanned answer: each span shows its element; each unit shows the elements
    whose span it holds, says nothing either way on those it overlaps in part, and shows none of the rest."""
    answer = normalize_query(item.answer)
    spans = {e: normalize_query(w) for e, w in item.spans.items()}
    rows: list[tuple[str, frozenset[str], frozenset[str]]] = [
        (w, frozenset({e}), frozenset()) for e, w in spans.items() if w
    ]
    rows.append((answer, frozenset(spans), frozenset()))
    for unit in units(item.answer):
        shows = frozenset(e for e, w in spans.items() if w and w in unit.text)
        partly = frozenset(e for e, w in spans.items() if e not in shows and _overlap(unit.text, w, answer))
        rows.append((unit.text, shows, partly))
    return rows


def _overlap(unit: str, span: str, answer: str) -> bool:
    """Whether two substrings of ``answer`` share any character position."""
    a, b = answer.find(unit), answer.find(span)
    return a >= 0 and b >= 0 and a < b + len(span) and b < a + len(unit)


_PARTS = ("mean", "scale", "weights", "lexical")
_Row = tuple[str, frozenset[str], frozenset[str]]  # text, elements it shows, elements it says nothing on


@dataclass(frozen=True)
class _Probe:
    """A ridge classifier: score = ((v - mean) / scale) @ weights + LEXICAL * grams @ lexical."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    lexical: np.ndarray  # already multiplied by the n-gram weight

    def __call__(self, vectors: np.ndarray, text_grams: np.ndarray) -> np.ndarray:
        result: np.ndarray = ((vectors - self.mean) / self.scale) @ self.weights + text_grams @ self.lexical
        return result


def _fit(vectors: np.ndarray, text_grams: np.ndarray, positive: np.ndarray, ridge: float, lexical: float) -> _Probe:
    """Ridge regression onto ±1, classes weighted equally (positives are few). Solved in the dual:
    a few hundred rows against 4,480 features."""
    mean, scale = vectors.mean(axis=0), vectors.std(axis=0) + 1e-6
    z = np.hstack([(vectors - mean) / scale, lexical * text_grams])
    share = float(positive.mean()) if positive.any() else 0.5
    weight = np.where(positive, 0.5 / share, 0.5 / (1 - share))
    dual = np.linalg.solve(z @ z.T + ridge * np.diag(1 / weight), np.where(positive, 1.0, -1.0))
    w = z.T @ dual
    d = vectors.shape[1]
    return _Probe(mean, scale, w[:d], lexical * w[d:])


class Assessor:
    """Assesses answers against ``rubric``; ``also`` adds other languages' examples and cues (same ids),
    so a Japanese answer is understood in an English session and the other way round. ``labelled``:
    judged owner answers to learn from (default: ``prompts/labelled_answers.yaml``)."""

    def __init__(
        self,
        rubric: Rubric,
        embed: EmbedFn,
        threshold: float = THRESHOLD,
        cue_threshold: float = CUE_THRESHOLD,
        also: tuple[Rubric, ...] = (),
        labelled: Sequence[Labelled] | None = None,
        spanned: Sequence[Spanned] | None = None,
        ridge: float = RIDGE,
        cache: tuple[Path, str] | None = None,
        lexical: float = LEXICAL,
    ) -> None:
        self.rubric = rubric
        self.embed = embed
        self.threshold = threshold
        self.cue_threshold = cue_threshold
        self._cues: dict[tuple[str, str], tuple[str, ...]] = {}
        self._probes: dict[tuple[str, str], _Probe] = {}
        answers = load_labelled() if labelled is None else list(labelled)
        spans = load_spanned() if spanned is None else list(spanned)
        rows = self._rows(also, answers, [])
        long_rows = self._rows(also, answers, spans) if spans else {}
        self._long: dict[tuple[str, str], _Probe] = {}
        # ``cache``: (folder, the model's identity). Fitting embeds a few thousand texts (seconds on a
        # laptop); the probes depend only on the model and the texts, so they are kept once fitted.
        payload = [
            _VERSION,
            cache[1] if cache else "",
            [ridge, lexical, LONG_RIDGE, LONG_LEXICAL],
            {k: [(t, sorted(c), sorted(u)) for t, c, u in v] for k, v in rows.items()},
            {k: [(t, sorted(c), sorted(u)) for t, c, u in v] for k, v in long_rows.items()},
        ]
        digest = hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
        stored = cache[0] / f"assessor-{digest}.npz" if cache else None
        keys = [(stage.id, e.id) for stage in rubric.stages for e in stage.elements]
        if stored is not None and self._load(stored, keys, bool(long_rows)):
            return
        texts = list(dict.fromkeys(t for r in (rows, long_rows) for v in r.values() for t, _, _ in v))
        vectors, text_grams = embed(texts), grams(texts)  # one call for everything the probes learn from
        at = {t: i for i, t in enumerate(texts)}
        self._probes = self._fit_rows(rows, vectors, text_grams, at, ridge, lexical)
        if long_rows:
            self._long = self._fit_rows(long_rows, vectors, text_grams, at, LONG_RIDGE, LONG_LEXICAL)
        if stored is not None:
            self._save(stored, keys)

    def _fit_rows(
        self,
        rows: dict[str, list[_Row]],
        vectors: np.ndarray,
        text_grams: np.ndarray,
        at: dict[str, int],
        ridge: float,
        lexical: float,
    ) -> dict[tuple[str, str], _Probe]:
        probes: dict[tuple[str, str], _Probe] = {}
        for stage in self.rubric.stages:
            index = np.array([at[t] for t, _, _ in rows[stage.id]])
            for element in stage.elements:
                # A unit of an answer that covers the element may or may not show it: left out.
                known = np.array([element.id not in unknown for _, _, unknown in rows[stage.id]])
                positive = np.array([element.id in covered for _, covered, _ in rows[stage.id]])[known]
                probes[(stage.id, element.id)] = _fit(
                    vectors[index][known], text_grams[index][known], positive, ridge, lexical
                )
        return probes

    def _rows(self, also: tuple[Rubric, ...], answers: list[Labelled], spanned: list[Spanned]) -> dict[str, list[_Row]]:
        """Per stage, the training texts: (text, the elements it shows, the elements it is no example of
        either way). Collects the cues on the way."""
        rows: dict[str, list[_Row]] = {s.id: [] for s in self.rubric.stages}
        for stage in self.rubric.stages:
            for element in stage.elements:
                found = (_same_element(r, stage.id, element.id) for r in also)
                sources = [element, *(e for e in found if e is not None)]
                shows = frozenset({element.id})
                rows[stage.id] += [(t, shows, frozenset()) for e in sources for t in (e.description, *e.examples)]
                rows[stage.id] += [(t, frozenset(), frozenset()) for e in sources for t in e.near_misses]
                self._cues[(stage.id, element.id)] = tuple(c for e in sources for c in e.cues)
            rows[stage.id] += [(t, frozenset(), frozenset()) for t in VAGUE]
            for a in answers:
                if a.stage == stage.id:
                    rows[stage.id].append((a.answer, a.covered, frozenset()))
                    # Its units show none of the elements the answer lacks: the probes score units.
                    rows[stage.id] += [(u.text, frozenset(), a.covered) for u in units(a.answer) if u.text != a.answer]
            for item in spanned:
                if item.stage == stage.id:
                    rows[stage.id] += _span_rows(item)
        return rows

    def _load(self, path: Path, keys: list[tuple[str, str]], long: bool) -> bool:
        try:
            with np.load(path) as data:
                self._probes = {k: _Probe(*(data[f"{k[0]}.{k[1]}.{part}"] for part in _PARTS)) for k in keys}
                if long:
                    self._long = {k: _Probe(*(data[f"long.{k[0]}.{k[1]}.{part}"] for part in _PARTS)) for k in keys}
            return True
        except Exception:  # missing, damaged or from another version: fit again
            self._probes, self._long = {}, {}
            return False

    def _save(self, path: Path, keys: list[tuple[str, str]]) -> None:
        arrays = {f"{k[0]}.{k[1]}.{part}": getattr(self._probes[k], part) for k in keys for part in _PARTS}
        arrays |= {f"long.{k[0]}.{k[1]}.{part}": getattr(self._long[k], part) for k in self._long for part in _PARTS}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial.npz")
            np.savez(partial, **arrays)
            os.replace(partial, path)  # readers see the whole file or none
        except OSError:
            pass  # a cache: without it the next start fits again

    def _is_long(self, answer: str) -> bool:
        return bool(self._long) and len(normalize_query(answer)) >= LONG_CHARS

    def matrix(self, stage_id: str, answer: str) -> tuple[list[Unit], np.ndarray]:
        """The answer's units and a units x elements matrix of probe scores."""
        parts = units(answer)
        if not parts:
            return [], np.zeros((0, 0))
        texts = [u.text for u in parts]
        vectors, text_grams = self.embed(texts), grams(texts)
        elements = self.rubric.stage(stage_id).elements
        probes = self._long if self._is_long(answer) else self._probes
        return parts, np.stack([probes[(stage_id, e.id)](vectors, text_grams) for e in elements], axis=1)

    def assess(self, stage_id: str, answer: str) -> Assessment:
        parts, score = self.matrix(stage_id, answer)
        if not parts:
            return Assessment(frozenset())
        long = self._is_long(answer)
        bar, cue_bar = (LONG_THRESHOLD, LONG_CUE_THRESHOLD) if long else (self.threshold, self.cue_threshold)
        maybe = LONG_UNSURE if long else UNSURE
        covered: set[str] = set()
        evidence: dict[str, str] = {}
        scores: dict[str, float] = {}
        unsure: dict[str, str] = {}
        for j, element in enumerate(self.rubric.stage(stage_id).elements):
            column = score[:, j]
            scores[element.id] = round(float(column.max()), 4)
            cues = self._cues[(stage_id, element.id)]
            shows = [
                u
                for u in range(len(parts))
                if _meets(element, parts[u].text)
                and not _ASKS.search(parts[u].text)
                and (column[u] >= bar or (column[u] >= cue_bar and cue_hit(cues, parts[u].text) is not None))
            ]
            if shows:
                covered.add(element.id)
                evidence[element.id] = _clause_for(parts, column, max(shows, key=lambda u: column[u]))
            else:
                answering = [u for u in range(len(parts)) if not _ASKS.search(parts[u].text)]
                best_unit = max(answering, key=lambda u: column[u], default=None)
                if best_unit is not None and column[best_unit] >= maybe:
                    unsure[element.id] = _clause_for(parts, column, best_unit)
        best = np.unravel_index(int(score.argmax()), score.shape)[0] if score.size else 0
        gist = _clause_for(parts, score.max(axis=1), int(best))
        return Assessment(frozenset(covered), evidence, scores, unsure, gist)

    def best_clause(self, stage_id: str, answers: Sequence[str], element_id: str) -> str:
        """The clause of earlier answers that comes closest to showing ``element_id`` ("I already said it")."""
        index = [e.id for e in self.rubric.stage(stage_id).elements].index(element_id)
        best, clause = -np.inf, ""
        for answer in answers:
            parts, score = self.matrix(stage_id, answer)
            if parts and float(score[:, index].max()) > best:
                best = float(score[:, index].max())
                clause = _clause_for(parts, score[:, index], int(score[:, index].argmax()))
        return clause


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
    whole = next((p.text for p in parts if p.sentence == sentence and not p.clause), parts[best].text)
    members = [u for u in range(len(parts)) if parts[u].sentence == sentence and parts[u].clause]
    # The single clauses, not the pairs built from them: evidence is the one clause that shows it.
    members = [u for u in members if not any(v != u and parts[v].text in parts[u].text for v in members)]
    if not members:
        chosen = parts[best].text
    else:
        top = max(members, key=lambda u: column[u])
        chosen = parts[top].text
        for u in members:  # a neighbouring clause nearly as strong joins it (a list spans several)
            text = parts[u].text
            if u != top and column[u] >= column[top] - 0.05 and text not in chosen and chosen not in text:
                a, b = whole.find(chosen), whole.find(text)
                if a >= 0 and b >= 0 and (b + len(text) + 1 == a or a + len(chosen) + 1 == b):
                    chosen = whole[min(a, b) : max(a + len(chosen), b + len(text))]
        at = whole.find(chosen)
        if at >= 0 and _DANGLING.search(chosen):  # 「仕入れも仕込みの量も、」 needs what follows it
            rest = _CLAUSE_END.split(whole[at + len(chosen) :].lstrip("、,， "), maxsplit=1)[0]
            chosen = f"{chosen}、{rest}".rstrip("、") if rest else chosen
    if _POINTER.match(chosen) and len(chosen) < 16 and sentence > 0:
        before = [u for u in range(len(parts)) if parts[u].sentence == sentence - 1 and not parts[u].clause]
        if before:
            return parts[before[0]].text
    return chosen
