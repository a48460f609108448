"""Start-up (issue 12): a search runs on onnxruntime without importing torch, and the opening coach
is ready from the snapshot a full open leaves beside the index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dxcoach.coaching.coach import create_session
from dxcoach.coaching.factory import open_coach, open_opening_coach, open_store
from dxcoach.config import load_settings
from tests.conftest import ROOT
from tests.e2e.conftest import RunCli, cli_env

# Runs the CLI, then reports which heavy libraries the process imported.
PROBE = (
    "import json, runpy, sys\n"
    "sys.argv = ['dxcoach', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('dxcoach', run_name='__main__')\n"
    "finally:\n"
    "    heavy = ('torch', 'sentence_transformers', 'transformers', 'onnxruntime')\n"
    "    print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)\n"
)


def test_a_search_runs_on_onnxruntime_without_importing_torch(home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "search", "IT導入補助金の補助率", "--json"],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"][0]["kind"] == "support"
    assert json.loads(done.stderr.strip().splitlines()[-1]) == ["onnxruntime"]


def test_with_the_torch_engine_the_same_search_gives_the_same_answer(home: Path, run_cli: RunCli) -> None:
    query = "天気や売上のデータから来客数を予測"
    onnx = run_cli(home, "search", query, "--json")
    torch = run_cli(home, "search", query, "--json", env={"DXCOACH_EMBED_ENGINE": "torch"})
    assert onnx.returncode == torch.returncode == 0, torch.stderr
    assert [h["id"] for h in json.loads(onnx.stdout)["results"]] == [
        h["id"] for h in json.loads(torch.stdout)["results"]
    ]


def test_the_opening_coach_grounds_a_first_question_on_the_same_passages(home: Path, run_cli: RunCli) -> None:
    assert run_cli(home, "search", "DX").returncode == 0  # a full open leaves the snapshot
    settings = load_settings(home, env={})
    store = open_store(settings)
    quick = open_opening_coach(settings, store)
    assert quick is not None
    full = open_coach(settings, store)
    for industry in ("飲食業", "製造業", "運送業"):
        profile = {"company": "テスト", "industry": industry}
        first = [
            quick.respond(create_session(store, profile, "ja")),
            full.respond(create_session(store, profile, "ja")),
        ]
        ids = [[c["id"] for c in turns[-1].data["citations"]] for turns in first]
        assert ids[0] == ids[1] and ids[0], industry
        assert first[0][-1].text.split("\n")[0] == first[1][-1].text.split("\n")[0]  # the same question heading
