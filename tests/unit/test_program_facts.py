"""The ``facts`` front matter of the support passages (and of talent-platform): well formed, quoting
the passage body line for line, and with every number taken from the source deck.

Only stdlib + pyyaml, like test_corpus_files.py; the checks against the deck take the ``seed_text``
fixture (tests/conftest.py), which skips them where the deck is absent.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
WS_RE = re.compile(r"\s+")
FORMS = {"subsidy", "tax", "loan", "guarantee", "certification", "training", "overview", "examples"}
NEEDS = {
    "people", "money", "security", "equipment", "partners", "invoice", "time", "web_sales", "certification", "tax",
    "loan", "software", "overseas", "green", "wages", "group",
}  # fmt: skip
FACT_KEYS = {"program", "frame", "form", "covers", "amounts", "rate", "scale", "prerequisites", "needs", "layers",
             "benefits"}  # fmt: skip
AMOUNT_KEYS = {"label", "type", "min_employees", "max_employees", "amount_yen", "amount_min_yen", "row"}


def split(path: Path) -> tuple[dict[str, Any], str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    end = lines.index("---", 1)
    return yaml.safe_load("\n".join(lines[1:end])), "\n".join(lines[end + 1 :]).strip()


FILES = [*sorted(CORPUS.glob("support-*.md")), CORPUS / "talent-platform.md"]
DOCS = [(p, *split(p)) for p in FILES]


def squash(text: str) -> str:
    return WS_RE.sub("", unicodedata.normalize("NFKC", text))


def seed_numbers(seed_text: str) -> set[str]:
    seed = unicodedata.normalize("NFKC", seed_text).replace("\u201a", ",")
    return set(NUMBER_RE.findall(seed)) | set(NUMBER_RE.findall(WS_RE.sub("", seed)))


def rows_of(facts: dict[str, Any]) -> list[str]:
    rows = [a["row"] for a in facts.get("amounts") or []]
    rows += [r["row"] for r in facts.get("rate") or []]
    rows += [x["row"] for x in facts.get("layers") or []]
    rows += [x["row"] for x in facts.get("benefits") or []]
    if facts.get("prerequisites"):
        rows.append(facts["prerequisites"]["row"])
    return [str(r) for r in rows]


def yen_forms(yen: int) -> list[str]:
    """How the deck writes an amount: 750万, 1,250万, 3千万."""
    forms = []
    if yen % 10_000 == 0:
        man = yen // 10_000
        forms += [f"{man:,}万", f"{man}万", f"{man:,}〜", f"{man}〜"]
    if yen % 10_000_000 == 0:
        forms.append(f"{yen // 10_000_000}千万")
    return forms


def deck_numbers(value: Any) -> list[str]:
    """The numbers a facts value states, as the deck would print them."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int):
        return [f"{value // 10_000:,}" if value >= 10_000 and value % 10_000 == 0 else str(value)]
    if isinstance(value, str):
        return NUMBER_RE.findall(squash(value))
    if isinstance(value, dict):
        return [n for v in value.values() for n in deck_numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in deck_numbers(v)]
    raise AssertionError(f"unexpected value {value!r}")


def test_every_support_passage_has_facts() -> None:
    assert len(DOCS) >= 18
    for path, meta, _ in DOCS:
        assert isinstance(meta.get("facts"), dict), f"{path.name}: no facts"


@pytest.mark.parametrize("path,meta,body", DOCS, ids=[p.stem for p, _, _ in DOCS])
def test_facts_are_well_formed(path: Path, meta: dict[str, Any], body: str) -> None:
    facts = meta["facts"]
    assert set(facts) <= FACT_KEYS, set(facts) - FACT_KEYS
    assert facts["form"] in FORMS
    assert isinstance(facts["program"], str) and facts["program"]
    assert set(facts["needs"]) <= NEEDS
    for amount in facts.get("amounts") or []:
        assert set(amount) <= AMOUNT_KEYS and {"label", "amount_yen", "row"} <= set(amount), amount
        assert isinstance(amount["amount_yen"], int) and amount["amount_yen"] > 0
        low, high = amount.get("min_employees"), amount.get("max_employees")
        assert low is None or high is None or low <= high
        if amount.get("amount_min_yen") is not None:
            assert amount["amount_min_yen"] < amount["amount_yen"]
    scale = facts.get("scale")
    if scale:
        assert set(scale) <= {"min_yen", "max_yen"} and scale.get("max_yen")
        amounts = facts.get("amounts") or []
        assert scale["max_yen"] == max(a["amount_yen"] for a in amounts), "the scale is the amounts' range"
    ids = {p.stem for p in CORPUS.glob("*.md")}
    if facts.get("prerequisites"):
        assert set(facts["prerequisites"]["requires"]) <= ids


