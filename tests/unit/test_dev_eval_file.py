"""Sanity checks for the retrieval dev evaluation set (tests/data/dev_eval.jsonl).

Stdlib only. Every gold string must be a verbatim substring of the seed deck after
NFKC normalisation and removal of all whitespace -- the same normalisation the
evaluator applies to passages and gold strings.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVAL_FILE = ROOT / "tests" / "data" / "dev_eval.jsonl"

KINDS = {"case", "guidance", "statistic", "support", "talent", "region"}
MIN_ENTRIES = 40
MIN_ENGLISH = 5

_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    """NFKC, then drop every whitespace character (seed line breaks are arbitrary)."""
    return _WS.sub("", unicodedata.normalize("NFKC", text))


def _entries() -> list[dict]:
    assert EVAL_FILE.is_file(), f"missing eval file: {EVAL_FILE}"
    entries = []
    with EVAL_FILE.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            assert line.strip(), f"blank line {lineno} in {EVAL_FILE.name}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - failure path
                raise AssertionError(f"line {lineno} is not valid JSON: {exc}") from exc
            assert isinstance(obj, dict), f"line {lineno} is not a JSON object"
            entries.append(obj)
    return entries


def _is_english(question: str) -> bool:
    return question.isascii() and re.search(r"[A-Za-z]", question) is not None


def test_every_line_parses_with_required_fields() -> None:
    for e in _entries():
        assert isinstance(e.get("id"), str) and e["id"], e
        assert isinstance(e.get("q"), str) and e["q"].strip(), e
        gold = e.get("gold")
        assert isinstance(gold, list) and 1 <= len(gold) <= 3, e
        assert all(isinstance(g, str) and g for g in gold), e


def test_ids_are_unique() -> None:
    ids = [e["id"] for e in _entries()]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    assert not dupes, f"duplicate ids: {dupes}"


def test_enough_entries() -> None:
    assert len(_entries()) >= MIN_ENTRIES


def test_kinds_are_known() -> None:
    bad = [(e["id"], e.get("kind")) for e in _entries() if e.get("kind") not in KINDS]
    assert not bad, f"unknown kinds: {bad}"


def test_gold_strings_occur_in_seed(seed_text: str) -> None:
    seed = _norm(seed_text)
    missing = []
    for e in _entries():
        for g in e["gold"]:
            ng = _norm(g)
            if not 4 <= len(ng) <= 20 or ng not in seed:
                missing.append((e["id"], g))
    assert not missing, f"gold strings not found in seed (or wrong length): {missing}"


def test_required_question_present() -> None:
    by_id = {e["id"]: e for e in _entries()}
    assert "case-ebiya-forecast" in by_id
    assert "天気や売上のデータから来客数を予測" in by_id["case-ebiya-forecast"]["q"]


def test_enough_english_questions() -> None:
    english = [e["id"] for e in _entries() if _is_english(e["q"])]
    assert len(english) >= MIN_ENGLISH, english
