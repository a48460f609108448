"""Accuracy of the owner-turn intent rules (dxcoach/coaching/intent.py) on the labelled turns.

    .venv/bin/python bench/intents.py [--split dev|heldout|all] [--quiet]

The set is ``tests/data/listening/intents.yaml``: owner turns in Japanese and English, each labelled with
what the owner does (answer, question, already_said, dont_know, correction, yes, no), split alternately
into dev (the rules in ``prompts/intents.yaml`` were tuned on it) and heldout (only scored). Prints, per
split, the accuracy of the kind (by language too), how often the asking sentence of a question was cut
out exactly, the confusion of the errors, each misclassified turn, and the time per turn.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxcoach.coaching.intent import classify  # noqa: E402

DATA = ROOT / "tests" / "data" / "listening" / "intents.yaml"


def load() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return rows


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    right = 0
    by_lang: Counter[str] = Counter()
    lang_right: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    wrong: list[tuple[dict[str, Any], str, str]] = []
    questions = questions_exact = 0
    for row in rows:
        got = classify(row["text"], checking=bool(row.get("checking", False)))
        by_lang[row["lang"]] += 1
        if got.kind == row["kind"]:
            right += 1
            lang_right[row["lang"]] += 1
        else:
            confusion[(row["kind"], got.kind)] += 1
            wrong.append((row, got.kind, got.question))
        if row["kind"] == "question" and got.kind == "question":
            questions += 1
            questions_exact += got.question == row["question"]
    return {
        "n": len(rows),
        "accuracy": right / len(rows) if rows else 0.0,
        "by_lang": {lang: (lang_right[lang], by_lang[lang]) for lang in sorted(by_lang)},
        "confusion": confusion,
        "wrong": wrong,
        "questions": (questions_exact, questions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    parser.add_argument("--quiet", action="store_true", help="numbers only, no misclassified turns")
    args = parser.parse_args()
    rows = load()
    splits = ["dev", "heldout"] if args.split == "all" else [args.split]
    for split in splits:
        part = [r for r in rows if r["split"] == split]
        s = score(part)
        langs = ", ".join(f"{lang} {ok}/{n}" for lang, (ok, n) in s["by_lang"].items())
        exact, found = s["questions"]
        print(f"{split}: accuracy {s['accuracy']:.3f} ({s['n']} turns; {langs}); question text exact {exact}/{found}")
        if s["confusion"]:
            pairs = ", ".join(f"{a}->{b} {k}" for (a, b), k in s["confusion"].most_common())
            print(f"  errors (expected -> got): {pairs}")
        if not args.quiet:
            for row, kind, _ in s["wrong"]:
                flag = " [checking]" if row.get("checking") else ""
                print(f"  {row['kind']:>12} -> {kind:<12}{flag} {row['text']}")
            for row in part:
                if row["kind"] == "question":
                    got = classify(row["text"], checking=bool(row.get("checking", False)))
                    if got.kind == "question" and got.question != row["question"]:
                        print(f"  question text: expected {row['question']!r}, got {got.question!r}")
    texts = [(r["text"], bool(r.get("checking", False))) for r in rows]
    classify("warm-up")
    start = time.perf_counter()
    for _ in range(20):
        for text, checking in texts:
            classify(text, checking=checking)
    per_turn = (time.perf_counter() - start) / (20 * len(texts))
    print(f"time: {per_turn * 1e6:.0f} µs per turn ({len(texts)} turns x 20)")


if __name__ == "__main__":
    main()
