"""The lexical side at 1,000 and 10,000 passages (synthetic: the corpus's own sentences recombined, seeded).

    .venv/bin/python bench/scale.py [--runs N]

Build time and query p50 / p95 of the sparse BM25, against rank-bm25's per-document loop it replaced
(rank-bm25 is a test dependency). The dense side (chromadb HNSW) is not measured here.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxcoach.retrieval.corpus import load_documents, passages_from  # noqa: E402
from dxcoach.retrieval.lexical import LexicalIndex, bigram_tokens  # noqa: E402


def synthetic(n: int, seed: int = 7) -> list[str]:
    passages = passages_from(load_documents(ROOT / "corpus", "corpus", "guidance"))
    sentences = [s for p in passages for s in p.lexical_text().split("。") if len(s) > 8]
    rng = random.Random(seed)
    return ["。".join(rng.choice(sentences) for _ in range(rng.randint(3, 8))) + "。" for _ in range(n)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lines = (ROOT / "tests" / "data" / "dev_eval.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line)["q"] for line in lines]
    for n in (1_000, 10_000):
        texts = synthetic(n)
        builds, times = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            index = LexicalIndex(texts)
            builds.append(time.perf_counter() - start)
            for q in queries:
                start = time.perf_counter()
                index.scores(q)
                times.append((time.perf_counter() - start) * 1000)
        print(
            f"{n:>6} passages, sparse BM25: build {statistics.median(builds):.2f} s "
            f"({n / statistics.median(builds):.0f} passages/s), query p50 {percentile(times, 0.5):.1f} ms, "
            f"p95 {percentile(times, 0.95):.1f} ms"
        )
        try:
            from rank_bm25 import BM25Okapi
        except ImportError:
            continue
        reference = BM25Okapi([bigram_tokens(t) for t in texts])
        slow = []
        for q in queries[:20]:
            start = time.perf_counter()
            reference.get_scores(bigram_tokens(q))
            slow.append((time.perf_counter() - start) * 1000)
        print(f"{n:>6} passages, rank-bm25 (before): query p50 {percentile(slow, 0.5):.1f} ms")


if __name__ == "__main__":
    main()
