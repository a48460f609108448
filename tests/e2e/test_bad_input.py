"""Bad input from the command line: exit code 2, one line on stderr in the session's language, no traceback,
and nothing written. Most cases fail before the embedding model is needed, so they run in a bare home.

Each case runs in Japanese and in English (DXCOACH_LANG=en); its paths are ASCII, and the user's own text is
never echoed back, so the English line must hold no Japanese at all.

What the owner writes is theirs: emoji, markup such as ``[bold]`` and escapes such as ``\\x1b[31m`` are stored
exactly as written and come back unchanged in ``--json``; the plain-text views show a control character as
``\\x1b`` rather than letting the terminal obey it. A raw control character cannot be written in a YAML file
at all (the YAML spec forbids it): the script is refused with the line, and the message says how to write it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import cli_env

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

GOOD = """profile:
  company: Asahi Bakery
  industry: bakery
  employees: 12
answers:
  purpose: ["We bake bread for the families of our town."]
"""


def run(home: Path, *args: str, lang: str = "ja", **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dxcoach", *args],
        env=cli_env(home, DXCOACH_LANG=lang, **env),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def snapshot(home: Path) -> dict[str, str]:
    """Every file under the home and its content (SQLite's side files and the locks come and go)."""
    found: dict[str, str] = {}
    for root, _, files in os.walk(home):  # not into the models link
        for name in files:
            if name.endswith(("-wal", "-shm", ".lock")):
                continue
            path = Path(root) / name
            found[path.relative_to(home).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def refused(result: subprocess.CompletedProcess[str], words: str, lang: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr
    line = result.stderr.strip()
    assert line.startswith("dxcoach: ") and words in line, (words, line)
    if lang == "en":
        assert not JAPANESE.search(line), line
    return line


def script(tmp: Path, text: str | bytes, name: str = "s.yaml") -> str:
    path = tmp / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def pdf_without_text(path: Path) -> Path:
    """A real, readable PDF with a drawing and no text (as a scanned page would be)."""
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path))
    page.rect(100, 100, 200, 200, fill=1)
    page.save()
    return path


def encrypted_pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("pw")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


@dataclass(frozen=True)
class Case:
    """``make`` lays out what the case needs under tmp and returns the arguments; ``words`` are ja and en."""

    make: Callable[[Path], list[str]]
    ja: str
    en: str
    env: dict[str, str] = field(default_factory=dict)
    with_store: bool = False  # a store exists (with no session) before the command: it must stay as it was


def answers(*items: str) -> Callable[[Path], list[str]]:
    return lambda tmp: [
        "session",
        "--script",
        script(tmp, GOOD.replace('["We bake bread for the families of our town."]', f"[{', '.join(items)}]")),
    ]


def only(text: str | bytes) -> Callable[[Path], list[str]]:
    return lambda tmp: ["session", "--script", script(tmp, text)]


def corpus_add(name: str, data: bytes) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        (tmp / name).write_bytes(data)
        return ["corpus", "add", str(tmp / name)]

    return make


def folder_with_nothing_addable(tmp: Path) -> list[str]:
    folder = tmp / "client"
    folder.mkdir()
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "blank.md").write_text("  \n", encoding="utf-8")
    encrypted_pdf(folder / "locked.pdf")
    return ["corpus", "add", str(folder)]


def under_a_file(tmp: Path) -> Path:
    (tmp / "plain-file").write_text("x", encoding="utf-8")
    return tmp / "plain-file" / "out"


