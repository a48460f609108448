"""What the owner is doing in a turn: answering, asking the coach, saying it was said already, not
knowing, correcting, or replying yes / no to a check.

Rules, not a model: a turn is cut into sentences (on 。！？!?, a line break, and ". " in English, never
inside quotation marks, never where a ? is followed by と/って: a reported thought), each sentence is
normalised (NFKC, lower case, quoted text emptied) and matched against the patterns of
``prompts/intents.yaml``. Order of precedence: a question to the coach wins (it must be answered first,
whatever else the turn says); then a correction; then "already said"; then, after a check, yes / no;
then "don't know"; everything else is an answer. "Already said" and "don't know" hold only while the
rest of the turn says little: 「分からないことだらけですが、まず在庫を…」 answers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

import yaml

from dxcoach import paths
from dxcoach.retrieval.normalize import normalize_text

KINDS = ("answer", "question", "already_said", "dont_know", "correction", "yes", "no")


@dataclass(frozen=True)
class Intent:
    kind: str  # one of KINDS
    question: str = ""  # the sentence(s) that ask (kind == "question"), as typed
    rest: str = ""  # the rest of the turn: what it says besides the question / after the correction


@dataclass(frozen=True)
class _Rules:
    quotes: dict[str, str]  # opening mark -> closing mark
    reported_after_mark: re.Pattern[str]
    fillers: re.Pattern[str]
    content_min: float
    not_content: tuple[re.Pattern[str], ...]
    clause_split: re.Pattern[str]
    marked: re.Pattern[str]
    tag: re.Pattern[str]
    end: tuple[re.Pattern[str], ...]
    request_end: tuple[re.Pattern[str], ...]
    request_start: tuple[re.Pattern[str], ...]
    request_any: tuple[re.Pattern[str], ...]
    en_start: tuple[re.Pattern[str], ...]
    not_question: tuple[re.Pattern[str], ...]
    echo_ja: tuple[re.Pattern[str], ...]
    echo_np_not_end: re.Pattern[str]
    echo_en: re.Pattern[str]
    echo_en_max_words: int
    self_question: re.Pattern[str]
    self_answer_next: re.Pattern[str]
    already_said: tuple[re.Pattern[str], ...]
    dont_know: tuple[re.Pattern[str], ...]
    correction_strong: tuple[re.Pattern[str], ...]
    correction_checking: tuple[re.Pattern[str], ...]
    yes: tuple[re.Pattern[str], ...]
    no: tuple[re.Pattern[str], ...]


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _res(patterns: Any) -> tuple[re.Pattern[str], ...]:
    if isinstance(patterns, str):
        patterns = [patterns]
    return tuple(_re(str(p)) for p in patterns)


@lru_cache(maxsize=1)
def rules() -> _Rules:
    """The patterns of ``prompts/intents.yaml``, compiled (a bad pattern fails here, at first use)."""
    with (paths.PROMPTS_DIR / "intents.yaml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    q = raw["question"]
    return _Rules(
        quotes={str(a): str(b) for a, b in raw["quotes"]},
        reported_after_mark=_re(raw["reported_after_mark"]),
        fillers=_re(str(raw["fillers"]).replace(" ", "")),
        content_min=float(raw["content_min"]),
        not_content=_res(raw["not_content"]),
        clause_split=_re(raw["clause_split"]),
        marked=_re(q["marked"]),
        tag=_re(q["tag"]),
        end=_res(q["end"]),
        request_end=_res(q["request_end"]),
        request_start=_res(q["request_start"]),
        request_any=_res(q["request_any"]),
        en_start=_res(q["en_start"]),
        not_question=_res(q["not_question"]),
        echo_ja=_res(q["echo_ja"]),
        echo_np_not_end=_re(q["echo_np_not_end"]),
        echo_en=_re(q["echo_en"]),
        echo_en_max_words=int(q["echo_en_max_words"]),
        self_question=_re(q["self_question"]),
        self_answer_next=_re(q["self_answer_next"]),
        already_said=_res(raw["already_said"]["any"]),
        dont_know=_res(raw["dont_know"]["any"]),
        correction_strong=_res(raw["correction"]["strong"]),
        correction_checking=_res(raw["correction"]["checking"]),
        yes=_res(raw["yes"]["start"]),
        no=_res(raw["no"]["start"]),
    )


# --- cutting the turn ------------------------------------------------------------------------------

_ENDS = frozenset("。!?\n")
_CLOSING_PUNCT = "。.!?…・〜~ー－-ｰ 　\t、,)）」』]】\"'’”"
_MUSING = ("…", "...", "〜", "~", "ー", "・・")
_NOT_CONTENT = re.compile(r"[\W_]+")


def _fold(ch: str) -> str:
    """One character as NFKC sees it, when NFKC keeps it one character (？ -> ?, ． -> .)."""
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    typed: str  # as typed
    said: str  # normalised, lower case, quoted text emptied


class _Turn:
    def __init__(self, text: str, r: _Rules) -> None:
        self.text = text
        self.r = r
        self.quoted = self._quoted()
        self.sentences = self._sentences()

    def _quoted(self) -> list[bool]:
        """For each character, whether it lies inside a pair of quotation marks (marks excluded)."""
        inside = [False] * len(self.text)
        stack: list[tuple[str, int]] = []
        for i, raw in enumerate(self.text):
            ch = _fold(raw)
            if stack and ch == stack[-1][0]:
                _, opened = stack.pop()
                if not stack:
                    for k in range(opened + 1, i):
                        inside[k] = True
            elif ch in self.r.quotes:
                stack.append((self.r.quotes[ch], i))
            elif ch == "\n":
                stack.clear()  # a quotation is not left open across lines
        return inside

    def span(self, start: int, end: int) -> _Span:
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        said = "".join(c for k, c in enumerate(self.text[start:end], start) if not self.quoted[k])
        said = re.sub(r"\s+", " ", normalize_text(said)).strip().lower()
        return _Span(start, end, self.text[start:end], said)

    def _sentences(self) -> list[_Span]:
        text, n = self.text, len(self.text)
        out: list[_Span] = []
        start = i = 0
        while i < n:
            ch = _fold(text[i])
            is_end = not self.quoted[i] and (
                ch in _ENDS
                or (ch == "." and (i + 1 == n or text[i + 1].isspace()) and not (i > 0 and text[i - 1].isdigit()))
            )
            if not is_end:
                i += 1
                continue
            j = i + 1
            while j < n and _fold(text[j]) in "。.!?)）":
                j += 1
            if ch in "!?" and self.r.reported_after_mark.match(text[j:]):
                i = j
                continue
            piece = self.span(start, j)
            if piece.said:
                out.append(piece)
            start = i = j
        piece = self.span(start, n)
        if piece.said:
            out.append(piece)
        return out

    def clauses(self, sentences: list[_Span] | None = None) -> list[_Span]:
        out: list[_Span] = []
        for s in self.sentences if sentences is None else sentences:
            start = s.start
            for m in self.r.clause_split.finditer(s.typed):
                at = s.start + m.start()
                if at < len(self.text) and self.quoted[at]:
                    continue
                out.append(self.span(start, s.start + m.start()))
                start = s.start + m.end()
            out.append(self.span(start, s.end))
        return [c for c in out if c.said]

    def join(self, spans: list[_Span]) -> str:
        """The spans as typed; neighbours are joined by the text between them."""
        if not spans:
            return ""
        parts = [self.text[spans[0].start : spans[0].end]]
        for prev, cur in pairwise(spans):
            between = self.text[prev.end : cur.start]
            if between.strip(" \t\n" + _CLOSING_PUNCT) == "" and len(between) <= 3:
                parts.append(between + cur.typed)
            else:
                parts.append(" " + cur.typed)
        return "".join(parts).strip()

    def after(self, span: _Span | None) -> str:
        return self.text[span.end :].lstrip(" \t\n、,，。.:：;；—–-").strip() if span else self.text.strip()


# --- sentences and clauses -------------------------------------------------------------------------


def _strip_fillers(said: str, r: _Rules) -> str:
    return r.fillers.sub("", said).strip()


def _core(said: str) -> tuple[str, bool, bool]:
    """The sentence without its closing punctuation; whether that held a ?; whether it trailed off."""
    core = said.rstrip(_CLOSING_PUNCT + "?")
    tail = said[len(core) :]
    return core, "?" in tail, any(m in tail for m in _MUSING)


def _content(spans: list[_Span], r: _Rules) -> float:
    """How much a list of clauses says: characters without fillers and punctuation, ASCII at half."""
    total = 0.0
    for s in spans:
        if _any(r.not_content, s.said):
            continue
        bare = _NOT_CONTENT.sub("", _strip_fillers(s.said, r))
        total += sum(0.5 if c.isascii() else 1.0 for c in bare)
    return total


def _any(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(p.search(text) for p in patterns)


def _consumed(text: str, patterns: tuple[re.Pattern[str], ...], r: _Rules) -> bool:
    """Whether ``text`` is nothing but these lead words and fillers (「はい、そうです」「いえ、ちょっと違います」)."""
    rest = _strip_fillers(text, r).strip(_CLOSING_PUNCT + "?")
    if not rest:
        return False
    while rest:
        for p in patterns:
            m = p.match(rest)
            if m and m.end() > 0:
                rest = _strip_fillers(rest[m.end() :].lstrip(_CLOSING_PUNCT + "?"), r)
                break
        else:
            return False
    return True


def _is_question(turn: _Turn, i: int) -> bool:
    r = turn.r
    said = turn.sentences[i].said
    core, marked, musing = _core(said)
    bare = _strip_fillers(core, r)
    if not bare or _any(r.not_question, core) or r.tag.search(core):
        return False
    asks = marked
    if not asks and not musing and _any(r.end, core):
        asks = True
    if not asks and (_any(r.request_end, core) or _any(r.request_start, bare) or _any(r.request_any, core)):
        asks = True
    if not asks and _any(r.en_start, bare):
        asks = True
    if not asks:
        return False
    following = turn.sentences[i + 1 :]
    if following and not _core(following[0].said)[1]:
        # An echo of the coach's question, then the answer: 「強みですか。うーん、…」 "Our strength? Probably…"
        for p in r.echo_ja:
            m = p.match(bare)
            if m and not r.echo_np_not_end.search(m.group("np")):
                return False
        if marked and r.echo_en.match(bare + "?") and len(bare.split()) <= r.echo_en_max_words:
            return False
        # A question to oneself, answered at once: 「うちの強みって何でしょう？やっぱり…」
        if r.self_question.search(core) and r.self_answer_next.match(_strip_fillers(following[0].said, r)):
            return False
    return True


# --- the turn --------------------------------------------------------------------------------------


def classify(text: str, *, checking: bool = False) -> Intent:
    """What the owner does in ``text``. ``checking``: the coach's last turn asked a yes/no check."""
    r = rules()
    turn = _Turn(text, r)
    if not turn.sentences:
        return Intent("answer")

    # 1. A question to the coach, wherever it stands (not 「もう話しましたよね？」).
    asking = [i for i, s in enumerate(turn.sentences) if not _any(r.already_said, s.said) and _is_question(turn, i)]
    if asking:
        others = [s for i, s in enumerate(turn.sentences) if i not in asking]
        return Intent("question", question=turn.join([turn.sentences[i] for i in asking]), rest=turn.join(others))

    clauses = turn.clauses()
    first = turn.sentences[0].said

    # Lead clauses (fillers, 「いえ」, 「訂正します」, 「さっきの数字間違えてました」) and what follows them.
    def lead_end(patterns: tuple[re.Pattern[str], ...], short: tuple[re.Pattern[str], ...] = ()) -> _Span | None:
        last = None
        for c in clauses:
            bare = _strip_fillers(c.said, r)
            if not bare or _consumed(c.said, patterns, r) or (len(bare) <= 15 and _any(short, bare)):
                last = c
            else:
                break
        return last

    # 2. A correction: said in so many words, or a "no" with content after a check.
    if _any(r.correction_strong, first):
        lead = lead_end(r.no, r.correction_strong)
        rest = turn.after(lead)
        if rest:
            return Intent("correction", rest=rest)
        return Intent("no")

    # 3. "I said that already", with little else.
    cued = [c for c in clauses if _any(r.already_said, c.said)]
    if cued:
        others = [c for c in clauses if c not in cued]
        if _content(others, r) < r.content_min:
            return Intent("already_said", rest=turn.join(others))

    # 4. Yes / no.
    opening = next((c for c in clauses if _strip_fillers(c.said, r)), clauses[0])
    if _consumed(opening.said, r.no, r):
        lead = lead_end(r.no)
        rest = turn.after(lead)
        if not rest:
            return Intent("no")
        if checking:
            return Intent("correction", rest=rest)
    elif _consumed(opening.said, r.yes, r):
        lead = lead_end(r.yes)
        rest = turn.after(lead)
        if not rest or checking:
            return Intent("yes", rest=rest)
    elif checking and _any(r.correction_checking, first):
        return Intent("correction", rest=turn.text.strip())

    # 5. "I don't know", with little else.
    cued = [c for c in clauses if _any(r.dont_know, c.said)]
    if cued:
        others = [c for c in clauses if c not in cued]
        if _content(others, r) < r.content_min:
            return Intent("dont_know", rest=turn.join(others))

    return Intent("answer", rest=text.strip())
