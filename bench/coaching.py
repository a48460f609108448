"""How the guided coach talks, over every persona script, with the real model, measured (not asserted).

    .venv/bin/python bench/coaching.py [--home DIR]

- reply latency: the coach's reply to one owner turn (assessment, retrieval, wording, storage),
  in-process with the model loaded — median and p95 in milliseconds
- quoting: the share of open and probe turns that carry 15+ characters of a cited passage's body
- variety: the largest share of a session's citing turns (open, probe), and of all the coach's turns
  (closings too), that one passage appears in
- follow-ups that ask for an element an earlier answer in the stage already covered
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxcoach.coaching.coach import Coach  # noqa: E402
from dxcoach.coaching.factory import open_coach  # noqa: E402
from dxcoach.coaching.script import load_script  # noqa: E402
from dxcoach.coaching.transcript import run_script, transcript  # noqa: E402
from dxcoach.config import load_settings  # noqa: E402

PERSONAS = sorted(p for p in (ROOT / "tests" / "personas").glob("*.yaml") if p.stem != "expectations")


def quotes_body(text: str, citation: dict[str, Any], span: int = 15) -> bool:
    lines = citation["text"].splitlines()
    body = "\n".join(x for x in lines if not x.startswith("#") and x.strip() != citation["title"])
    return any(body[i : i + span] in text for i in range(max(1, len(body) - span + 1)))


def timed_coach(coach: Coach, latencies: list[float]) -> None:
    """Time every reply: ``Coach._respond`` is the one pass behind answer, command and respond."""
    inner = coach._respond

    def respond(session_id: str, turns: list[Any], stream: Any = None) -> list[Any]:
        start = time.perf_counter()
        out = inner(session_id, turns, stream)
        latencies.append(time.perf_counter() - start)
        return out

    coach._respond = respond  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", default="")
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="dxcoach-coaching-")
    subprocess.run([sys.executable, "-m", "dxcoach", "--home", home, "index"], check=True, capture_output=True)
    coach = open_coach(load_settings(home))
    coach.respond(coach.new_session({"company": "warm-up", "industry": "飲食業"}))  # loads what loads lazily
    latencies: list[float] = []
    timed_coach(coach, latencies)
    citing = quoting = repeats = 0
    shares, shares_all = [], []
    for script in PERSONAS:
        data = transcript(coach.store, run_script(coach, load_script(script)))
        turns = [
            t for s in data["stages"] for t in s["turns"] if t["role"] == "coach" and t["kind"] in ("open", "probe")
        ]
        citing += len(turns)
        quoting += sum(1 for t in turns if any(quotes_body(t["text"], c) for c in t["citations"]))
        counts = Counter(c["id"] for t in turns for c in t["citations"])
        top, n = counts.most_common(1)[0]
        shares.append((n / len(turns), script.stem, top))
        said = [t for s in data["stages"] for t in s["turns"] if t["role"] == "coach" and t["kind"] != "supplement"]
        shares_all.append((n / len(said), script.stem, top))
        for stage in data["stages"]:
            covered: set[str] = set()
            for t in stage["turns"]:
                if t["role"] == "owner":
                    covered |= set(t["covered"])
                elif t.get("probe_element") in covered:
                    repeats += 1
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    print(f"{len(PERSONAS)} personas, {len(latencies)} replies")
    print(f"reply latency: median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"open/probe turns quoting a cited passage's body (15+ chars): {quoting}/{citing} = {quoting / citing:.2f}")
    share, stem, top = max(shares)
    print(f"largest share of a session's citing turns for one passage: {share:.2f} ({stem}: {top})")
    share, stem, top = max(shares_all)
    print(f"largest share of all the coach's turns of a session for one passage: {share:.2f} ({stem}: {top})")
    print(f"follow-ups asking for an element already covered in the stage: {repeats}")


if __name__ == "__main__":
    main()
