"""The coordinator's commands in subprocesses: list filters, compare, export --format json, import.
Sessions are made in-process with the unit fakes (these commands never load the model)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dxcoach.coaching.transcript import run_script
from dxcoach.storage.db import Store
from tests.conftest import ROOT
from tests.e2e.conftest import cli_env
from tests.unit.test_clients import LAST_YEAR, PROFILE, THIS_YEAR, make_coach


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dxcoach", *args],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.fixture
def clients(tmp_path: Path) -> tuple[Path, str, str, str]:
    """A home with two sessions of みなと食堂 and one of a construction company."""
    home = tmp_path / "home"
    coach = make_coach(home)
    earlier, later = run_script(coach, LAST_YEAR), run_script(coach, THIS_YEAR)
    other = coach.new_session({"company": "豊後建設株式会社", "industry": "建設業"})
    coach.store.close()
    return home, earlier, later, other


def test_list_filters_by_company_industry_and_date_and_shows_the_stage(clients: tuple[Path, str, str, str]) -> None:
    home, earlier, later, other = clients
    everything = cli(home, "sessions", "list")
    assert everything.returncode == 0 and all(i in everything.stdout for i in (earlier, later, other))
    assert "1/4 " in everything.stdout and "まとめ済み" in everything.stdout  # the stage reached
    by_company = cli(home, "sessions", "list", "--company", "みなと")
    assert earlier in by_company.stdout and later in by_company.stdout and other not in by_company.stdout
    by_industry = cli(home, "sessions", "list", "--industry", "建設")
    assert other in by_industry.stdout and earlier not in by_industry.stdout
    future = cli(home, "sessions", "list", "--since", "2999-01-01")
    assert future.returncode == 0 and "条件に合うセッションはありません" in future.stdout
    today = cli(home, "sessions", "list", "--until", "2999-12-31", "--since", "2000-01-01")
    assert other in today.stdout
    bad = cli(home, "sessions", "list", "--since", "昨日")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr


def test_compare_prints_gained_and_lost_per_stage(clients: tuple[Path, str, str, str]) -> None:
    home, earlier, later, other = clients
    result = cli(home, "sessions", "compare", earlier, later)
    assert result.returncode == 0, result.stderr
    purpose = result.stdout.split("2/4")[0]
    assert "新たに伺えたこと: 提供する価値" in purpose and "今回は伺えなかったこと: （なし）" in purpose
    assert "今回は伺えなかったこと: いちばん大きな差" in result.stdout.split("3/4")[1].split("4/4")[0]
    as_json = json.loads(cli(home, "sessions", "compare", earlier, later, "--json").stdout)
    assert as_json["stages"][0]["gained"] == ["value"]
    mixed = cli(home, "sessions", "compare", earlier, other)
    assert mixed.returncode == 2 and "同じ会社" in mixed.stderr


def test_export_import_round_trip_into_a_fresh_home(clients: tuple[Path, str, str, str], tmp_path: Path) -> None:
    home, earlier, _, _ = clients
    Store(home / "sessions.sqlite3").set_note(earlier, "gap", "メモ")
    out = tmp_path / "travel.json"
    exported = cli(home, "sessions", "export", earlier, "--format", "json", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    fresh = tmp_path / "colleague"
    first = cli(fresh, "sessions", "import", str(out))
    assert first.returncode == 0 and "取り込みました" in first.stdout, first.stderr
    again = cli(fresh, "sessions", "import", str(out))
    assert again.returncode == 0 and "すでにあります" in again.stdout
    shown = [json.loads(cli(h, "sessions", "show", earlier, "--json").stdout) for h in (home, fresh)]
    assert shown[0] == shown[1] and shown[1]["notes"] == {"gap": "メモ"}
    assert cli(fresh, "sessions", "list").stdout.count(earlier) == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    data["profile"] = PROFILE
    data["session"]["company"] = "書き換え"
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tampered = cli(tmp_path / "third", "sessions", "import", str(out))
    assert tampered.returncode == 2 and "チェックサム" in tampered.stderr and tampered.stderr.count("\n") == 1
    assert "Traceback" not in tampered.stderr
    missing = cli(fresh, "sessions", "import", str(tmp_path / "nothing.json"))
    assert missing.returncode == 2 and "見つかりません" in missing.stderr
