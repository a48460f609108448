"""Precision and recall of the no-LLM answer assessment on the labelled answers.

    .venv/bin/python bench/assessment.py [--grid]

Two sets: ``assessment_labels.yaml`` (the fit set: thresholds are tuned on it) and
``assessment_labels_spoken.yaml`` (held out: run-on, spoken answers written blind to the assessor).
--grid searches the thresholds on the fit set (best recall at a precision of at least 0.90) and
reports each candidate on the held-out set too. --mistakes lists the fit set's mistakes only.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxcoach.coaching.assess import CUE_THRESHOLD, MARGIN, NEAR_MARGIN, THRESHOLD, Assessor  # noqa: E402
from dxcoach.coaching.rubric import load_rubric  # noqa: E402
from dxcoach.config import load_settings  # noqa: E402
from dxcoach.retrieval.embedder import load_embeddings  # noqa: E402

FIT = ROOT / "tests" / "data" / "assessment_labels.yaml"
HELD_OUT = ROOT / "tests" / "data" / "assessment_labels_spoken.yaml"


def counts(assessors: dict[str, Assessor], rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Per element: [tp, fp, fn]."""
    stats: dict[str, list[int]] = {}
    for row in rows:
        a = assessors[row.get("lang", "ja")]
        got = a.assess(row["stage"], row["answer"]).covered
        gold = set(row.get("covered") or [])
        for e in (x.id for x in a.rubric.stage(row["stage"]).elements):
            s = stats.setdefault(f"{row['stage']}.{e}", [0, 0, 0])
            s[0] += e in got and e in gold
            s[1] += e in got and e not in gold
            s[2] += e not in got and e in gold
    return stats


def score(assessors: dict[str, Assessor], rows: list[dict[str, Any]]) -> dict[str, float]:
    tp, fp, fn = (sum(s[i] for s in counts(assessors, rows).values()) for i in range(3))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def mistakes(assessors: dict[str, Assessor], rows: list[dict[str, Any]]) -> None:
    for row in rows:
        a = assessors[row.get("lang", "ja")]
        got = a.assess(row["stage"], row["answer"]).covered
        gold = set(row.get("covered") or [])
        if got != gold:
            print(
                f"  [{row['stage']}] {row['answer'][:70]}\n     missed {sorted(gold - got)} extra {sorted(got - gold)}"
            )


def memo(embed: Any) -> Any:
    """Embed each text once: the grid builds many assessors over the same sentences."""
    cache: dict[str, np.ndarray] = {}

    def run(texts: Sequence[str]) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in cache]
        if todo:
            for t, v in zip(todo, embed(todo), strict=True):
                cache[t] = v
        return np.stack([cache[t] for t in texts])

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--mistakes", action="store_true")
    parser.add_argument("--home", default="")
    args = parser.parse_args()
    settings = load_settings(args.home or tempfile.mkdtemp(prefix="dxcoach-assess-"))
    embed = memo(load_embeddings(settings).encode_queries)
    fit = yaml.safe_load(FIT.read_text(encoding="utf-8"))
    held = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8")) if HELD_OUT.exists() else []

    def build(threshold: float, cue: float, margin: float, near: float) -> dict[str, Assessor]:
        # As in dxcoach/coaching/factory.py: each language's session also knows the other's examples.
        return {
            lang: Assessor(
                load_rubric(lang), embed, threshold, cue, margin=margin, near_margin=near, also=(load_rubric(other),)
            )
            for lang, other in (("ja", "en"), ("en", "ja"))
        }

    base = build(THRESHOLD, CUE_THRESHOLD, MARGIN, NEAR_MARGIN)
    print(f"thresholds {THRESHOLD} / margin {MARGIN} / cue {CUE_THRESHOLD} / near-miss margin {NEAR_MARGIN}")
    print(f"fit set, {len(fit)} answers:      {score(base, fit)}")
    print(f"held-out set, {len(held)} answers: {score(base, held)}")
    print(f"all, {len(fit) + len(held)} answers:          {score(base, fit + held)}")
    print("per element, fit set:")
    for key, (tp, fp, fn) in counts(base, fit).items():
        print(f"  {key:24} tp={tp:2} fp={fp:2} fn={fn:2}")
    if args.mistakes:  # the fit set's only: the held-out answers stay unread, so nothing is tuned to them
        mistakes(base, fit)
    if args.grid:
        results = []
        for threshold in (0.88, 0.89, 0.90, 0.91, 0.92):
            for margin in (0.0, 0.01, 0.02, 1.0):
                for cue in (0.84, 0.86, 0.87, 0.88, 0.89):
                    for near in (-1.0, 0.0, 0.01):
                        assessors = build(threshold, cue, margin, near)
                        got = score(assessors, fit)
                        # The goal is recall at a precision of at least 0.90: rank by that, then by f1.
                        rank = (got["precision"] >= 0.9, got["recall"], got["f1"])
                        results.append((rank, got, (threshold, margin, cue, near), score(assessors, held)))
        results.sort(key=lambda r: r[0])
        for _, got, (threshold, margin, cue, near), held_out in results[-12:]:
            print(f"threshold={threshold} margin={margin} cue={cue} near={near}: fit {got} held-out {held_out}")


if __name__ == "__main__":
    main()
