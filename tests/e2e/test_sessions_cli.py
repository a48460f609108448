"""Sessions from the command line: scripts, bad scripts, list/show/export/delete, and a kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.e2e.conftest import RunCli, cli_env

SCRIPT = """profile:
  company: 株式会社サンプル運送
  industry: 運輸業
  employees: 45
  region: 熊本県
answers:
  purpose: ["荷主さんの荷物を時間どおりに届けることです。"]
  gap: ["配車は紙のボードで、私しか分かりません。"]
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_scripts_exit_2_with_the_line_and_store_nothing(home: Path, run_cli: RunCli, tmp_path: Path) -> None:
    cases = {
        "unknown-stage.yaml": (SCRIPT.replace("  gap:", "  gapp:"), ":8:"),
        "empty-list.yaml": (SCRIPT.replace('["荷主さんの荷物を時間どおりに届けることです。"]', "[]"), ":7:"),
        "malformed.yaml": (SCRIPT.replace("answers:", "answers: [oops"), ":"),
    }
    for name, (text, line) in cases.items():
        result = run_cli(home, "session", "--script", str(write(tmp_path / name, text)))
        assert result.returncode == 2, (name, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and f"{name}{line}" in lines[0], (name, result.stderr)
    listed = run_cli(home, "sessions", "list")
    assert "セッションはまだありません" in listed.stdout


def test_unwritable_report_path_is_refused_before_any_work(home: Path, run_cli: RunCli, tmp_path: Path) -> None:
    script = write(tmp_path / "s.yaml", SCRIPT)
    result = run_cli(home, "session", "--script", str(script), "--report", str(tmp_path / "no" / "dir" / "r.md"))
    assert result.returncode == 2 and "書き込めません" in result.stderr
    assert not (home / "sessions.sqlite3").exists()


def test_session_then_list_show_export_delete(home: Path, run_cli: RunCli, tmp_path: Path) -> None:
    script = write(tmp_path / "s.yaml", SCRIPT)
    run = run_cli(home, "session", "--script", str(script), "--json", str(tmp_path / "t.json"))
    assert run.returncode == 0, run.stderr
    session_id = run.stdout.strip()
    data = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["session_id"] == session_id and data["language"] == "ja"
    assert data["report_markdown"].startswith("# DX準備レポート — 株式会社サンプル運送")
    gap_cites = [c for t in data["stages"][2]["turns"] if t["role"] == "coach" for c in t["citations"]]
    assert any("ヒサノ" in c["title"] for c in gap_cites)

    listed = run_cli(home, "sessions", "list")
    assert "株式会社サンプル運送" in listed.stdout and session_id in listed.stdout and "まとめ済み" in listed.stdout
    shown = run_cli(home, "sessions", "show", session_id[:6], "--json")
    assert json.loads(shown.stdout)["session_id"] == session_id
    out = tmp_path / "report.md"
    exported = run_cli(home, "sessions", "export", session_id, "--format", "md", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert out.read_text(encoding="utf-8") == data["report_markdown"]  # the same report, any time
    refused = run_cli(home, "sessions", "delete", session_id)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    deleted = run_cli(home, "sessions", "delete", session_id, "--yes")
    assert deleted.returncode == 0
    stored = b"".join(p.read_bytes() for p in home.glob("sessions.sqlite3*"))
    assert "荷主さんの荷物を時間どおりに届けることです".encode() not in stored  # gone from the disk too
    # Everything the commands wrote under the home is the user's alone.
    for path in home.rglob("*"):
        if not path.is_symlink() and "models" not in path.relative_to(home).parts:
            assert path.stat().st_mode & 0o077 == 0, path
    missing = run_cli(home, "sessions", "show", session_id)
    assert missing.returncode == 2 and "見つかりません" in missing.stderr


KILL_CHILD = r"""
import sys, time
from dxcoach.coaching.factory import open_coach
from dxcoach.config import load_settings
coach = open_coach(load_settings())
session_id = coach.new_session({"company": "有限会社みなと食堂", "industry": "飲食業"})
def stall(stage, answer):
    print(session_id, flush=True)  # the owner's turn is stored by now: the parent kills us here
    time.sleep(600)
coach.assessor.assess = stall
coach.answer(session_id, "港で働く人に、朝の魚を手頃な値段で食べてもらうことです。")
"""


def test_sigkill_after_the_answer_is_saved_loses_nothing(home: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", KILL_CHILD],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    session_id = child.stdout.readline().strip()
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL and session_id

    resume = (
        "import json\n"
        "from dxcoach.coaching.factory import open_coach\n"
        "from dxcoach.config import load_settings\n"
        "coach = open_coach(load_settings())\n"
        f"pending = coach.replay('{session_id}').pending\n"
        f"replies = coach.respond('{session_id}')\n"
        f"turns = coach.store.turns('{session_id}')\n"
        "print(json.dumps({'pending': pending, 'replies': [r.kind for r in replies],\n"
        "                  'owner': [t.text for t in turns if t.role == 'owner'],\n"
        "                  'covered': [t.data.get('covered') for t in turns if t.role == 'owner']},\n"
        "                 ensure_ascii=False))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", resume], env=cli_env(home), capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["owner"] == ["港で働く人に、朝の魚を手頃な値段で食べてもらうことです。"]
    assert state["pending"] is True  # the coach had not answered yet
    assert state["replies"] == ["probe"]  # resuming answers it at the exact turn
    assert isinstance(state["covered"][0], list)  # assessed on resume (it was not before the kill)
