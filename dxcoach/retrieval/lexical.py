"""Lexical retrieval: BM25 over NFKC character bigrams (Japanese) and words (Latin script).

Japanese has no spaces; character bigrams need no dictionary and were measured to beat a
morphological tokenizer (janome) on the dev set (see bench/retrieval.py).

The matrix is saved beside the vector store (``open_index``) and loaded instead of rebuilt while it
was built over exactly the same passages: a cache, so a stale or damaged file is rebuilt, never used.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
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
# Bump when tokenising or scoring changes in a way the texts do not show: saved indexes are then rebuilt.
FORMAT = 1
_SEP = "\x00"  # joins the vocabulary and the ids in the saved file; no token or id contains it


class LexicalIndex:
    """BM25 (Okapi, as rank-bm25 scores it) as one sparse matrix: a query costs the postings of its
    own tokens, not a Python loop over every document — what keeps ten thousand passages fast."""

    K1, B, EPSILON = 1.5, 0.75, 0.25

    def __init__(self, texts: Sequence[str], tokenizer: Tokenizer = bigram_tokens) -> None:
        self.tokenizer = tokenizer
        self.vocabulary: dict[str, int] = {}
        self._weights: sparse.csc_matrix | None = None
        if not texts:
            return
        # One document at a time into small arrays: Python lists of every posting took ~13 times the
        # finished matrix at 10,000 passages (+325 MB peak).
        vocabulary, n = self.vocabulary, len(texts)
        cols_of, tfs_of, length_of = [], [], []
        for text in texts:
            counts = Counter(tokenizer(text) or ["∅"])
            length_of.append(sum(counts.values()))
            ids = (vocabulary.setdefault(token, len(vocabulary)) for token in counts)
            cols_of.append(np.fromiter(ids, dtype=np.int32, count=len(counts)))
            tfs_of.append(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        per_row = np.array([len(c) for c in cols_of], dtype=np.int64)
        cols, tf = np.concatenate(cols_of), np.concatenate(tfs_of)
        del cols_of, tfs_of
        lengths = np.array(length_of, dtype=np.float64)
        df = np.bincount(cols, minlength=len(vocabulary)).astype(np.float64)
        idf = np.log((n - df + 0.5) / (df + 0.5))
        idf[idf < 0] = self.EPSILON * idf.mean()  # rank-bm25's floor for tokens in most documents
        norm = self.K1 * (1 - self.B + self.B * np.repeat(lengths, per_row) / lengths.mean())
        values = idf[cols] * tf * (self.K1 + 1) / (tf + norm)
        indptr = np.concatenate([[0], np.cumsum(per_row)])
        self._weights = sparse.csr_matrix((values, cols, indptr), shape=(n, len(vocabulary))).tocsc()

    @classmethod
    def _from_parts(cls, tokenizer: Tokenizer, vocabulary: dict[str, int], weights: sparse.csc_matrix) -> LexicalIndex:
        index = cls.__new__(cls)
        index.tokenizer, index.vocabulary, index._weights = tokenizer, vocabulary, weights
        return index

    def save(self, path: Path, *, key: str, tokenizer: str, ids: Sequence[str]) -> bool:
        """Write the matrix, the vocabulary and the ids it was built over, atomically; False when the
        home is not writable (the index then just lives in memory)."""
        weights = self._weights
        words = list(self.vocabulary)  # insertion order is column order
        if weights is None or any(_SEP in w for w in [*words, *ids]):
            return False
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:  # private
                np.savez(
                    fh,
                    format=np.array(FORMAT),
                    key=np.array(key),
                    tokenizer=np.array(tokenizer),
                    vocabulary=_pack(words),
                    ids=_pack(ids),
                    data=weights.data,
                    indices=weights.indices,
                    indptr=weights.indptr,
                    shape=np.array(weights.shape, dtype=np.int64),
                )
            os.replace(tmp, path)
        except (OSError, ValueError):  # a full disk, a read-only home: the index then lives in memory
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            return False
        return True

    @classmethod
    def load(cls, path: Path, *, key: str, tokenizer: str) -> LexicalIndex | None:
        """The saved index when it was built over the passages ``key`` names; None when it was not,
        or when the file is missing or damaged in any way."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                if int(saved["format"]) != FORMAT or str(saved["key"]) != key or str(saved["tokenizer"]) != tokenizer:
                    return None
                words = _unpack(saved["vocabulary"])
                shape = (int(saved["shape"][0]), int(saved["shape"][1]))
                weights = sparse.csc_matrix((saved["data"], saved["indices"], saved["indptr"]), shape=shape)
                weights.check_format(full_check=True)
                if len(words) != shape[1] or len(_unpack(saved["ids"])) != shape[0]:
                    return None
        except Exception:  # a cache: whatever is wrong with the file, it is rebuilt
            return None
        vocabulary = {w: i for i, w in enumerate(words)}
        if len(vocabulary) != len(words) or weights.dtype != np.float64:
            return None
        return cls._from_parts(TOKENIZERS[tokenizer], vocabulary, weights)

    def _scores(self, query: str) -> np.ndarray:
        words = self.tokenizer(query)
        if self._weights is None or not words:
            return np.zeros(0)
        known = [self.vocabulary[w] for w in words if w in self.vocabulary]  # a repeated token counts again
        counts = np.bincount(known, minlength=self._weights.shape[1]).astype(np.float64)
        return np.asarray(self._weights @ counts)

    def scores(self, query: str) -> list[float]:
        return [float(s) for s in self._scores(query)]

    def ranked(self, query: str) -> list[tuple[int, float]]:
        """(document, score) of the documents sharing a token with the query, best first, ties in
        document order — sorted in numpy, not in Python, which counts at ten thousand documents."""
        scores = self._scores(query)
        hits = np.flatnonzero(scores > 0)
        order = hits[np.argsort(-scores[hits], kind="stable")]
        return [(int(i), float(scores[i])) for i in order]


