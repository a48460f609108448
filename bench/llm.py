"""The language-model path, measured with the real coach and a scripted local server (no real model here).

    .venv/bin/python bench/llm.py [--home DIR] [--timeout S]

- prompt size: tokens per request (tiktoken, offline encoding) over every persona script, and how many
  requests the budget had to trim at DXCOACH_LLM_CONTEXT=8192 and at 2048
- overhead: the coach's reply time with an instant OpenAI-compatible server, against guided mode
  (so the numbers show dxcoach's own cost: prompt building, HTTP, checking citations)
- failure: a whole persona session against a server that accepts and never answers: the seconds spent
  asking and waiting for the model, in timeouts
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.coaching import PERSONAS, timed_coach  # noqa: E402
from dxcoach.coaching.factory import open_coach  # noqa: E402
from dxcoach.coaching.script import load_script  # noqa: E402
from dxcoach.coaching.transcript import run_script  # noqa: E402
from dxcoach.config import load_settings  # noqa: E402
from dxcoach.retrieval.chunking import count_tokens  # noqa: E402
from tests.llm_server import SILENT, ScriptedServer  # noqa: E402

REPLY = "お話から、朝の魚へのこだわりが伝わってきます。資料にも具体的な取り組みがあります[1]。もう一つ伺えますか？"


def run(home: Path, env: dict[str, str], personas: list[Path]) -> tuple[list[float], float]:
    """Reply latencies, and the seconds spent in the model path (asking, waiting, checking)."""
    settings = load_settings(home, env={"HF_HUB_OFFLINE": "1", **env})
    with tempfile.TemporaryDirectory() as tmp:
        coach = open_coach(settings)
        coach.store = type(coach.store)(Path(tmp) / "sessions.sqlite3")
        latencies: list[float] = []
        timed_coach(coach, latencies)
        in_model = [0.0]
        if coach.writer is not None:
            for name in ("ready", "write"):
                setattr(coach.writer, name, _timed(getattr(coach.writer, name), in_model))
        for persona in personas:
            run_script(coach, load_script(persona))
        return latencies, in_model[0]


def _timed(method: Any, total: list[float]) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - start

    return call


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", default=str(Path.home() / ".local/share/dxcoach"))
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args()
    home = Path(args.home)
    guided, _ = run(home, {}, PERSONAS)
    with ScriptedServer("openai", [REPLY]) as server:
        env = {"DXCOACH_LLM_PROVIDER": "openai", "DXCOACH_LLM_BASE_URL": server.url, "DXCOACH_LLM_MODEL": "m"}
        worded, _ = run(home, env, PERSONAS)
        tokens = [sum(count_tokens(str(m["content"])) for m in r["body"]["messages"]) for r in server.requests]
    small: dict[str, Any] = {}
    with ScriptedServer("openai", [REPLY]) as server:
        env = {"DXCOACH_LLM_PROVIDER": "openai", "DXCOACH_LLM_BASE_URL": server.url, "DXCOACH_LLM_MODEL": "m"}
        run(home, {**env, "DXCOACH_LLM_CONTEXT": "2048"}, PERSONAS[:3])
        small["tokens"] = [sum(count_tokens(str(m["content"])) for m in r["body"]["messages"]) for r in server.requests]
    with ScriptedServer("openai", [SILENT]) as server:
        env = {
            "DXCOACH_LLM_PROVIDER": "openai",
            "DXCOACH_LLM_BASE_URL": server.url,
            "DXCOACH_LLM_TIMEOUT": str(args.timeout),
        }
        _, waited = run(home, env, PERSONAS[:1])
    print(f"requests: {len(tokens)} over {len(PERSONAS)} personas")
    print(f"prompt tokens at 8192: median {statistics.median(tokens):.0f}, max {max(tokens)}")
    print(f"prompt tokens at 2048: max {max(small['tokens'])} (budget 2048 - 512 reply = 1536)")
    print(f"reply, guided: {ms(guided)}")
    print(f"reply, worded by an instant local server: {ms(worded)}")
    print(f"a whole session against a silent server: {waited:.1f} s in the model path")
    print(f"  = {waited / args.timeout:.2f} timeouts of {args.timeout:g} s (the first includes importing the client)")


if __name__ == "__main__":
    main()
