"""Checks on the bundled corpus (corpus/*.md) against the seed slide deck it was curated from.

Only stdlib + pyyaml. The seed lives outside the repo; the checks that need it take the ``seed_text``
fixture (tests/conftest.py), which skips them, saying why, where it is absent.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
DEV_EVAL = ROOT / "tests" / "data" / "dev_eval.jsonl"

KINDS = {"guidance", "case", "statistic", "support", "talent", "region"}
STAGES = {"purpose", "vision", "gap", "data"}
REQUIRED = ("id", "title", "kind", "source", "stages")
CASE_REQUIRED = ("company", "industry", "region", "size")
SOURCE_PREFIX = "000_aecd5af063c57c30.txt — "
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_BODY = 700  # the index splits passages over 800 chars; every document stays below this
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
WS_RE = re.compile(r"\s+")

# At least one verbatim seed phrase per section of the deck; each must occur in some document body.
ANCHORS = [
    # 1. 「DX」: 現状と課題
    "両輪による推進が重要",
    "競争上の優位性を確立すること",
    "デジタルガバナンス・コード2.0",
    "日本54%、米国68%",
    "約3割が「取組んでいない」",
    "「失われた30年」の大きな原因",
    "IT予算の8割は「守り」の投資",
    # 2. 企業のDX推進
    "15.5%",
    "24.2%",
    "35.3%",
    "12.4%",
    "5.4%",
    "7.2%",
    "調査期間:2022年9月15日〜9月30日",
    "回答率43.9%",
    "対応できる人材がいない",
    "約半数の企業で",
    "累計5,722件",
    "累計747者認定",
    "累計394社選定",
    "累計36者選定",
    "攻めのIT経営銘柄",
    "AIを使って何かできないか",
    "号令はかかるが",
    "経営者が考えるべきこと",
    "全社戦略に基づく取組",
    "中堅・中小企業等向けデジタルガバナンス・コード実践の手引き2.0(要約版)",
    "株式会社ヒサノ",
    "ITコーディネータ",
    "客単価3.5倍",
    "利益50倍",
    "1台のPCに手作業で",
    "RFID(ICタグ)",
    "溶接しなくても部品の強度",
    "従業員:427名",
    "乗冨鉄工所",
    # 3. デジタル人材育成
    "DXの担い手不足",
    "8割超",
    "デジタル田園都市国家構想",
    "デジタル人材育成推進協議会",
    "90機関",
    "半導体技術科",
    "デジタル人材育成の論点",
    "デジタルスキル標準",
    "DXリテラシー標準",
    "5つの人材類型",
    "マイナビDX",
    "(1層)オンライン教育サイト",
    "地域企業協働プログラム",
    "年400名規模",
    "全国18団体",
    "5人チーム",
    "SellBOT",
    "REVOX",
    # 4. 地域発の価値共創
    "31地域選定",
    "78カ所",
    "九州経産局管内(15)",
    "札幌AI道場",
    "サッポロバレー",
    "三豊市",
    "ChatGPTを活用",
    # 参考 支援施策
    "DX-Ready",
    "税額控除(5%又は3%)",
    "特別償却30%",
    "日本政策金融公庫による融資",
    "信用保証",
    "IT導入補助金2023",
    "セキュリティ対策推進枠",
    "商流一括インボイス対応類型",
    "複数社連携IT導入類型",
    "3次元CADの活用",
    "ものづくり補助金",
    "回復型賃上げ・雇用拡大枠",
    "デジタル枠",
    "グリーン枠",
    "グローバル市場開拓枠",
]


def squash(text: str) -> str:
    return WS_RE.sub("", unicodedata.normalize("NFKC", text))


def split_front_matter(text: str) -> tuple[dict, str]:
    lines = text.split("\n")
    assert lines[0] == "---", "file must start with a '---' line"
    end = lines.index("---", 1)
    meta = yaml.safe_load("\n".join(lines[1:end]))
    assert isinstance(meta, dict), "front matter must be a YAML mapping"
    return meta, "\n".join(lines[end + 1 :]).strip()


def load_docs() -> list[tuple[Path, dict, str]]:
    return [(p, *split_front_matter(p.read_text(encoding="utf-8"))) for p in sorted(CORPUS.glob("*.md"))]


DOCS = load_docs()


def seed_numbers(seed_text: str) -> set[str]:
    # U+201A (‚) is how the extraction renders one thousands separator ("1‚000"); treat it as a comma.
    seed = unicodedata.normalize("NFKC", seed_text).replace("\u201a", ",")
    return set(NUMBER_RE.findall(seed)) | set(NUMBER_RE.findall(WS_RE.sub("", seed)))


def test_corpus_present() -> None:
    assert 35 <= len(DOCS) <= 60


@pytest.mark.parametrize("path,meta,body", DOCS, ids=[p.stem for p, _, _ in DOCS])
def test_front_matter(path: Path, meta: dict, body: str) -> None:
    for key in REQUIRED:
        assert meta.get(key), f"{path.name}: missing {key}"
    assert meta["id"] == path.stem
    assert ID_RE.match(meta["id"]), meta["id"]
    assert meta["id"].split("-")[0] in {"guidance", "case", "stat", "support", "talent", "region"}
    assert meta["kind"] in KINDS
    assert isinstance(meta["stages"], list) and meta["stages"]
    assert set(meta["stages"]) <= STAGES and len(set(meta["stages"])) == len(meta["stages"])
    assert meta["source"].startswith(SOURCE_PREFIX)
    if meta["kind"] == "case":
        for key in CASE_REQUIRED:
            assert isinstance(meta.get(key), str) and meta[key].strip(), f"{path.name}: missing {key}"
    for key in ("note", "summary_en", "url"):
        if key in meta:
            assert isinstance(meta[key], str) and meta[key].strip()
    if "tags" in meta:
        assert isinstance(meta["tags"], list) and all(isinstance(t, str) and t for t in meta["tags"])
        flat = squash(body)
        for tag in meta["tags"]:
            assert squash(tag) in flat, f"{path.name}: tag {tag!r} not in body"


def test_ids_unique() -> None:
    ids = Counter(meta["id"] for _, meta, _ in DOCS)
    assert not [i for i, n in ids.items() if n > 1]


def test_every_kind_used() -> None:
    assert {meta["kind"] for _, meta, _ in DOCS} == KINDS


@pytest.mark.parametrize("path,meta,body", DOCS, ids=[p.stem for p, _, _ in DOCS])
def test_body(path: Path, meta: dict, body: str) -> None:
    assert body
    assert len(body) <= MAX_BODY, f"{path.name}: body has {len(body)} chars"
    assert body.startswith("# " + meta["title"])
    for text in (body, meta["title"]):
        assert unicodedata.normalize("NFKC", text) == text
        # Kangxi radicals (U+2F00-U+2FDF) and CJK radicals supplement (U+2E80-U+2EFF) from the PDF extraction
        bad = sorted({c for c in text if 0x2E80 <= ord(c) <= 0x2FDF})
        assert not bad, f"{path.name}: radical characters {bad}"


@pytest.mark.parametrize("path,meta,body", DOCS, ids=[p.stem for p, _, _ in DOCS])
def test_numbers_come_from_seed(path: Path, meta: dict, body: str, seed_text: str) -> None:
    known = seed_numbers(seed_text)
    missing = sorted(set(NUMBER_RE.findall(squash(body))) - known)
    assert not missing, f"{path.name}: numbers not in seed: {missing}"


@pytest.mark.parametrize("anchor", ANCHORS)
def test_anchor_in_some_body(anchor: str, seed_text: str) -> None:
    assert squash(anchor) in squash(seed_text.replace("\u2ed1", "長").replace("\u2ea0", "民")), (
        f"anchor not verbatim in seed: {anchor}"
    )
    assert any(squash(anchor) in squash(body) for _, _, body in DOCS), anchor


def test_dev_eval_gold_strings_in_corpus() -> None:
    if not DEV_EVAL.is_file():
        pytest.skip("tests/data/dev_eval.jsonl not present")
    bodies = [squash(body) for _, _, body in DOCS]
    missing = []
    for line in DEV_EVAL.read_text(encoding="utf-8").splitlines():
        if line.strip():
            for gold in json.loads(line)["gold"]:
                if not any(squash(gold) in b for b in bodies):
                    missing.append(gold)
    assert not missing, missing