CASES: dict[str, Case] = {
    # answers in a script: checked with their line before a session is created
    "answer-empty": Case(
        answers('""'), "s.yaml:6: answers.purpose に空の回答", "s.yaml:6: answers.purpose has an empty"
    ),
    "answer-white-space": Case(answers('"  \\t  "'), "s.yaml:6:", "has an empty answer"),
    "answer-ideographic-spaces": Case(answers('"\u3000\u3000"'), "空の回答", "empty answer"),
    "answer-over-4000": Case(answers('"' + "a" * 4001 + '"'), "4000文字まで", "at most 4000 characters"),
    "answer-1mb-paste": Case(answers('"' + "paste " * 175_000 + '"'), "s.yaml:6:", "too long"),
    "answer-not-text": Case(answers("{a: 1}"), "文字列で", "must be text"),
    "raw-nul": Case(answers('"bread\x00"'), "s.yaml:6: YAMLにそのまま書けない文字があります（U+0000）", "(U+0000)"),
    "raw-ansi-escape": Case(answers('"\x1b[31mred"'), "U+001B", "U+001B"),
    # the profile and the shape of the script
    "missing-company": Case(
        only(GOOD.replace("  company: Asahi Bakery\n", "")), "profile.company は必須", "profile.company is required"
    ),
    "missing-industry": Case(
        only(GOOD.replace("  industry: bakery\n", "")), "profile.industry は必須", "profile.industry is required"
    ),
    "employees-not-a-number": Case(
        only(GOOD.replace("employees: 12", "employees: twelve")),
        "s.yaml:4: employees は0以上",
        "s.yaml:4: employees must be a whole number",
    ),
    "unknown-top-level-key": Case(
        only(GOOD + "notes: hello\n"), "s.yaml:7: 不明なキーです: notes", "s.yaml:7: Unknown key: notes"
    ),
    "answers-not-a-list": Case(
        only(GOOD.replace('["We bake bread for the families of our town."]', "just words")),
        "1つ以上の回答のリスト",
        "a list of one or more",
    ),
    "profile-not-a-mapping": Case(
        only('profile: [a, b]\nanswers:\n  purpose: ["x"]\n'),
        "s.yaml:1: profile はキーと値の組",
        "s.yaml:1: profile must be written as keys",
    ),
    "only-a-comment": Case(only("# nothing yet\n"), "ファイルが空です", "The file is empty"),
    "not-utf8": Case(
        only(GOOD.replace("Asahi Bakery", "朝日ベーカリー").encode("cp932")),
        "UTF-8 のテキストではありません",
        "Not UTF-8 text",
    ),
    "a-directory": Case(lambda tmp: ["session", "--script", str(tmp)], "フォルダではなくファイル", "not a folder"),
    "a-missing-file": Case(
        lambda tmp: ["session", "--script", str(tmp / "nope.yaml")], "ファイルが見つかりません", "No such file"
    ),
    # where the results would go: refused before any work
    "json-to-a-folder": Case(
        lambda tmp: ["session", "--script", script(tmp, GOOD), "--json", str(tmp)],
        "出力先がフォルダです",
        "The output is a folder",
    ),
    "report-under-a-file": Case(
        lambda tmp: ["session", "--script", script(tmp, GOOD), "--report", str(under_a_file(tmp))],
        "出力先に書き込めません",
        "Cannot write the output",
    ),
    "home-under-a-file-list": Case(
        lambda tmp: ["--home", str(under_a_file(tmp)), "sessions", "list"],
        "ホームディレクトリに書き込めません",
        "Cannot write to the home directory",
    ),
    "home-under-a-file-session": Case(
        lambda tmp: ["--home", str(under_a_file(tmp)), "session", "--script", script(tmp, GOOD)],
        "ホームディレクトリに書き込めません",
        "Cannot write to the home directory",
    ),
    # stored sessions
    "show-unknown-id": Case(
        lambda tmp: ["sessions", "show", "0123456789ab"],
        "セッションが見つかりません: 0123456789ab",
        "No such session: 0123456789ab",
        with_store=True,
    ),
    "export-unknown-id": Case(
        lambda tmp: ["sessions", "export", "nope", "--format", "json"],
        "見つかりません",
        "No such session",
        with_store=True,
    ),
    "delete-unknown-id": Case(
        lambda tmp: ["sessions", "delete", "nope", "--yes"], "見つかりません", "No such session", with_store=True
    ),
    "compare-unknown-ids": Case(
        lambda tmp: ["sessions", "compare", "nope1", "nope2"],
        "見つかりません: nope1",
        "No such session: nope1",
        with_store=True,
    ),
    "import-not-json": Case(
        lambda tmp: ["sessions", "import", script(tmp, "profile: not json\n", "s.json")],
        "セッションファイルを読めません",
        "Cannot read the session file",
        with_store=True,
    ),
    "import-json-not-a-session": Case(
        lambda tmp: ["sessions", "import", script(tmp, '{"turns": []}', "s.json")],
        "dxcoach のセッションファイルではありません",
        "Not a dxcoach session file",
        with_store=True,
    ),
    "import-binary": Case(
        lambda tmp: ["sessions", "import", script(tmp, bytes(range(256)) * 8, "s.json")],
        "読めません",
        "Cannot read the session file",
        with_store=True,
    ),
    # documents (corpus_cli tests the Japanese lines of binary, empty, huge, encrypted and broken files)
    "doc-pdf-without-text": Case(
        lambda tmp: ["corpus", "add", str(pdf_without_text(tmp / "scan.pdf"))],
        "scan.pdf: 文字が取り出せません",
        "scan.pdf: No text could be extracted",
    ),
    "doc-encrypted-pdf": Case(
        lambda tmp: ["corpus", "add", str(encrypted_pdf(tmp / "locked.pdf"))],
        "暗号化",
        "Encrypted PDFs cannot be added",
    ),
    "doc-text-named-pdf": Case(
        corpus_add("notes.pdf", b"just some notes, not a PDF at all"), "PDFではありません", "Not a PDF"
    ),
    "doc-huge": Case(corpus_add("big.txt", b"a" * (10 * 1024 * 1024 + 1)), "大きすぎ", "too large (at most 10 MB)"),
    "doc-binary": Case(corpus_add("data.txt", bytes(range(256)) * 16), "バイナリ", "binary"),
    "doc-wrong-type": Case(corpus_add("plan.docx", b"PK\x03\x04"), ".md .txt .pdf", "Only .md, .txt and .pdf"),
    "folder-with-nothing-addable": Case(
        folder_with_nothing_addable, "追加できる文書がありませんでした（2 件", "No document could be added (2"
    ),
    "empty-folder": Case(
        lambda tmp: ["corpus", "add", str(tmp)], "追加できる文書がありませんでした", "No document could be added"
    ),
    "remove-unknown-doc": Case(
        lambda tmp: ["corpus", "remove", "user-nothing"], "user-nothing", "None of your documents is user-nothing"
    ),
    # arguments and settings
    "k-not-a-number": Case(lambda tmp: ["search", "bread", "-k", "many"], "-k は整数で", "-k must be a whole number"),
    "since-not-a-date": Case(lambda tmp: ["sessions", "list", "--since", "2024-13-01"], "YYYY-MM-DD", "YYYY-MM-DD"),
    "unknown-kind": Case(lambda tmp: ["search", "bread", "--kind", "novel"], "--kind は", "--kind must be one of"),
    "timeout-not-a-number": Case(
        lambda tmp: ["sessions", "list"],
        "設定値が正しくありません",
        "A setting has a wrong value",
        env={"DXCOACH_LLM_TIMEOUT": "soon"},
    ),
}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, name: str, lang: str) -> None:
    case = CASES[name]
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    if case.with_store:
        assert run(home, "sessions", "list").returncode == 0
    args = case.make(work)
    before = snapshot(home)
    refused(run(home, *args, lang=lang, **case.env), case.ja if lang == "ja" else case.en, lang)
    assert snapshot(home) == before
    assert not [p.name for p in work.rglob("*.tmp")]  # no output file was begun


