"""How the guided coach words a turn: it reflects the owner's own words for what the answer showed,
quotes what its sources say, and varies its formulas so that no two turns in a row open alike.

All wording comes from ``prompts/<lang>/coach.yaml``; this module only chooses and fills it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from dxcoach.coaching.assess import CLEAR
from dxcoach.coaching.excerpts import render_quote
from dxcoach.coaching.grounding import Citation

PHRASE_CHARS = 40

_END_PUNCT = re.compile(r"[。．.!?！？、,\s]+$")
# Fillers and connectives opening the clause, only when a comma or space follows (あの店 keeps its あの).
_FILLER = re.compile(
    r"^(?:まあ|うーん|ええと|えー|あの|そうですね|正直|でも|それと|あと|それに|そして|だから|well|so|um)[、,\s]+", re.I
)
_POLITE_END = re.compile(
    r"(?:と思っています|と思ってます|と思います|と考えています|んですよ|んです|のです|ですかね|ですね|ですよ|です|でしょうか)$"
)
_DANGLING = re.compile(r"(ます|ません|です|でした|ない|た)(?:し|けど|けれど|けれども|が|ので)$")
_KOTO = re.compile(r"(?<=.{6})(?:という|の)?こと$")
_PARTICLE = re.compile(r"(?<=.{4})(?:には|では|とは|は|が|を|に|へ)$")


def phrase(words: str, limit: int = PHRASE_CHARS) -> str:
    """The owner's clause as a short phrase to quote back: fillers, polite endings and a dangling
    particle go (「…食べてもらうことです。」 → 「…食べてもらう」); the words themselves stay."""
    text = _tidy(_FILLER.sub("", _END_PUNCT.sub("", words.strip())))
    if len(text) > limit:  # too long to reflect: its longest clause that fits, else a clean cut
        fitting = [_tidy(c) for c in re.split(r"[、,]", text)]
        fitting = [c for c in fitting if limit // 2 <= len(c) <= limit]
        if fitting:
            return max(fitting, key=len)
        space = text.rfind(" ", 0, limit)
        return text[:space] + "…" if space >= 12 else text[: limit - 1] + "…"
    return text


def _tidy(text: str) -> str:
    text = _POLITE_END.sub("", _DANGLING.sub(r"\1", _END_PUNCT.sub("", text.strip())))
    return _PARTICLE.sub("", _END_PUNCT.sub("", _KOTO.sub("", text)))


def variant(options: Sequence[str] | str, index: int) -> str:
    """The ``index``-th wording, cycling: consecutive turns never share one when there are several."""
    if isinstance(options, str):
        return options
    return options[index % len(options)]


class Voice:
    def __init__(self, t: dict[str, Any]) -> None:
        self.t = t

    def _phrase(self, words: str) -> str:
        return phrase(words, int(self.t.get("phrase_chars", PHRASE_CHARS)))

    def ack(
        self, evidence: dict[str, str], scores: dict[str, float], gist: str, order: Sequence[str], index: int
    ) -> str:
        """Thanks that reflect the owner's point in their own words. An element is named (「…」という原因)
        only when its clause shows it clearly (``scores`` at least ``CLEAR``), for up to two elements
        (``order``: the elements to prefer, e.g. those this answer added); otherwise the gist is reflected
        without a label. Words already reflected for one element are not repeated for another."""
        items: list[str] = []
        used: list[str] = []
        for element in (e for e in order if e in evidence and scores.get(e, CLEAR) >= CLEAR):
            words = self._phrase(evidence[element])
            if not words or any(words in u or u in words for u in used):
                continue
            used.append(words)
            items.append(self.t["reflect_item"].format(phrase=words, noun=self.t["nouns"][element]))
            if len(items) == 2:
                break
        if items:
            return variant(self.t["acks"], index).format(reflection=self.t["reflect_sep"].join(items))
        point = self._phrase(gist or next(iter(evidence.values()), ""))
        if point:
            return variant(self.t["acks_gist"], index).format(phrase=point)
        return variant(self.t["ack_plain"], index)

    def already_said(self, words: str, element: str) -> str:
        return str(self.t["already_said"]).format(phrase=self._phrase(words), noun=self.t["nouns"][element])

    def confirmed(self, words: str, element: str) -> str:
        return str(self.t["confirmed"]).format(phrase=self._phrase(words), noun=self.t["nouns"][element])

    def confirm(self, words: str, element: str) -> str:
        """The check of an element a clause may show: the owner's words, and what the coach takes them for."""
        checks: dict[str, str] = self.t["confirm"]
        quoted = phrase(words, int(self.t.get("confirm_chars", 60)))  # a check quotes a little more
        return checks.get(element, checks["default"]).format(phrase=quoted, noun=self.t["nouns"][element])

    def sources(self, citations: Sequence[Citation]) -> list[str]:
        """One line per quoted citation: what the passage says, in its own sentences, with its number.
        A citation with nothing to quote stays in the 出典 panel only (an empty line here)."""
        lines = []
        for n, c in enumerate(citations, 1):
            if not c.excerpt:
                lines.append("")
                continue
            template = self.t["excerpt"]["case" if c.kind == "case" else "other"]
            lines.append(template.format(name=c.name or c.title, quote=render_quote(c.excerpt), n=n))
        return lines

    def facts(self, citations: Sequence[Citation]) -> list[str]:
        """The answer to a question: each source's fact for this owner, with its number."""
        lines = []
        for n, c in enumerate(citations, 1):
            if c.excerpt:
                lines.append(self.t["fact"].format(name=c.name or c.title, quote=render_quote(c.excerpt), n=n))
        return lines

    def obstacle_intro(self, labels: Sequence[str]) -> str:
        return str(self.t["obstacle_intro"]).format(topics=self.t["list_sep"].join(labels))
