"""Lexical retrieval: BM25 over NFKC character bigrams (Japanese) and words (Latin script).

Japanese has no spaces; character bigrams need no dictionary and were measured to beat a
morphological tokenizer (janome) on the dev set (see bench/retrieval.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse

from dxcoach.retrieval.normalize import normalize_query

_LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9.+\-]*")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶー]+")

Tokenizer = Callable[[str], list[str]]


def bigram_tokens(text: str) -> list[str]:
    text = normalize_query(text).lower()
    tokens = _LATIN_WORD.findall(text)
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            tokens.append(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


@lru_cache(maxsize=1)
def _janome() -> Any:
    from janome.tokenizer import Tokenizer as JanomeTokenizer  # test extra: only the benchmark compares it

    return JanomeTokenizer()


def janome_tokens(text: str) -> list[str]:
    """Content words from a morphological analysis (measured against bigrams in bench/retrieval.py)."""
    words = []
    for token in _janome().tokenize(normalize_query(text).lower()):
        pos = token.part_of_speech.split(",")[0]
        if pos in ("名詞", "動詞", "形容詞", "副詞"):
            words.append(str(token.surface if pos == "名詞" else token.base_form))
    return words


TOKENIZERS: dict[str, Tokenizer] = {"bigram": bigram_tokens, "janome": janome_tokens}


class LexicalIndex:
    """BM25 (Okapi, as rank-bm25 scores it) as one sparse matrix: a query costs the postings of its
    own tokens, not a Python loop over every document — what keeps ten thousand passages fast."""

    K1, B, EPSILON = 1.5, 0.75, 0.25

    def __init__(self, texts: Sequence[str], tokenizer: Tokenizer = bigram_tokens) -> None:
        self.tokenizer = tokenizer
        docs = [Counter(tokenizer(t) or ["∅"]) for t in texts]
        self.vocabulary: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        for row, counts in enumerate(docs):
            for token, count in counts.items():
                rows.append(row)
                cols.append(self.vocabulary.setdefault(token, len(self.vocabulary)))
                tfs.append(count)
        self._weights: sparse.csc_matrix | None = None
        if not docs:
            return
        n = len(docs)
        lengths = np.array([sum(c.values()) for c in docs], dtype=np.float64)
        df = np.bincount(cols, minlength=len(self.vocabulary)).astype(np.float64)
        idf = np.log((n - df + 0.5) / (df + 0.5))
        idf[idf < 0] = self.EPSILON * idf.mean()  # rank-bm25's floor for tokens in most documents
        tf = np.array(tfs, dtype=np.float64)
        norm = self.K1 * (1 - self.B + self.B * lengths[rows] / lengths.mean())
        values = idf[cols] * tf * (self.K1 + 1) / (tf + norm)
        self._weights = sparse.csc_matrix((values, (rows, cols)), shape=(n, len(self.vocabulary)))

    def scores(self, query: str) -> list[float]:
        words = self.tokenizer(query)
        if self._weights is None or not words:
            return []
        known = [self.vocabulary[w] for w in words if w in self.vocabulary]  # a repeated token counts again
        counts = np.bincount(known, minlength=self._weights.shape[1]).astype(np.float64)
        return [float(s) for s in self._weights @ counts]