def test_a_home_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    """chmod 0500 on the home; as root (CI) permissions do not bind, and the cases with a home under a
    plain file above stand in for it."""
    if os.geteuid() == 0:
        pytest.skip("root writes through chmod 0500; see the home-under-a-file cases")
    home = tmp_path / "home"
    assert run(home, "sessions", "list").returncode == 0
    before = snapshot(home)
    home.chmod(0o500)
    try:
        for lang in ("ja", "en"):
            result = run(home, "session", "--script", script(tmp_path, GOOD), lang=lang)
            refused(result, "", lang)
    finally:
        home.chmod(0o700)
    assert snapshot(home) == before


def test_the_owners_words_are_stored_exactly_and_never_obeyed_by_the_terminal(home: Path, tmp_path: Path) -> None:
    company = "[bold]Asahi[/bold] \x1b[31mBakery\x1b[0m 🍞"
    purpose = "We bake bread 🍞👨‍👩‍👧 for families [bold]every[/bold] day. \x1b[31mRed\x1b[0m [link=http://x]y[/link]"
    vision = "In 2030\twe run three shops; a NUL\x00 and a bell\x07 came with the paste."

    def quoted(value: str) -> str:  # a JSON string is a YAML double-quoted one: control characters as \\u escapes
        return json.dumps(value, ensure_ascii=False)

    text = (
        f"profile:\n  company: {quoted(company)}\n  industry: bakery\n"
        f"answers:\n  purpose: [{quoted(purpose)}]\n  vision: [{quoted(vision)}]\n"
    )
    result = run(home, "session", "--script", script(tmp_path, text))
    assert result.returncode == 0, result.stderr
    session_id = result.stdout.strip().splitlines()[-1]
    shown = run(home, "sessions", "show", session_id, "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["profile"]["company"] == company
    owner = [t["text"] for s in data["stages"] for t in s["turns"] if t["role"] == "owner"]
    assert owner == [purpose, vision]
    for view in (run(home, "sessions", "show", session_id), run(home, "sessions", "list")):
        assert view.returncode == 0 and "Traceback" not in view.stderr, view.stderr
        assert "\x1b" not in view.stdout and "\x00" not in view.stdout  # shown, not obeyed
        assert "[bold]Asahi[/bold] \\x1b[31mBakery\\x1b[0m 🍞" in view.stdout
    plain = run(home, "sessions", "show", session_id).stdout
    assert "[bold]every[/bold] day. \\x1b[31mRed" in plain and "a NUL\\x00 and a bell\\x07" in plain
    assert "In 2030\twe run" in plain  # a tab is white space, not an escape


def test_a_document_with_markup_named_twice_is_added_once_and_found_as_written(home: Path, tmp_path: Path) -> None:
    doc = tmp_path / "kiln.md"
    doc.write_text(
        "# [bold]Kiln notes[/bold]\n\nEvery morning the kiln temperature is written by hand in a "
        "[red]paper notebook[/red], and nobody but the owner can read it.\n",
        encoding="utf-8",
    )
    added = run(home, "corpus", "add", str(doc), str(doc))
    assert added.returncode == 0, added.stderr
    assert added.stdout.count("追加しました") == 1 and "登録済み" in added.stdout
    assert len(list((home / "documents").glob("*.md"))) == 1
    listed = run(home, "corpus", "list", lang="en")
    assert listed.returncode == 0 and "[bold]Kiln notes[/bold]" in listed.stdout
    found = run(home, "search", "kiln temperature paper notebook", "--json", "-k", "3")
    assert found.returncode == 0, found.stderr
    hit = json.loads(found.stdout)["results"][0]
    assert hit["kind"] == "user" and "[red]paper notebook[/red]" in hit["text"]
