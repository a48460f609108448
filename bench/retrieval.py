"""Retrieval quality on the dev set: dense, lexical (bigram / janome) and hybrid, and an RRF grid.

    .venv/bin/python bench/retrieval.py [--corpus DIR] [--home DIR] [--grid]

Uses the real embedded model. The raw seed baseline: --corpus pointing to a folder holding the
seed text as a .txt file.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxcoach.config import load_settings  # noqa: E402
from dxcoach.retrieval.evaluate import load_eval_file, rank_of  # noqa: E402
from dxcoach.retrieval.search import Filters, Searcher, fuse  # noqa: E402


def metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)

    def at(k: int) -> float:
        return round(sum(1 for r in ranks if r is not None and r <= k) / n, 3)

    return {
        "r@1": at(1),
        "r@3": at(3),
        "r@5": at(5),
        "mrr@10": round(sum(1 / r for r in ranks if r and r <= 10) / n, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    parser.add_argument("--home", default="")
    parser.add_argument("--eval", default=str(ROOT / "tests" / "data" / "dev_eval.jsonl"))
    parser.add_argument("--grid", action="store_true", help="also search RRF k and weights")
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="dxcoach-bench-")
    settings = load_settings(home, env={"DXCOACH_CORPUS_DIR": args.corpus})
    items = load_eval_file(Path(args.eval))
    rows: dict[str, dict[str, float]] = {}
    rankings = {}
    for tokenizer in ("bigram", "janome"):
        searcher = Searcher.open(settings, tokenizer=tokenizer)
        lexical = {i.id: searcher.lexical_ranking(i.q, Filters()) for i in items}
        rankings[tokenizer] = lexical
        rows[f"lexical ({tokenizer})"] = metrics([rank_of([p.text for p in lexical[i.id][:10]], i.gold) for i in items])
    dense = {i.id: searcher.dense_ranking(i.q, Filters()) for i in items}
    rows["dense (e5-small)"] = metrics([rank_of([p.text for p in dense[i.id][:10]], i.gold) for i in items])
    for tokenizer in ("bigram", "janome"):
        hits = {i.id: fuse(dense[i.id], rankings[tokenizer][i.id], 10) for i in items}
        rows[f"hybrid RRF ({tokenizer})"] = metrics(
            [rank_of([h.passage.text for h in hits[i.id]], i.gold) for i in items]
        )
    if args.grid:
        best = None
        for rrf_k, wd, wl in itertools.product((5, 10, 20, 40, 60), (0.6, 0.8, 1.0, 1.2), (1.0,)):
            hits = {
                i.id: fuse(dense[i.id], rankings["bigram"][i.id], 10, rrf_k=rrf_k, dense_weight=wd, lexical_weight=wl)
                for i in items
            }
            m = metrics([rank_of([h.passage.text for h in hits[i.id]], i.gold) for i in items])
            key = (m["mrr@10"], m["r@1"], m["r@5"])
            if best is None or key > best[0]:
                best = (key, rrf_k, wd, wl, m)
            print(f"grid k={rrf_k:>2} wd={wd:.1f} wl={wl:.1f} {json.dumps(m)}")
        assert best is not None
        print(f"best: k={best[1]} wd={best[2]} wl={best[3]} {best[4]}")
    print(f"\n{len(items)} questions, corpus {args.corpus}, {len(searcher.passages)} passages")
    print(f"{'method':34} r@1    r@3    r@5    mrr@10")
    for name, m in rows.items():
        print(f"{name:34} {m['r@1']:.3f}  {m['r@3']:.3f}  {m['r@5']:.3f}  {m['mrr@10']:.3f}")


if __name__ == "__main__":
    main()
