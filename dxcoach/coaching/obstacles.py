"""Obstacles the owner names (people, money, security, equipment, partners, time) and the
passages that answer them, from ``prompts/obstacles.yaml``.

An obstacle is something the owner says is hard, lacking or worrying — not a topic word in
passing. 「医療機器メーカーさんに部品を納めています」 names a customer, not an equipment problem;
「パソコンが古くて」 does. So a topic is found only

- where a difficulty, lack or worry is said about it in the same clause (「人が足りんで」,
  「ランサムウェアの被害が心配」, "our PCs are old"): the difficulty word goes with the nearest topic
  word before it (Japanese puts the predicate after its subject), or after it when none comes before;
  topics joined by も/と/や share it (「人もお金も足りない」). A short word of lack (ない, いない,
  ありません) must follow its topic closely; a difficulty in a clause with no topic of its own (「…求められ
  ていますが、手が回っていません」) goes with the clause before it in the same sentence;
- where a phrase says the difficulty by itself (人手不足, 手が回らない, "no time");
- or where the owner asks for help with it (「セキュリティに使える補助金はありますか？」).

A topic word inside another noun does not count: what follows a Japanese topic word must not be
another noun (「機器メーカー」「人材派遣業」), unless it keeps the topic the head (人材不足, 設備投資);
English words match whole words. A denied difficulty (「心配はない」) says nothing.

An opinion about the industry or the world, or a conjecture (「採用はしばらく厳しいでしょうね」), is not
the owner's own obstacle: such a clause counts only when the sentence speaks of the owner's company
(「うちも採用は厳しいでしょうね」). A missed obstacle costs less than a programme suggested for a problem
the owner never had.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from dxcoach import paths
from dxcoach.coaching.assess import sentences


@dataclass(frozen=True)
class Topic:
    key: str
    label: dict[str, str]
    cues: tuple[str, ...]  # the topic's words (lower-cased)
    query: str
    kinds: tuple[str, ...]
    passages: tuple[str, ...]  # corpus ids, best first
    troubles: tuple[str, ...] = ()  # difficulty words of this topic only
    said: tuple[str, ...] = ()  # phrases that say the difficulty by themselves
    not_words: tuple[str, ...] = ()  # longer words holding a topic word that are something else
    alone: tuple[str, ...] = ()  # words that count only standing alone (人, not 4人 or 個人)


@dataclass(frozen=True)
class Obstacle:
    topic: Topic
    words: str  # the owner's sentence that names it


@dataclass(frozen=True)
class _Rules:
    trouble: tuple[str, ...]
    denied: tuple[str, ...]
    denied_before: tuple[str, ...]
    ask: tuple[str, ...]
    heads: tuple[str, ...]
    conjecture: tuple[str, ...]
    general: tuple[str, ...]
    own: tuple[str, ...]


# Clauses end at a comma, or after a connective that ends a thought (…ますが、…けど).
_CLAUSE_END = re.compile(
    r"[、,，;；:：]|(?:けど|けれど(?:も)?|のに|ので|ですが|ますが|でして)|\s(?:but|and|because|so)\s"
)
# A piece ending in a particle is half a clause: it goes with what follows (「人材は、正直足りてない」).
_DANGLING = re.compile(r"(?:は|が|も|を|に|って|とか|や|と)$")
# Words of bare lack: they must follow their topic closely (「お金がない」, not 「お金を…するしかない」).
_BARE = (
    "ない",
    "ねえ",
    "無い",
    "なくて",
    "ありません",
    "いない",
    "いなく",
    "いません",
    "いねえ",
    "おらん",
    "おらな",
    "おらず",
    "おりません",
    "おらへん",
)
_BARE_GAP = 6
_GAP = 14  # the furthest a difficulty word may stand from its topic word (characters, Japanese)
_JOINERS = ("も", "と", "や", "とか", "も、", "と、", "や、", "and", ",", "or")
# What makes ない part of something else: しかない, かもしれない, 違いない, 問題ない, 心配ない …
_NOT_LACK = re.compile(
    r"(?:しか|しれ|知れ|違い|ちがい|問題|心配|構わ|かまわ|仕方|しょうが|間違い|じゃ|では|でも|くも|くは)$"
)
# Noun-like characters: a topic word followed by one of these is part of a longer word.
_NOUNISH = re.compile(r"[\u4e00-\u9fff\u30a0-\u30ffa-z0-9々]")
# The shared splitter ends sentences at 。！？ only; an English full stop ends one too.
_ENGLISH_STOP = re.compile(r"(?<=[a-z0-9)][.])\s+(?=[A-Z\"'])")
_QUESTION = re.compile(
    r"(?:[?？]|か[。!！]?$|ますか|ですか|でしょうか|ませんか|教えて|ください|たいです|たいんです|ほしい)"
)


def _load() -> tuple[tuple[Topic, ...], _Rules]:
    with (paths.PROMPTS_DIR / "obstacles.yaml").open(encoding="utf-8") as fh:
        raw: dict[str, Any] = yaml.safe_load(fh)

    def low(values: Any) -> tuple[str, ...]:
        return tuple(str(v).lower() for v in values or ())

    opinion = raw.get("_opinion") or {}
    rules = _Rules(
        trouble=low(raw.get("_trouble")),
        denied=low(raw.get("_denied")),
        denied_before=low(raw.get("_denied_before")),
        ask=low(raw.get("_ask")),
        heads=low(raw.get("_heads")),
        conjecture=low(opinion.get("conjecture")),
        general=low(opinion.get("general")),
        own=low(opinion.get("own")),
    )
    found = tuple(
        Topic(
            key,
            {str(k): str(v) for k, v in t["label"].items()},
            low(t.get("words") or t.get("cues")),
            str(t["query"]),
            tuple(t["kinds"]),
            tuple(t["passages"]),
            low(t.get("troubles")),
            low(t.get("said")),
            low(t.get("not")),
            low(t.get("alone")),
        )
        for key, t in raw.items()
        if not key.startswith("_")
    )
    return found, rules


@lru_cache(maxsize=1)
def _loaded() -> tuple[tuple[Topic, ...], _Rules]:
    return _load()


def topics() -> tuple[Topic, ...]:
    return _loaded()[0]


# ---- matching ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Hit:
    topic: str
    start: int
    end: int


def _ascii(word: str) -> bool:
    return word.isascii()


def _occurrences(word: str, text: str) -> list[int]:
    """Start positions of ``word`` in ``text``; English words match whole words only."""
    out = []
    start = text.find(word)
    while start != -1:
        end = start + len(word)
        open_left = not _ascii(word[0]) or not (start > 0 and text[start - 1].isascii() and text[start - 1].isalnum())
        open_right = not _ascii(word[-1]) or not (end < len(text) and text[end].isascii() and text[end].isalnum())
        if open_left and open_right:
            out.append(start)
        start = text.find(word, start + 1)
    return out


def _inside(start: int, end: int, text: str, words: tuple[str, ...]) -> bool:
    """Whether text[start:end] lies inside an occurrence of one of ``words``."""
    for word in words:
        for s in _occurrences(word, text):
            if s <= start and end <= s + len(word):
                return True
    return False


def _topic_hits(clause: str, every: tuple[Topic, ...], rules: _Rules) -> list[_Hit]:
    """The topic words of the clause that are not part of another noun, left to right."""
    all_words = tuple(w for t in every for w in t.cues)
    hits: list[_Hit] = []
    for topic in every:
        for word in topic.cues + topic.alone:
            for start in _occurrences(word, clause):
                end = start + len(word)
                if _inside(start, end, clause, topic.not_words):
                    continue
                if word in topic.alone and start > 0 and _NOUNISH.match(clause[start - 1]):
                    continue  # 4人, 個人, 三人: a count or another word, not "people"
                if not _ascii(word[-1]) and end < len(clause) and _NOUNISH.match(clause[end]):
                    rest = clause[end:]
                    if not any(rest.startswith(h) for h in rules.heads + all_words):
                        continue  # 機器メーカー, 人材派遣業: the topic word is not the head
                hits.append(_Hit(topic.key, start, end))
    # Drop a hit inside a longer hit of the same topic (金 in お金).
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[_Hit] = []
    for h in hits:
        if not any(k.topic == h.topic and k.start <= h.start and h.end <= k.end for k in kept):
            kept.append(h)
    return kept


def _denied(clause: str, start: int, end: int, word: str, rules: _Rules) -> bool:
    before = clause[:start]
    if any(before.endswith(d) for d in rules.denied_before):
        return True
    if word in _BARE:
        return bool(_NOT_LACK.search(before))
    if any(n in word for n in ("ない", "な", "ん", "ず", "ません", "n't", "not", "no ", "lack", "un")):
        return False  # the word itself says the lack (足りない, 手が出ない)
    after = clause[end:].lstrip("でがはもす")
    return any(clause[end:].startswith(d) or after.startswith(d) for d in rules.denied)


def _difficulties(clause: str, rules: _Rules, every: tuple[Topic, ...]) -> list[tuple[int, int, str, str | None]]:
    """(start, end, word, topic or None for any topic) of the difficulty words in the clause."""
    found: list[tuple[int, int, str, str | None]] = []
    lists: list[tuple[tuple[str, ...], str | None]] = [(rules.trouble, None)]
    lists += [(t.troubles, t.key) for t in every]
    for words, key in lists:
        for word in words:
            for start in _occurrences(word, clause):
                end = start + len(word)
                if not _denied(clause, start, end, word, rules):
                    found.append((start, end, word, key))
    return found


def _attach(clause: str, hits: list[_Hit], start: int, end: int, word: str, key: str | None) -> set[str]:
    """The topics a difficulty word at [start, end) speaks of."""
    english = word.isascii()
    usable = [h for h in hits if key is None or h.topic == key]
    before = [h for h in usable if h.end <= start]
    after = [h for h in usable if h.start >= end]
    gap = _BARE_GAP if word in _BARE else _GAP
    chosen: _Hit | None = None
    if english:
        near = sorted(before + after, key=lambda h: start - h.end if h.end <= start else h.start - end)
        chosen = near[0] if near else None
    elif before:
        last = max(before, key=lambda h: h.end)
        chosen = last if start - last.end <= gap else None
    elif after:
        first = min(after, key=lambda h: h.start)
        chosen = first if first.start - end <= _GAP and word not in _BARE else None
    if chosen is None:
        return set()
    out = {chosen.topic}
    if chosen.end > start:
        return out  # the topic comes after the difficulty word: nothing is joined before it
    # Topics joined by も/と/や share the difficulty (「人もお金も足りない」).
    current = chosen
    while True:
        joined = [h for h in hits if h.end < current.start and clause[h.end : current.start].strip() in _JOINERS]
        if not joined:
            break
        current = max(joined, key=lambda h: h.end)
        out.add(current.topic)
    return out


def _clauses(sentence: str) -> list[str]:
    """The clauses of a (lower-cased) sentence; a piece ending in a particle joins the next one."""
    pieces: list[str] = []
    start = 0
    for m in _CLAUSE_END.finditer(sentence):
        pieces.append(sentence[start : m.end()])
        start = m.end()
    pieces.append(sentence[start:])
    out: list[str] = []
    carry = ""
    for piece in pieces:
        if not piece.strip(" 、,，;；:："):
            if out and not carry:
                out[-1] += piece
            else:
                carry += piece
            continue
        text = carry + piece
        if _DANGLING.search(piece.rstrip("、,，;； ").strip()) and piece.rstrip().endswith(("、", ",", "，")):
            carry = text
            continue
        carry = ""
        if text.strip():
            out.append(text)
    if carry.strip():
        out.append(carry)
    return out


def _opinion(clause: str, sentence: str, rules: _Rules) -> bool:
    """A conjecture or a remark about the industry, with nothing of the owner's own company in the sentence."""
    padded = f" {sentence} "
    if any(w in padded for w in rules.own):
        return False
    conjecture = any(
        not clause[s + len(w) :].lstrip("ねえ").startswith("か")
        for w in rules.conjecture
        for s in _occurrences(w, clause)
    )
    return conjecture or any(_occurrences(w, clause) for w in rules.general)


