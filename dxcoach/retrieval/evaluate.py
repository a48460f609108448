"""Retrieval quality on an eval file: JSON lines of {"id", "q", "gold": [substrings]}.

A query's rank is the first result whose text (NFKC, all white space removed) contains any gold
string (normalised the same way).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dxcoach.errors import UserError
from dxcoach.retrieval.normalize import compact
from dxcoach.retrieval.search import Searcher

EVAL_DEPTH = 10


@dataclass(frozen=True)
class EvalItem:
    id: str
    q: str
    gold: tuple[str, ...]


def load_eval_file(path: Path) -> list[EvalItem]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError("eval_unreadable", path=path, reason=exc) from exc
    items: list[EvalItem] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            item = EvalItem(str(row["id"]), str(row["q"]), tuple(str(g) for g in row["gold"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError("eval_bad_line", path=path, line=number, reason=exc) from exc
        if not item.q.strip() or not item.gold or not isinstance(row["gold"], list):
            raise UserError("eval_needs_q_gold", path=path, line=number)
        items.append(item)
    if not items:
        raise UserError("eval_empty", path=path)
    return items


def rank_of(texts: list[str], gold: tuple[str, ...]) -> int | None:
    wanted = [compact(g) for g in gold]
    for rank, text in enumerate(texts, start=1):
        haystack = compact(text)
        if any(g and g in haystack for g in wanted):
            return rank
    return None


def evaluate(
    searcher: Searcher, items: list[EvalItem], *, k: int = EVAL_DEPTH, method: str = "hybrid"
) -> dict[str, object]:
    depth = max(k, EVAL_DEPTH)
    ranks: dict[str, int | None] = {}
    for item in items:
        hits = searcher.search(item.q, depth, method=method)
        ranks[item.id] = rank_of([h.passage.text for h in hits], item.gold)
    n = len(items)

    def recall(at: int) -> float:
        return round(sum(1 for r in ranks.values() if r is not None and r <= at) / n, 4)

    mrr = sum(1 / r for r in ranks.values() if r is not None and r <= EVAL_DEPTH) / n
    return {
        "n": n,
        "method": method,
        "recall_at_1": recall(1),
        "recall_at_3": recall(3),
        "recall_at_5": recall(5),
        "mrr_at_10": round(mrr, 4),
        "misses": [qid for qid, r in ranks.items() if r is None or r > k],
    }
