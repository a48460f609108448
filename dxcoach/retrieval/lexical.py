"""Lexical retrieval: BM25 over NFKC character bigrams (Japanese) and words (Latin script).

Japanese has no spaces; character bigrams need no dictionary and were measured to beat a
morphological tokenizer (janome) on the dev set (see bench/retrieval.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from rank_bm25 import BM25Okapi

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
    def __init__(self, texts: Sequence[str], tokenizer: Tokenizer = bigram_tokens) -> None:
        self.tokenizer = tokenizer
        tokenized = [tokenizer(t) or ["∅"] for t in texts]
        self._bm25 = BM25Okapi(tokenized) if tokenized else None

    def scores(self, query: str) -> list[float]:
        tokens = self.tokenizer(query)
        if self._bm25 is None or not tokens:
            return []
        return [float(s) for s in self._bm25.get_scores(tokens)]
