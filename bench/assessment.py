"""Precision and recall of the no-LLM answer assessment on tests/data/assessment_labels.yaml.

    .venv/bin/python bench/assessment.py [--grid]

--grid tunes the two thresholds on the even-numbered answers and reports on the odd ones too,
so the number in the README is not only a number on the data the thresholds were fitted to.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxcoach.coaching.assess import CUE_THRESHOLD, THRESHOLD, Assessor  # noqa: E402
from dxcoach.coaching.rubric import load_rubric  # noqa: E402
from dxcoach.config import load_settings  # noqa: E402
from dxcoach.retrieval.embedder import load_embeddings  # noqa: E402

LABELS = ROOT / "tests" / "data" / "assessment_labels.yaml"


def score(assessors: dict[str, Assessor], rows: list[dict[str, Any]]) -> dict[str, float]:
    tp = fp = fn = 0
    for row in rows:
        lang = row.get("lang", "ja")
        rubric = assessors[lang].rubric
        got = assessors[lang].assess(row["stage"], row["answer"]).covered
        gold = set(row.get("covered") or [])
        for element in (e.id for e in rubric.stage(row["stage"]).elements):
            tp += element in got and element in gold
            fp += element in got and element not in gold
            fn += element not in got and element in gold
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def per_element(assessor_by_lang: dict[str, Assessor], rows: list[dict[str, Any]]) -> None:
    stats: dict[str, list[int]] = {}
    for row in rows:
        a = assessor_by_lang[row.get("lang", "ja")]
        got = a.assess(row["stage"], row["answer"]).covered
        gold = set(row.get("covered") or [])
        for e in (x.id for x in a.rubric.stage(row["stage"]).elements):
            s = stats.setdefault(f"{row['stage']}.{e}", [0, 0, 0])
            s[0] += e in got and e in gold
            s[1] += e in got and e not in gold
            s[2] += e not in got and e in gold
    for key, (tp, fp, fn) in stats.items():
        print(f"  {key:24} tp={tp:2} fp={fp:2} fn={fn:2}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--home", default="")
    args = parser.parse_args()
    settings = load_settings(args.home or tempfile.mkdtemp(prefix="dxcoach-assess-"))
    embeddings = load_embeddings(settings)
    rows = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    base = {lang: Assessor(load_rubric(lang), embeddings.encode_queries) for lang in ("ja", "en")}
    print(f"{len(rows)} labelled answers; thresholds {THRESHOLD} / cue {CUE_THRESHOLD}: {score(base, rows)}")
    per_element(base, rows)
    if args.grid:
        even, odd = rows[::2], rows[1::2]
        results = []
        for threshold in (0.84, 0.86, 0.87, 0.88, 0.89, 0.90, 0.92):
            for cue in (0.0, 0.75, 0.78, 0.80, 0.82, 0.84):
                assessors = {
                    lang: Assessor(load_rubric(lang), embeddings.encode_queries, threshold, cue)
                    for lang in ("ja", "en")
                }
                results.append((score(assessors, even)["f1"], threshold, cue, score(assessors, odd)))
        for f1, threshold, cue, held_out in sorted(results)[-8:]:
            print(f"fit f1={f1} threshold={threshold} cue={cue} held-out {held_out}")


if __name__ == "__main__":
    main()
