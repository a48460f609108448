"""What the owner does in a turn (dxcoach/coaching/intent.py): the labelled set, and the hard cases."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import yaml

from dxcoach.coaching.intent import KINDS, Intent, classify
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "listening" / "intents.yaml"


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return rows


def test_labelled_set_is_well_formed() -> None:
    rows = _rows()
    assert sum(r["lang"] == "ja" for r in rows) >= 120 and sum(r["lang"] == "en" for r in rows) >= 30
    for row in rows:
        assert row["kind"] in KINDS, row  # a bare yes/no in YAML would be a boolean
        assert row["split"] in ("dev", "heldout"), row
        if row["kind"] == "question":
            assert row["question"] and row["question"] in row["text"], row
    for kind in KINDS:
        for split in ("dev", "heldout"):
            assert any(r["kind"] == kind and r["split"] == split for r in rows), (kind, split)


def test_labelled_set_is_not_copied_from_the_other_labelled_texts() -> None:
    others = "\n".join(
        p.read_text(encoding="utf-8")
        for p in [
            ROOT / "prompts" / "ja" / "rubric.yaml",
            ROOT / "prompts" / "labelled_answers.yaml",
            *sorted((ROOT / "tests" / "personas").glob("*.yaml")),
        ]
        if p.is_file()
    )
    for row in _rows():
        for clause in re.split(r"[、。！？!?,.\n「」『』]", row["text"]):
            assert len(clause.strip()) < 10 or clause.strip() not in others, clause


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_accuracy_on_the_labelled_turns(split: str) -> None:
    rows = [r for r in _rows() if r["split"] == split]
    wrong = [
        (r["kind"], got.kind, r["text"])
        for r in rows
        if (got := classify(r["text"], checking=bool(r.get("checking", False)))).kind != r["kind"]
    ]
    accuracy = 1 - len(wrong) / len(rows)
    assert accuracy >= 0.9, wrong
    questions = [r for r in rows if r["kind"] == "question"]
    exact = sum(classify(r["text"], checking=bool(r.get("checking"))).question == r["question"] for r in questions)
    assert exact >= 0.9 * len(questions)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # Hedges, echoes, musings and reported speech are answers.
        ("10年後ですか…正直読めんですね。", "answer"),
        ("10年後ですか。正直、読めんですね。取引先次第です。", "answer"),
        ("強みですか？うーん、段取りの早さですかね。", "answer"),
        ("地域の台所であり続けること、ですかね。", "answer"),
        ("どうなんでしょうね。うちはずっとこのやり方でしたから。", "answer"),
        ("何のためにやっとるんか、ですよね。社員の暮らしのためです。", "answer"),
        ("母に「『どうする？』って聞かれても困る」と言われました。", "answer"),
        ("『どうする？』って言われて、何も返せませんでした。", "answer"),
        ("これで本当にいいのか？と悩むこともあります。", "answer"),
        ("若い人はみんなネットで買うじゃないですか。だから通販は必要です。", "answer"),
        ("分からないことだらけですが、まず在庫を数えるところから始めたいです。", "answer"),
        ("ITのことはよく分からんけど、伝票を三回書き写しとるのは無駄やと思う。", "answer"),
        ("Ten years? Hard to say, but I'd like my son to run it by then.", "answer"),
        ('A customer once asked "why no online shop?" and that stuck with me.', "answer"),
        ("We're here to keep the town fed, right? That's the whole point.", "answer"),
        # Questions to the coach, with or without a mark, full-width or not, after an answer.
        ("補助金は使えますか？", "question"),
        ("補助金は使えますか?", "question"),
        ("ＤＸ認定って何の得があるんですか", "question"),
        ("他の会社はどこで苦労してますか", "question"),
        ("どこで勉強すればいいですか", "question"),
        ("教えてください", "question"),
        ("例を挙げてもらえますか", "question"),
        ("どうしたらいいですかね。", "question"),
        ("What does the certification give us?", "question"),
        ("What does the certification give us", "question"),
        ("Can you give me an example", "question"),
        ("分かりません。逆に、他の会社はどう答えてますか？", "question"),
        # Already said, don't know, corrections.
        ("それはさっき言いました", "already_said"),
        ("先ほどお話ししたとおりです。", "already_said"),
        ("前に言ったと思いますけど", "already_said"),
        ("I already told you.", "already_said"),
        ("分かりません", "dont_know"),
        ("ちょっと思いつかないです", "dont_know"),
        ("考えたこともなかったです", "dont_know"),
        ("見当もつかんです", "dont_know"),
        ("I have no idea.", "dont_know"),
        ("いや、そうじゃなくて、困っとるのは人なんです。", "correction"),
        ("訂正します、社員は8人です。", "correction"),
        ("違います、うちは製造じゃなくて卸です。", "correction"),
        ("No, I meant the office, not the shop.", "correction"),
    ],
)
def test_hard_cases(text: str, kind: str) -> None:
    assert classify(text).kind == kind, classify(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("はい、そうです", "yes"),
        ("そうですね、その通り", "yes"),
        ("ええ", "yes"),
        ("Yes, exactly", "yes"),
        ("いえ、ちょっと違います", "no"),
        ("いいえ", "no"),
        ("No", "no"),
        ("いえ、ちょっと違います。大きいのは人の問題です。", "correction"),
        ("No — it's the invoices, not the stock.", "correction"),
        ("在庫というより、人手の問題ですね。", "correction"),
        ("はい。ところで、その制度はいつまで使えますか？", "question"),
    ],
)
def test_replies_to_a_check(text: str, kind: str) -> None:
    assert classify(text, checking=True).kind == kind, classify(text, checking=True)


def test_the_question_is_cut_out_as_typed() -> None:
    got = classify("ネットで売る仕組みを作りたいのですが、数百万円かかるので補助金は使えますか？")
    assert got == Intent(
        "question", question="ネットで売る仕組みを作りたいのですが、数百万円かかるので補助金は使えますか？", rest=""
    )
    got = classify("在庫は全部紙です。タブレットに変えたいんです。それって補助の対象になりますか？　急ぎではないです。")
    assert got.kind == "question"
    assert got.question == "それって補助の対象になりますか？"
    assert got.rest == "在庫は全部紙です。タブレットに変えたいんです。 急ぎではないです。"
    got = classify("We want to sell online. Is there support for that? It'd cost a few million yen.")
    assert got.question == "Is there support for that?"


def test_rest_after_a_correction_or_a_yes() -> None:
    assert classify("いや、そうじゃなくて、困ってるのは請求書です。").rest == "困ってるのは請求書です。"
    assert classify("訂正します、社員は8人です。").rest == "社員は8人です。"
    got = classify("いえ、ちょっと違います。大きいのは人の問題です。", checking=True)
    assert got == Intent("correction", rest="大きいのは人の問題です。")
    got = classify("はい、そうです。あと、取引先も同じです。", checking=True)
    assert got == Intent("yes", rest="あと、取引先も同じです。")


def test_empty_and_odd_input() -> None:
    assert classify("").kind == "answer"
    assert classify("   \n ").kind == "answer"
    assert classify("？").kind in KINDS
    assert classify("「閉じない引用符で始まる答え。在庫です").kind == "answer"


def test_it_runs_in_microseconds() -> None:
    texts = [r["text"] for r in _rows()]
    classify("warm-up")
    start = time.perf_counter()
    for text in texts:
        classify(text)
    assert (time.perf_counter() - start) / len(texts) < 0.002  # generous: ~0.1 ms on a laptop