@pytest.mark.parametrize("path,meta,body", DOCS, ids=[p.stem for p, _, _ in DOCS])
def test_rows_are_lines_of_the_body(path: Path, meta: dict[str, Any], body: str) -> None:
    facts = meta["facts"]
    lines = body.split("\n")
    assert any(facts["covers"] in line for line in lines), f"{path.name}: covers {facts['covers']!r}"
    for row in rows_of(facts):
        assert any(row in line for line in lines), f"{path.name}: row {row!r} is not a line of the body"


@pytest.mark.parametrize("path,meta,body", DOCS, ids=[p.stem for p, _, _ in DOCS])
def test_each_row_states_its_amount_rate_and_head_count(path: Path, meta: dict[str, Any], body: str) -> None:
    facts = meta["facts"]
    for amount in facts.get("amounts") or []:
        row = squash(amount["row"])
        for key in ("amount_yen", "amount_min_yen"):
            if amount.get(key) is not None:
                assert any(f in row for f in yen_forms(amount[key])), f"{path.name}: {key} not in {row!r}"
        for key in ("min_employees", "max_employees"):
            if amount.get(key) is not None:
                assert f"{amount[key]}人" in row or f"{amount[key]}〜" in row, f"{path.name}: {key} not in {row!r}"
    for rate in facts.get("rate") or []:
        assert squash(rate["rate"]) in squash(rate["row"]), f"{path.name}: the rate is not tied to its row"


@pytest.mark.parametrize("path,meta,body", DOCS, ids=[p.stem for p, _, _ in DOCS])
def test_every_number_in_the_facts_is_in_the_deck(path: Path, meta: dict[str, Any], body: str, seed_text: str) -> None:
    known = seed_numbers(seed_text)
    missing = sorted(set(deck_numbers(meta["facts"])) - known)
    assert not missing, f"{path.name}: numbers not in the deck: {missing}"


def test_the_misprinted_row_is_quoted_as_printed_and_read_as_21_or_more() -> None:
    meta, _ = split(CORPUS / "support-monozukuri-normal.md")
    last = next(a for a in meta["facts"]["amounts"] if a["amount_yen"] == 12_500_000)
    assert last["row"] == "21人以下 1,250万円"
    assert last["min_employees"] == 21 and last.get("max_employees") is None


def test_it_hojo_rates_are_only_those_the_text_ties_to_a_frame() -> None:
    """FACTS.md: the deck's IT導入補助金 rate column lost its frames; only 「補助率は2/3」 of the
    multi-company type's other costs is written next to what it applies to."""
    for path, meta, _ in DOCS:
        if path.stem.startswith("support-it-hojo-"):
            for rate in meta["facts"].get("rate") or []:
                assert path.stem == "support-it-hojo-fukusu-renkei" and rate["rate"] == "2/3", path.name


def test_dx_certification_comes_before_the_tax_relief_and_the_loans() -> None:
    for stem in ("support-dx-tax", "support-dx-jfc-loan", "support-dx-credit-guarantee"):
        meta, _ = split(CORPUS / f"{stem}.md")
        assert meta["facts"]["prerequisites"]["requires"] == ["support-dx-certification"]
        assert "DX認定" in meta["facts"]["prerequisites"]["row"]


def test_the_loader_leaves_facts_out_of_passage_metadata() -> None:
    """chromadb metadata stays flat: the facts are read by coaching/programs.py, not indexed."""
    from dxcoach.retrieval.corpus import load_documents, passages_from

    docs = load_documents(CORPUS, "corpus", "guidance")
    for passage in passages_from(docs):
        assert "facts" not in passage.meta
        assert all(isinstance(v, (str, int, float, bool)) for v in passage.chroma_metadata().values())
