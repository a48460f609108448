"""What a cited passage actually says: one or two of its own sentences, chosen for this turn.

A coach turn quotes the passage rather than naming it, so the sentences are taken verbatim from
the passage body (never its title, heading or link) and chosen by their similarity to the owner's
last answer and to what the coach is asking about. Figures, a step a case took and a programme's
conditions are what an owner can use, so sentences carrying numbers get a small bonus. The same
selection is the material a language model is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

EmbedFn = Callable[[Sequence[str]], np.ndarray]  # rows L2-normalised

MAX_SENTENCES = 2
MAX_CHARS = 120  # two sentences together: a turn stays short
MAX_SENTENCE_CHARS = 110  # one longer sentence is cut (a quote's beginning, marked with …)
FIGURE_BONUS = 0.03
SECOND_WITHIN = 0.04  # a second sentence joins only when nearly as fitting as the first
_MIN_CHARS = 8

_SENTENCE = re.compile(r"[^。!?]+[。!?]?")
_BULLET = re.compile(r"^\s*(?:[-*・•●○■□◆◇▶▪]|\d+[.)])\s*")
# An amount, a share or a count — not a bare year such as 2023.
_FIGURE = re.compile(
    r"\d[\d,.]*[千万億]?(?:円|倍|%|割|人|名|社|件|台|か月|カ月|年分|時間|日|プロセス)|\d+/\d+|[千万億]円"
)
# Lines that are layout, not content: headings, links, photo credits, notes about the slide itself.
_SKIP = re.compile(r"^(#|写真|図中|グラフ中|【出所】|IT導入補助金事務局|ものづくり補助金事務局|https?://|参考$)")
_LINK = re.compile(r"https?://\S+")
# Not a sentence that carries a lesson: a numbered list run into one line (「1 無人搬送車(AGV)、2 AGVに…」),
# an arrow of a diagram (「手書きデータ→AI予測」), a figure caption (「図1」「グラフ」).
_LAYOUT = re.compile(r"(?:^|[、。\s])\d{1,2}\s+\S+、\s*\d{1,2}\s|[→⇒⇨➡]|^(?:図|表|グラフ)\s*\d*[\s:：]")


_CAPTION = re.compile(r"^\s*(?:図|表|グラフ)\s*\d*\s*[:：]\s*(.+)$")


def figures_unveiled(text: str) -> str:
    """The passage with its figure captions that carry a figure (「グラフ:8割超(…)」) turned into plain lines,
    so that the figure may be quoted: the answer to an owner who asks for numbers."""
    lines = []
    for line in text.splitlines():
        caption = _CAPTION.match(line)
        lines.append(caption.group(1) if caption and _FIGURE.search(caption.group(1)) else line)
    return "\n".join(lines)


def passage_sentences(text: str, title: str = "") -> list[str]:
    """The quotable sentences of a passage body, in order."""
    out: list[str] = []
    for raw in text.splitlines():
        line = _BULLET.sub("", raw.strip())
        if not line or _SKIP.match(line) or line == title or line.rstrip(":：") != line:
            continue
        if line.startswith("(") and line.endswith(")"):  # an aside in parentheses: its content still counts
            line = line[1:-1]
        line = _LINK.sub("", line).strip()
        for piece in (p.strip() for p in _SENTENCE.findall(line)):
            # A question (the deck's own four questions) is not something the source tells the owner.
            question = re.search(r"か(\(.*\))?$", piece) is not None
            if (
                len(piece) >= _MIN_CHARS
                and not piece.startswith(("※", "(※"))
                and not question
                and not _LAYOUT.search(piece)
            ):
                out.append(piece)
    return out


class ExcerptPicker:
    """Chooses sentences by embedding similarity; each passage's sentences are embedded once."""

    def __init__(self, embed: EmbedFn) -> None:
        self.embed = embed
        self._cache: dict[str, tuple[list[str], np.ndarray]] = {}

    def prepare(self, passages: Sequence[tuple[str, str, str]], aims: Sequence[str]) -> np.ndarray:
        """One embedding call per turn: the sentences of passages (key, text, title) not seen before,
        and the ``aims`` texts, whose vectors are returned."""
        new = {key: passage_sentences(text, title) for key, text, title in passages if key not in self._cache}
        flat = [s for found in new.values() for s in found] + list(aims)
        vectors = self.embed(flat) if flat else np.zeros((0, 1))
        start = 0
        for key, found in new.items():
            self._cache[key] = (found, vectors[start : start + len(found)])
            start += len(found)
        return vectors[start:]

    def _sentences(self, key: str, text: str, title: str) -> tuple[list[str], np.ndarray]:
        if key not in self._cache:
            self.prepare([(key, text, title)], [])
        return self._cache[key]

    def pick(
        self,
        key: str,
        text: str,
        title: str,
        aims: np.ndarray,
        avoid: frozenset[str] = frozenset(),
        lead: bool = False,
    ) -> tuple[str, ...]:
        """One or two sentences of ``text`` closest to the ``aims`` (rows: the answer, the question's focus).

        ``lead``: a programme is quoted by its first sentence (what it supports) and the condition or
        amount that fits best. Sentences already quoted in this session (``avoid``) are used only
        when nothing else is left.
        """
        return self.pick_scored(key, text, title, aims, avoid, lead)[0]

    def pick_scored(
        self,
        key: str,
        text: str,
        title: str,
        aims: np.ndarray,
        avoid: frozenset[str] = frozenset(),
        lead: bool = False,
    ) -> tuple[tuple[str, ...], float]:
        """``pick``, with how close the passage's closest sentence comes to the aims (its relevance)."""
        found, vectors = self._sentences(key, text, title)
        if not found:
            return (), 0.0
        closeness = (vectors @ aims.T).mean(axis=1)
        return self._choose(found, closeness, avoid, lead), float(closeness.max())

    @staticmethod
    def _choose(found: list[str], closeness: np.ndarray, avoid: frozenset[str], lead: bool) -> tuple[str, ...]:
        score = closeness + np.array([FIGURE_BONUS if _FIGURE.search(s) else 0.0 for s in found])
        if lead and len(found) > 1:  # the second sentence is a condition or an amount where there is one
            rest = [i for i in range(1, len(found)) if _FIGURE.search(found[i])] or list(range(1, len(found)))
            return (found[0], found[max(rest, key=lambda i: score[i])])
        fresh = [i for i in range(len(found)) if found[i] not in avoid] or list(range(len(found)))
        order = sorted(fresh, key=lambda i: -score[i])
        chosen = [order[0]]
        for i in order[1:MAX_SENTENCES]:
            fits = score[i] >= score[order[0]] - SECOND_WITHIN
            if fits and len(found[i]) + len(found[order[0]]) <= MAX_CHARS:
                chosen.append(i)
        return tuple(found[i] for i in sorted(chosen))


def render_quote(sentences: Sequence[str], limit: int = MAX_CHARS) -> str:
    """Sentences joined for a 「…」 quote: a bullet item has no 。, so a slash separates it."""
    parts: list[str] = []
    for s in sentences:
        if parts and not parts[-1].endswith(("。", "!", "?")):
            parts.append("／")
        parts.append(s if len(s) <= MAX_SENTENCE_CHARS else s[: MAX_SENTENCE_CHARS - 1] + "…")
    quote = "".join(parts).rstrip("。")
    return quote if len(quote) <= limit + MAX_SENTENCE_CHARS else quote[: limit - 1] + "…"
