"""Speed of the retrieval engine, measured (not asserted): first run, no-op re-index, warm query, --help.

.venv/bin/python bench/speed.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    "天気や売上のデータから来客数を予測",
    "IT導入補助金の補助率",
    "人手不足で何から始めればいい",
    "DX認定のメリット",
    "Which restaurant used AI to forecast visitors?",
    "運送会社の事例",
    "デジタルスキル標準の5つの人材類型",
]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


# Runs the CLI in a child that reports its own peak RSS on the way out (SystemExit included).
MEASURED_CLI = (
    "import resource, runpy, sys\n"
    "sys.argv = ['dxcoach', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('dxcoach', run_name='__main__')\n"
    "finally:\n    print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)\n"
)


def search_process(home: str) -> tuple[float, int]:
    """Seconds and peak RSS (MB) of one whole `dxcoach search` process, as a user runs it."""
    env = {**os.environ, "DXCOACH_HOME": home}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED_CLI, "search", QUERIES[1], "--json"], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    rss = int(done.stderr.rsplit("RSS", 1)[1])
    return seconds, rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="dxcoach-speed-")
    env = {**os.environ, "DXCOACH_HOME": home}
    cli = [sys.executable, "-m", "dxcoach"]
    first = timed([*cli, "index"], env)
    print(f"first run from nothing (model conversion + index of corpus/): {first:.1f} s")
    noop = [timed([*cli, "index"], env) for _ in range(args.runs)]
    print(f"no-op re-index (whole process): median {statistics.median(noop):.2f} s over {args.runs}")
    helps = [timed([*cli, "--help"], env) for _ in range(args.runs)]
    print(f"dxcoach --help: median {statistics.median(helps):.3f} s over {args.runs}")
    searches = [search_process(home) for _ in range(args.runs)]
    seconds, rss = statistics.median(s for s, _ in searches), max(r for _, r in searches)
    print(f"one `dxcoach search --json`, whole process: median {seconds:.2f} s over {args.runs}, peak RSS {rss} MB")

    from dxcoach.config import load_settings
    from dxcoach.retrieval.search import Searcher

    start = time.perf_counter()
    searcher = Searcher.open(load_settings(home))
    searcher.search("ウォームアップ", 5)
    print(f"open searcher + load model (in process): {time.perf_counter() - start:.1f} s")
    laps = []
    for _ in range(args.runs * 4):
        for q in QUERIES:
            t0 = time.perf_counter()
            searcher.search(q, 5)
            laps.append((time.perf_counter() - t0) * 1000)
    print(
        f"warm hybrid query: median {statistics.median(laps):.1f} ms, p95 {sorted(laps)[int(len(laps) * 0.95)]:.1f} ms "
        f"over {len(laps)} queries"
    )


if __name__ == "__main__":
    main()