def _asks(sentence: str, rules: _Rules) -> bool:
    return bool(_QUESTION.search(sentence)) and any(_occurrences(w, sentence) for w in rules.ask)


def _found_in(sentence: str, every: tuple[Topic, ...], rules: _Rules) -> set[str]:
    lowered = sentence.lower()
    keys: set[str] = set()
    previous: list[_Hit] = []
    for clause in _clauses(lowered):
        hits = _topic_hits(clause, every, rules)
        if _opinion(clause, lowered, rules):
            previous = hits
            continue
        for topic in every:
            if any(_occurrences(p, clause) for p in topic.said):
                keys.add(topic.key)
        for start, end, word, key in _difficulties(clause, rules, every):
            got = _attach(clause, hits, start, end, word, key)
            if not got and previous and not [h for h in hits if key is None or h.topic == key]:
                # No topic in this clause: the difficulty goes with the last topic of the clause before it.
                earlier = [h for h in previous if key is None or h.topic == key]
                if earlier:
                    got = {max(earlier, key=lambda h: h.end).topic}
            keys |= got
        previous = hits
    if _asks(lowered, rules):
        for clause in _clauses(lowered):
            if not _opinion(clause, lowered, rules):
                keys |= {h.topic for h in _topic_hits(clause, every, rules)}
    return keys


def find(text: str) -> list[Obstacle]:
    """The obstacles named in ``text``, in file order, each with the first sentence that names it."""
    every, rules = _loaded()
    named: dict[str, str] = {}
    for sentence in (part for said in sentences(text) for part in _ENGLISH_STOP.split(said) if part.strip()):
        for key in _found_in(sentence, every, rules):
            named.setdefault(key, sentence)
    return [Obstacle(topic, named[topic.key]) for topic in every if topic.key in named]
