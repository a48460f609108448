"""What the model wrote, made safe to store and show: terminal escapes and control characters go,
a reasoning model's ``<think>`` block goes, and every ``[n]`` is checked against the sources sent.
A number the coach did not send is removed from the text and never becomes a citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
# [1], ［１］, [出典1], 【1】, [1, 2] — as models write them.
_CITE = re.compile(
    r"(\s?)[\[［【]\s*(?:出典|source\s*)?([0-9０-９]+(?:\s*[,，、]\s*[0-9０-９]+)*)\s*[\]］】]", re.IGNORECASE
)
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def clean(text: str) -> str:
    text = _THINK.sub("", text)
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\t", " ")
    return _CONTROL.sub("", text).strip()


@dataclass(frozen=True)
class Checked:
    text: str
    cited: tuple[int, ...]  # the valid numbers, in order of first use
    dropped: tuple[str, ...]  # numbers the model made up


def check_citations(text: str, n_sources: int) -> Checked:
    """Keep ``[n]`` for 1 ≤ n ≤ ``n_sources`` (written as ``[n]``); remove every other number."""
    cited: list[int] = []
    dropped: list[str] = []

    def one(match: re.Match[str]) -> str:
        numbers = [int(x) for x in re.split(r"[,，、\s]+", match.group(2).translate(_DIGITS)) if x]
        good = [n for n in numbers if 1 <= n <= n_sources]
        dropped.extend(str(n) for n in numbers if n not in good)
        cited.extend(n for n in good if n not in cited)
        return match.group(1) + "".join(f"[{n}]" for n in good) if good else ""

    return Checked(_CITE.sub(one, text).strip(), tuple(cited), tuple(dropped))
