"""Text normalisation applied to every passage and every query.

The source deck was extracted from a PDF and is full of look-alike characters: Kangxi radicals
(U+2F00–U+2FDF, e.g. ⼈ for 人), which NFKC maps, and CJK Radicals Supplement characters
(U+2E80–U+2EFF, e.g. ⻑ for 長), which NFKC leaves alone. A typed query uses the ordinary
characters, so both sides must be folded the same way or nothing matches.
"""

from __future__ import annotations

import re
import unicodedata

# CJK Radicals Supplement forms that NFKC keeps but a person would never type.
_RADICAL_SUPPLEMENT = str.maketrans(
    {
        "⺠": "民",
        "⻑": "長",
        "⻘": "青",
        "⻄": "西",
        "⻝": "食",
        "⻤": "鬼",
        "⻣": "骨",
        "⻩": "黄",
        "⻫": "斉",
        "⻭": "歯",
        "⻯": "竜",
        "⻲": "亀",
        "⺟": "母",
        "⻆": "角",
        "⻁": "虎",
        "⻨": "麦",
        "⻔": "门",
        "⺩": "王",
        "⺢": "水",
        "⺅": "亻",
        "⺡": "氵",
    }
)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_ALL_SPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC, radical look-alikes folded, runs of spaces collapsed, blank lines kept as paragraph breaks."""
    text = unicodedata.normalize("NFKC", text).translate(_RADICAL_SUPPLEMENT)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def normalize_query(query: str) -> str:
    """A query is one line: normalise and join its lines."""
    return _ALL_SPACE.sub(" ", normalize_text(query)).strip()


def compact(text: str) -> str:
    """Normalised text with all white space removed (for substring matching across line breaks)."""
    return _ALL_SPACE.sub("", normalize_text(text))
