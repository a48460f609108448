"""The real `dxcoach new …` in a real terminal (tmux): type a Japanese answer, press Enter, read the screen."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import cli_env

ANSWER = "港で働く漁師さんに朝の魚を届けます"


@pytest.fixture
def tmux(home: Path) -> Iterator[Callable[..., str]]:
    binary = shutil.which("tmux")
    assert binary, "tmux is part of this machine's kind"
    name = f"dxcoach-{uuid.uuid4().hex[:8]}"
    env = {**cli_env(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color"}
    command = f"{sys.executable} -m dxcoach new --company 有限会社みなと食堂 --industry 飲食業 --employees 12"
    subprocess.run(
        [binary, "new-session", "-d", "-s", name, "-x", "100", "-y", "32", command], env=env, check=True, cwd=ROOT
    )

    def run(*args: str) -> str:
        return subprocess.run([binary, *args], capture_output=True, text=True, env=env, check=False).stdout

    yield lambda *args: run(*[a.replace("{target}", name) for a in args])
    subprocess.run([binary, "kill-session", "-t", name], check=False, capture_output=True)


def wait_for(screen: Callable[[], str], text: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    content = ""
    while time.monotonic() < deadline:
        content = screen()
        if text in content:
            return content
        time.sleep(0.3)
    raise AssertionError(f"{text!r} never appeared on screen:\n{content}")


def test_typing_a_japanese_answer_shows_it_and_the_sources(tmux: Callable[..., str], home: Path) -> None:
    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", "{target}")

    first = wait_for(screen, "1/4")
    assert "出典" in first and "会話" in first
    wait_for(screen, "[1]")  # the coach's opening with its citations (the model has loaded)
    tmux("send-keys", "-t", "{target}", "-l", ANSWER)
    tmux("send-keys", "-t", "{target}", "Enter")
    after = wait_for(screen, "漁師さん")
    assert "出典" in after
    wait_for(screen, "もう一歩")  # the coach's follow-up arrived
    with sqlite3.connect(home / "sessions.sqlite3") as db:
        owner = [row[0] for row in db.execute("SELECT text FROM turns WHERE role = 'owner'")]
    assert owner == [ANSWER]  # stored, as typed
    tmux("send-keys", "-t", "{target}", "C-q")


def test_quitting_while_the_model_loads_exits_and_keeps_the_session(home: Path) -> None:
    """Ctrl+Q at once: the app must not hang on the loading thread (it once waited forever)."""
    name = f"dxcoach-quit-{uuid.uuid4().hex[:8]}"
    env = {**cli_env(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color"}
    done = home / "exit-code"
    command = f"{sys.executable} -m dxcoach new --company 株式会社すぐ終了 --industry 建設業; echo $? > {done}"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "32", command], env=env, check=True, cwd=ROOT
    )
    try:
        wait_for(
            lambda: (
                subprocess.run(
                    ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True, env=env
                ).stdout
            ),
            "1/4",
            timeout=30,
        )
        subprocess.run(["tmux", "send-keys", "-t", name, "C-q"], env=env, check=True)
        deadline = time.monotonic() + 60  # a hang check, not a speed limit (bench/tui.py measures)
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.exists() and done.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, capture_output=True)
    with sqlite3.connect(home / "sessions.sqlite3") as db:
        assert db.execute("SELECT company FROM sessions").fetchall() == [("株式会社すぐ終了",)]
