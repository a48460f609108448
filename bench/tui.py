"""TUI responsiveness in a real terminal (tmux), measured, not asserted.

    .venv/bin/python bench/tui.py [--home DIR] [--runs N]

- time to first screen: launch → the home screen's title is on screen
- time until the model is ready: launch → the header's loading message is gone
- keys while loading: press "n" right after the first screen; time until the intake form shows,
  and whether that happened before the model was ready
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


if __name__ == "__main__":
    main()
