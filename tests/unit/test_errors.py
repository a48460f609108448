"""Error lines are data too: both languages have every key the code raises, with the same placeholders."""

from __future__ import annotations

import ast
import os
import re
import string
from pathlib import Path

import pytest

from dxcoach import cli, texts
from dxcoach.errors import IndexBusyError, UserError, message
from dxcoach.retrieval.user_docs import Refused
from tests.conftest import ROOT

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# Calls that name an error key, and where the key is among their positional arguments.
KEY_AT = {"UserError": 0, "Refused": 0, "IndexBusyError": 0, "_Bad": 1, "message": 1, "_say": 0}
# The calls that pass a key on: the renderer itself, the CLI's before-settings helper, and a script's
# problem once its path and line are known.
DYNAMIC = {("dxcoach/errors.py", "self.key"), ("dxcoach/cli.py", "key"), ("dxcoach/coaching/script.py", "exc.key")}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def table(lang: str) -> dict[str, str]:
    data = texts.load(lang, "errors")
    assert all(isinstance(v, str) for v in data.values()), lang
    return {str(k): str(v) for k, v in data.items()}


def calls() -> list[tuple[str, int, str, str | None, set[str] | None]]:
    """(file, line, callee, key or None when not a literal, keyword names or None when values are spread in)."""
    found = []
    for path in sorted((ROOT / "dxcoach").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in KEY_AT or len(node.args) <= KEY_AT[name]:
                continue
            arg = node.args[KEY_AT[name]]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                key: str | None = arg.value
            else:
                assert (rel, ast.unparse(arg)) in DYNAMIC, f"{rel}:{node.lineno}: the error key must be a literal"
                key = None
            names = {k.arg for k in node.keywords if k.arg is not None}
            spread = any(k.arg is None for k in node.keywords)
            found.append((rel, node.lineno, name, key, None if spread else names))
    return found


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    ja, en = table("ja"), table("en")
    assert set(ja) == set(en)
    for key in ja:
        assert fields(ja[key]) == fields(en[key]), key
        assert not JAPANESE.search(en[key]), key  # an English session gets English
        assert "\n" not in ja[key] and "\n" not in en[key], key  # one line on stderr


def test_every_key_the_code_raises_exists_with_exactly_its_placeholders() -> None:
    ja = table("ja")
    found = calls()
    assert len(found) > 80  # the scan sees the code (about a hundred sites)
    for rel, line, callee, key, names in found:
        if key is None:
            continue
        assert key in ja, f"{rel}:{line}: {key} is not in prompts/*/errors.yaml"
        if names is None:
            continue
        wanted = fields(ja[key]) - ({"path", "line"} if callee == "_Bad" else set())  # added by load_script
        assert names == wanted, f"{rel}:{line}: {key} is given {sorted(names)}, its text wants {sorted(wanted)}"


def test_no_key_is_left_unused() -> None:
    used = {key for _, _, _, key, _ in calls() if key}
    assert set(table("ja")) - used == set()


def test_an_error_is_japanese_as_a_string_and_renders_in_either_language(tmp_path: Path) -> None:
    exc = UserError("session_not_found", id="abc123")
    assert str(exc) == "セッションが見つかりません: abc123"
    assert exc.render("en") == "No such session: abc123"
    assert exc.render("xx") == str(exc)  # an unknown language falls back to Japanese
    refused = Refused("doc_empty", path=tmp_path / "a.md")
    assert isinstance(refused, UserError) and refused.render("en").endswith("a.md: The file is empty")
    busy = IndexBusyError("index_busy", path=tmp_path)
    assert "使用中" in str(busy) and "Another dxcoach" in busy.render("en")
    with pytest.raises(UserError, match="見つかりません"):
        raise exc


def test_a_missing_key_or_value_shows_the_text_rather_than_failing_the_user() -> None:
    assert message("en", "no_such_key_here") == "no_such_key_here"
    assert message("en", "session_not_found") == "No such session: {id}"


def test_the_cli_speaks_the_language_even_when_the_settings_fail(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for key in [k for k in os.environ if k.startswith("DXCOACH_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DXCOACH_LANG", "en")
    monkeypatch.setenv("DXCOACH_LLM_TIMEOUT", "0")
    assert cli.main(["--home", str(tmp_path), "sessions", "list"]) == 2
    assert capsys.readouterr().err == "dxcoach: DXCOACH_LLM_TIMEOUT must be a positive number of seconds\n"
    monkeypatch.setenv("DXCOACH_LANG", "fr")  # not a language we speak: Japanese, and the line says why
    assert cli.main(["--home", str(tmp_path), "sessions", "list"]) == 2
    assert "DXCOACH_LANG は ja か en" in capsys.readouterr().err


@pytest.mark.parametrize(("lang", "words"), [("ja", "-k は 1〜50"), ("en", "-k must be between 1 and 50")])
def test_argument_checks_speak_dxcoach_lang(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], lang: str, words: str
) -> None:
    monkeypatch.setenv("DXCOACH_LANG", lang)
    with pytest.raises(SystemExit) as out:
        cli.build_parser().parse_args(["search", "q", "-k", "99"])
    assert out.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err
    assert ("--help を参照" in err) == (lang == "ja")
