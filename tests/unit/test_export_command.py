"""``dxcoach sessions export``: md, html and json; notes only when asked; bad input writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dxcoach.cli import main
from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.transcript import transcript
from dxcoach.report.markdown import render_markdown
from dxcoach.storage.portable import export_session
from tests.report_sessions import open_store, run_session

NOTE = "社長は設備投資に慎重（社内メモ）"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    store = open_store(home)
    earlier = run_session(store, {"purpose": ["宿をやっています。"]}, {"宿をやっています。": {"customers"}})
    later = run_session(store)
    store.set_note(later, "purpose", NOTE)
    (home / "ids.json").write_text(json.dumps([earlier, later]), encoding="utf-8")
    return home


def ids(home: Path) -> list[str]:
    found: list[str] = json.loads((home / "ids.json").read_text(encoding="utf-8"))
    return found


def export(home: Path, *args: str) -> int:
    return main(["sessions", "export", *args, "--home", str(home)])


def test_markdown_to_stdout_is_the_report(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    later = ids(home)[1]
    assert export(home, later) == 0
    store = open_store(home)
    assert capsys.readouterr().out == render_markdown(load_rubric("ja"), transcript(store, later))


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_notes_and_comparison_only_when_asked(
    home: Path, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    earlier, later = ids(home)
    plain, noted = tmp_path / f"plain.{fmt}", tmp_path / f"noted.{fmt}"
    assert export(home, later, "--format", fmt, "-o", str(plain)) == 0
    assert export(home, later, "--format", fmt, "--with-notes", "--compare", earlier, "-o", str(noted)) == 0
    assert capsys.readouterr().out.split() == [str(plain), str(noted)]
    plain_text, noted_text = plain.read_text(encoding="utf-8"), noted.read_text(encoding="utf-8")
    assert NOTE not in plain_text and NOTE in noted_text
    assert "宿をやっています。" not in plain_text and "宿をやっています。" in noted_text
    if fmt == "html":
        assert plain_text.startswith("<!DOCTYPE html>") and "<script" not in noted_text


def test_json_is_the_portable_session(home: Path, tmp_path: Path) -> None:
    later = ids(home)[1]
    out = tmp_path / "s.json"
    assert export(home, later, "--format", "json", "-o", str(out)) == 0
    text = out.read_text(encoding="utf-8")
    assert text.endswith("}\n") and json.loads(text) == json.loads(json.dumps(export_session(open_store(home), later)))


@pytest.mark.parametrize(
    "args",
    [
        ["nosuchid", "--format", "html"],
        ["{later}", "--format", "html", "--compare", "nosuchid"],
        ["nosuchid", "--format", "json"],
    ],
)
def test_unknown_ids_exit_2_and_write_nothing(
    home: Path, tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.out"
    args = [a.format(later=ids(home)[1]) for a in args]
    assert export(home, *args, "-o", str(out)) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "nosuchid" in err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_exits_2(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export(home, ids(home)[1], "--format", "html", "-o", str(tmp_path / "no" / "dir" / "r.html")) == 2
    assert "書き込めません" in capsys.readouterr().err and list(tmp_path.iterdir()) == []
