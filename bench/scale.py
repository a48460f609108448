"""Retrieval at 1,000 and 10,000 passages (synthetic: the corpus's own sentences recombined, seeded).

    .venv/bin/python bench/scale.py [--sizes corpus,1000,10000] [--runs N] [--models DIR] [--no-lexical] [--no-dense]

Lexical rows: build time and query p50 / p95 of the sparse BM25, against rank-bm25's per-document loop
it replaced (rank-bm25 is a test dependency).

Dense rows (the whole engine, through the public API: ``load_embeddings``, ``update_index``,
``Searcher``): each size runs in a child process with a temporary home (the converted model folder is
copied in, so nothing is converted or fetched). Reported: model load, index build time and rate
(target >= 20 passages/s), searcher open time with the saved lexical index and without it (rebuilt),
hybrid query p50 / p95 through ``Searcher.search`` (target p95 <= 100 ms), and the child's peak RSS
(target <= 1.2 GB). ``corpus`` is the bundled corpus itself; the synthetic texts are cut by the
project's chunker as a real document is. DXCOACH_* settings apply (DXCOACH_EMBED_ENGINE=torch).
Other work on the machine skews every number: each row prints the load average it ran under.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxcoach.retrieval.chunking import chunk_text  # noqa: E402
from dxcoach.retrieval.corpus import Passage, load_documents, passages_from  # noqa: E402
from dxcoach.retrieval.lexical import LexicalIndex, bigram_tokens  # noqa: E402

DEFAULT_MODELS = Path("/tmp/benchhome/models")
TARGET_RATE, TARGET_P95_MS, TARGET_RSS_MB = 20.0, 100.0, 1200


def synthetic(n: int, seed: int = 7) -> list[str]:
    passages = passages_from(load_documents(ROOT / "corpus", "corpus", "guidance"))
    sentences = [s for p in passages for s in p.lexical_text().split("。") if len(s) > 8]
    rng = random.Random(seed)
    return ["。".join(rng.choice(sentences) for _ in range(rng.randint(3, 8))) + "。" for _ in range(n)]


def synthetic_passages(n: int, seed: int = 7) -> list[Passage]:
    """``n`` passages as the index holds them: the synthetic texts cut by the project's own chunker
    (as a real document is; uncut they average ~1,200 characters, over its 800), under corpus titles."""
    titles = sorted({d.title for d in load_documents(ROOT / "corpus", "corpus", "guidance")})
    rng = random.Random(seed + 1)
    chunks = [chunk for text in synthetic(n, seed) for chunk in chunk_text(text)][:n]
    return [
        Passage(f"syn-{i:05d}", f"syn-{i:05d}", rng.choice(titles), "guidance", "bench/synthetic.md", text, {})
        for i, text in enumerate(chunks)
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def queries() -> list[str]:
    lines = (ROOT / "tests" / "data" / "dev_eval.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines]


# ---- lexical side (in this process) --------------------------------------------------------------
def lexical_rows(sizes: list[int], runs: int) -> None:
    qs = queries()
    for n in sizes:
        texts = synthetic(n)
        builds, times = [], []
        for _ in range(runs):
            start = time.perf_counter()
            index = LexicalIndex(texts)
            builds.append(time.perf_counter() - start)
            for q in qs:
                start = time.perf_counter()
                index.scores(q)
                times.append((time.perf_counter() - start) * 1000)
        print(
            f"{n:>6} passages, sparse BM25: build {statistics.median(builds):.2f} s "
            f"({n / statistics.median(builds):.0f} passages/s), query p50 {percentile(times, 0.5):.1f} ms, "
            f"p95 {percentile(times, 0.95):.1f} ms",
            flush=True,
        )
        try:
            from rank_bm25 import BM25Okapi
        except ImportError:
            continue
        reference = BM25Okapi([bigram_tokens(t) for t in texts])
        slow = []
        for q in qs[:20]:
            start = time.perf_counter()
            reference.get_scores(bigram_tokens(q))
            slow.append((time.perf_counter() - start) * 1000)
        print(f"{n:>6} passages, rank-bm25 (before): query p50 {percentile(slow, 0.5):.1f} ms", flush=True)


# ---- dense side (one child process per size) ------------------------------------------------------
def _median_time(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(size: str, models: Path, runs: int) -> dict[str, Any]:
    """Build a real index of ``size`` passages in a fresh home and measure it (runs in its own process)."""
    from dxcoach.config import load_settings
    from dxcoach.retrieval import index
    from dxcoach.retrieval.embedder import load_embeddings, resolve_model
    from dxcoach.retrieval.search import Searcher
    from dxcoach.retrieval.sources import all_passages

    home = Path(tempfile.mkdtemp(prefix=f"dxcoach-scale-{size}-"))
    try:
        shutil.copytree(models, home / "models", ignore=shutil.ignore_patterns("*.lock"))
        # the caller's DXCOACH_* settings apply (DXCOACH_EMBED_ENGINE=torch compares engines), not its home
        settings = load_settings(home, env={k: v for k, v in os.environ.items() if k != "DXCOACH_HOME"})
        passages = all_passages(settings) if size == "corpus" else synthetic_passages(int(size))
        start = time.perf_counter()
        model = resolve_model(settings)
        embeddings = load_embeddings(settings)
        embeddings.embed_documents(["ウォームアップ"])
        model_load = time.perf_counter() - start
        peaks = {"model": _peak_mb()}

        start = time.perf_counter()
        index.update_index(settings, passages, model.name, lambda: embeddings)
        build = time.perf_counter() - start
        peaks["build"] = _peak_mb()

        saved = index.lexical_path(settings)
        with_file = _median_time(lambda: Searcher.open(settings, embeddings=embeddings), runs)

        def open_without_file() -> None:
            saved.unlink(missing_ok=True)
            Searcher.open(settings, embeddings=embeddings)

        without_file = _median_time(open_without_file, runs)
        searcher = Searcher.open(settings, embeddings=embeddings)
        lexical_load = _median_time(lambda: index.open_lexical(settings, searcher.passages), runs)
        lexical_build = _median_time(lambda: LexicalIndex([p.lexical_text() for p in searcher.passages]), runs)

        peaks["opens"] = _peak_mb()
        qs = queries()
        for q in qs[:3]:
            searcher.search(q, 5)  # warm-up
        times = []
        for _ in range(runs):
            for q in qs:
                start = time.perf_counter()
                searcher.search(q, 5)
                times.append((time.perf_counter() - start) * 1000)
        return {
            "size": size,
            "passages": len(searcher.passages),
            "mean_chars": statistics.mean(len(p.embedding_text()) for p in passages),
            "engine": getattr(embeddings, "engine", "?"),
            "model_load_s": model_load,
            "build_s": build,
            "rate": len(passages) / build,
            "open_with_file_s": with_file,
            "open_without_file_s": without_file,
            "lexical_load_s": lexical_load,
            "lexical_build_s": lexical_build,
            "lexical_file_mb": saved.stat().st_size / 1e6 if saved.exists() else 0.0,
            "p50_ms": percentile(times, 0.5),
            "p95_ms": percentile(times, 0.95),
            "queries": len(times),
            "peak_rss_mb": _peak_mb(),
            "peaks": peaks,  # the peak so far after loading the model, building, the opens
            "load_avg": os.getloadavg()[1],  # other work on the machine skews every number above
        }
    finally:
        index.forget_clients()
        shutil.rmtree(home, ignore_errors=True)


def dense_rows(sizes: list[str], models: Path, runs: int) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    for size in sizes:
        cmd = [sys.executable, __file__, "--child", size, "--models", str(models), "--runs", str(runs)]
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True)
        wall = time.perf_counter() - start
        r = json.loads(done.stdout.strip().splitlines()[-1])
        children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # max over children so far
        ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
        print(
            f"{r['passages']:>6} passages (mean {r['mean_chars']:.0f} chars), dense+hybrid ({r['engine']}): "
            f"build {r['build_s']:.1f} s = {r['rate']:.1f} passages/s [{ok(r['rate'] >= TARGET_RATE)}], "
            f"model load {r['model_load_s']:.1f} s; "
            f"query p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms [{ok(r['p95_ms'] <= TARGET_P95_MS)}] "
            f"over {r['queries']}; peak RSS {r['peak_rss_mb']:.0f} MB [{ok(r['peak_rss_mb'] <= TARGET_RSS_MB)}] "
            f"(children max {children_rss:.0f} MB); child wall {wall:.0f} s, load average {r['load_avg']:.1f}",
            flush=True,
        )
        print(
            f"{r['passages']:>6} passages, searcher open: {r['open_with_file_s'] * 1000:.0f} ms with the saved "
            f"lexical index, {r['open_without_file_s'] * 1000:.0f} ms without (lexical part: load "
            f"{r['lexical_load_s'] * 1000:.1f} ms vs build {r['lexical_build_s'] * 1000:.1f} ms; "
            f"file {r['lexical_file_mb']:.1f} MB); peak RSS after model load {r['peaks']['model']:.0f} MB, "
            f"after the build {r['peaks']['build']:.0f} MB, after the opens {r['peaks']['opens']:.0f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="corpus,1000,10000", help="comma-separated: corpus and/or numbers")
    parser.add_argument("--models", default=str(DEFAULT_MODELS), help="a home's models/ folder to copy")
    parser.add_argument("--no-lexical", action="store_true")
    parser.add_argument("--no-dense", action="store_true")
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.models), args.runs)))
        return
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not args.no_lexical:
        lexical_rows([int(s) for s in sizes if s.isdigit()], args.runs)
    if not args.no_dense:
        if not Path(args.models).is_dir():
            sys.exit(f"no converted model at {args.models}: run `dxcoach index` with DXCOACH_HOME set, pass --models")
        dense_rows(sizes, Path(args.models), args.runs)


if __name__ == "__main__":
    main()