def _pack(strings: Sequence[str]) -> np.ndarray:
    return np.frombuffer(_SEP.join(strings).encode("utf-8"), dtype=np.uint8)


def _unpack(packed: np.ndarray) -> list[str]:
    text = packed.tobytes().decode("utf-8")
    return text.split(_SEP) if text else []


def fingerprint(ids: Sequence[str], texts: Sequence[str], tokenizer: str) -> str:
    """Names exactly what an index is built over: the passages (ids and texts, in order), the
    tokenizer, the BM25 parameters and the format."""
    digest = hashlib.sha256(f"{FORMAT}|{tokenizer}|{LexicalIndex.K1}|{LexicalIndex.B}|{LexicalIndex.EPSILON}".encode())
    for value in (*ids, *texts):
        raw = value.encode("utf-8")
        digest.update(len(raw).to_bytes(8, "little"))
        digest.update(raw)
    return digest.hexdigest()


def saved_key(path: Path) -> str | None:
    """The key of the index saved at ``path`` (reads only that member), or None."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            return str(saved["key"]) if int(saved["format"]) == FORMAT else None
    except Exception:
        return None


def open_index(path: Path, ids: Sequence[str], texts: Sequence[str], tokenizer: str = "bigram") -> LexicalIndex:
    """The index over ``texts``: loaded from ``path`` when it was saved over exactly these passages,
    else built (and saved there when the home can be written)."""
    key = fingerprint(ids, texts, tokenizer)
    loaded = LexicalIndex.load(path, key=key, tokenizer=tokenizer) if texts else None
    if loaded is not None:
        return loaded
    built = LexicalIndex(texts, TOKENIZERS[tokenizer])
    if texts:
        built.save(path, key=key, tokenizer=tokenizer, ids=ids)
    return built


def ensure_saved(path: Path, ids: Sequence[str], texts: Sequence[str], tokenizer: str = "bigram") -> None:
    """Build and save the index unless the file at ``path`` already holds it (after an index update)."""
    key = fingerprint(ids, texts, tokenizer)
    if texts and saved_key(path) != key:
        LexicalIndex(texts, TOKENIZERS[tokenizer]).save(path, key=key, tokenizer=tokenizer, ids=ids)
