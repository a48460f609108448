"""TUI responsiveness in a real terminal (tmux), measured, not asserted.

    .venv/bin/python bench/tui.py [--home DIR] [--runs N]

- time to first screen: launch → the home screen's title is on screen
- time until the model is ready: launch → the header's loading message is gone
- keys while loading: press "n" right after the first screen; time until the intake form shows,
  and whether that happened before the model was ready
- `dxcoach new` → its first question on screen (and when the model was ready in that run)
- reply latency: in `dxcoach new`, with the model loaded, the time from Enter on a typed answer
  until the coach's reply is on screen (the "thinking" line has come and gone)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxcoach.texts import load  # noqa: E402

T = load("ja", "ui")["tui"]


def tmux(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, env=env, check=False).stdout


def one_run(home: str) -> dict[str, float | bool]:
    env = {**os.environ, "DXCOACH_HOME": home, "LANG": "C.UTF-8", "TERM": "xterm-256color"}
    name = f"bench-{uuid.uuid4().hex[:6]}"
    start = time.perf_counter()
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "32", f"{sys.executable} -m dxcoach", env=env)
    marks: dict[str, float | bool] = {}
    try:
        while True:
            screen = tmux("capture-pane", "-p", "-t", name, env=env)
            now = time.perf_counter() - start
            if "first_screen" not in marks and T["home_title"] in screen:
                marks["first_screen"] = now
                tmux("send-keys", "-t", name, "n", env=env)
            if "intake" not in marks and T["intake_title"] in screen:
                marks["intake"] = now
            if "first_screen" in marks and "ready" not in marks and T["loading"] not in screen:
                marks["ready"] = now
            if {"first_screen", "ready", "intake"} <= marks.keys() or now > 120:
                return marks
            time.sleep(0.02)
    finally:
        tmux("kill-session", "-t", name, env=env)


def first_question(home: str) -> dict[str, float]:
    """`dxcoach new …` launched → the coach's first turn is on screen."""
    env = {**os.environ, "DXCOACH_HOME": home, "LANG": "C.UTF-8", "TERM": "xterm-256color"}
    name = f"bench-{uuid.uuid4().hex[:6]}"
    command = f"{sys.executable} -m dxcoach new --company ベンチ食堂 --industry 飲食業"
    start = time.perf_counter()
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "32", command, env=env)
    marks: dict[str, float] = {}
    try:
        while time.perf_counter() - start < 120 and not marks:
            screen = tmux("capture-pane", "-p", "-t", name, env=env)
            now = time.perf_counter() - start
            if "question" not in marks and f"{T['coach']}:" in screen:
                marks["question"] = now
            time.sleep(0.02)
    finally:
        tmux("kill-session", "-t", name, env=env)
    return marks


ANSWERS = [
    "港町の定食屋として、漁師さんや観光のお客様に、朝どれの魚を手頃な値段で食べてもらうことです。",
    "先代からの約束で、その朝の魚しか出しません。",
    "町の台所として、地元で人を雇い続けたいと思っています。",
    "5年後には、干物をネットで全国に売っていたいです。",
]


def reply_latencies(home: str) -> list[float]:
    """Seconds from Enter to the coach's reply on screen, for each answer of one session."""
    env = {**os.environ, "DXCOACH_HOME": home, "LANG": "C.UTF-8", "TERM": "xterm-256color"}
    name = f"bench-{uuid.uuid4().hex[:6]}"
    command = f"{sys.executable} -m dxcoach new --company ベンチ食堂 --industry 飲食業"
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "32", command, env=env)
    out: list[float] = []
    try:
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline:  # the opening question is shown once the model is ready
            screen = tmux("capture-pane", "-p", "-t", name, env=env)
            if "1/4" in screen and T["loading"] not in screen and T["thinking"] not in screen:
                break
            time.sleep(0.05)
        for answer in ANSWERS:
            tmux("send-keys", "-t", name, "-l", answer, env=env)
            time.sleep(0.3)
            start = time.perf_counter()
            tmux("send-keys", "-t", name, "Enter", env=env)
            seen = False
            while time.perf_counter() - start < 30:
                busy = T["thinking"] in tmux("capture-pane", "-p", "-t", name, env=env)
                seen = seen or busy
                if seen and not busy:
                    out.append(time.perf_counter() - start)
                    break
                time.sleep(0.01)
            time.sleep(0.5)
    finally:
        tmux("kill-session", "-t", name, env=env)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", default="")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="dxcoach-tui-")
    subprocess.run(
        [sys.executable, "-m", "dxcoach", "index"],
        env={**os.environ, "DXCOACH_HOME": home},
        check=True,
        capture_output=True,
    )
    runs = [one_run(home) for _ in range(args.runs)]
    for key, label in [
        ("first_screen", "time to first screen"),
        ("ready", "time until the model is ready"),
        ("intake", "'n' pressed at first screen → intake form shown"),
    ]:
        values = [float(r[key]) for r in runs if key in r]
        print(f"{label}: median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})")
    early = sum(1 for r in runs if r.get("intake", 99) < r.get("ready", 0))
    print(f"intake form shown before the model was ready: {early}/{len(runs)} runs")
    firsts = [first_question(home) for _ in range(args.runs)]
    values = [r["question"] for r in firsts if "question" in r]
    print(
        f"`dxcoach new` → first question on screen: median {statistics.median(values):.2f} s "
        f"(min {min(values):.2f}, max {max(values):.2f})"
    )
    latencies = sorted(x for _ in range(max(1, args.runs // 2)) for x in reply_latencies(home))
    if latencies:
        p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        print(
            f"Enter → coach's reply on screen (model loaded): median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, n={len(latencies)}"
        )


if __name__ == "__main__":
    main()
