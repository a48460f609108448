"""Support programmes that fit an owner (dxcoach/coaching/programs.py): the row for their head count,
the frame for the amount they name, DX認定 before the tax relief — over the bundled corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from dxcoach.coaching.programs import Fit, Program, choose, load_programs, scale_of
from dxcoach.retrieval.corpus import load_documents

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = load_programs(ROOT / "corpus")
BODIES = {d.id: d.body for d in load_documents(ROOT / "corpus", "corpus", "guidance")}
ASK_CAP = "ものづくり補助金の通常枠だと、上限はいくらですか。"
IT_FRAMES = {p.passage_id for p in PROGRAMS.values() if p.program.startswith("IT導入補助金") and p.form == "subsidy"}


def top(text: str, profile: dict[str, object] | None = None) -> Fit:
    fits = choose(text, profile or {}, PROGRAMS)
    assert fits, text
    return fits[0]


# ---- loading --------------------------------------------------------------------------------------
def test_programmes_are_read_from_the_facts_of_the_corpus() -> None:
    assert {"support-monozukuri-normal", "support-it-hojo-security", "support-dx-tax", "talent-platform"} <= set(
        PROGRAMS
    )
    normal = PROGRAMS["support-monozukuri-normal"]
    assert isinstance(normal, Program) and normal.frame == "通常枠"
    assert [a.row for a in normal.amounts] == ["5人以下 750万円", "6〜20人 1,000万円", "21人以下 1,250万円"]
    assert PROGRAMS["support-dx-tax"].requires == ("support-dx-certification",)
    assert load_programs(ROOT / "no-such-folder") == {}
    assert load_programs(ROOT / "corpus") == PROGRAMS  # read once per folder


def test_every_quote_is_verbatim_from_its_passage() -> None:
    asked = [
        ASK_CAP,
        "セキュリティに使える補助金は？",
        "数億円の投資で税の優遇は？",
        "レジを買い替えたい。補助金は？",
        "グリーン枠の金額は？",
    ]
    for text in asked:
        for employees in (None, 3, 15, 60):
            for fit in choose(text, {"employees": employees}, PROGRAMS):
                for line in fit.quote:
                    assert line in BODIES[fit.passage_id], (fit.passage_id, line)


# ---- the row for this owner's head count ---------------------------------------------------------------
@pytest.mark.parametrize(
    "said,row",
    [
        ("うちは4人なんですが、" + ASK_CAP, "5人以下 750万円"),
        ("社員は15人です。" + ASK_CAP, "6〜20人 1,000万円"),
        ("社員40人ほどの工場です。" + ASK_CAP, "21人以下 1,250万円"),  # the deck's misprint, for 21 or more
        ("従業員は十五人です。" + ASK_CAP, "6〜20人 1,000万円"),
        ("We are 4 people. What is the cap of the monozukuri subsidy's regular frame?", "5人以下 750万円"),
    ],
)
def test_the_row_for_the_owners_head_count(said: str, row: str) -> None:
    fit = top(said)
    assert fit.passage_id == "support-monozukuri-normal"
    assert row in fit.quote
    others = {a.row for a in PROGRAMS["support-monozukuri-normal"].amounts} - {row}
    assert not others & set(fit.quote), "never another head count's row"
    assert fit.amount is not None and fit.amount.row == row


def test_the_profile_gives_the_head_count_when_the_owner_does_not() -> None:
    assert "21人以下 1,250万円" in top(ASK_CAP, {"employees": 21}).quote
    assert "6〜20人 1,000万円" in top(ASK_CAP, {"employees": 20}).quote
    assert "6〜20人 1,000万円" in top("社員はちょうど20人です。" + ASK_CAP, {"employees": 300}).quote


def test_with_no_head_count_the_coach_says_what_it_covers_and_no_amount() -> None:
    fit = top(ASK_CAP, {})
    normal = PROGRAMS["support-monozukuri-normal"]
    assert fit.quote == (normal.covers_row,)
    assert not any("万円" in line for line in fit.quote)


# ---- by scale and by need -------------------------------------------------------------------------------
def test_hundreds_of_millions_go_to_tax_relief_or_a_loan_with_dx_certification_first() -> None:
    fits = choose("数億円の工場を建てる、税の優遇や融資は？", {"employees": 80}, PROGRAMS)
    best = [f.passage_id for f in fits[:2]]
    assert set(best) <= {"support-dx-tax", "support-dx-jfc-loan", "support-dx-credit-guarantee"}
    assert not set(best) & IT_FRAMES
    assert all(f.prerequisite == ("support-dx-certification",) for f in fits[:2])
    assert all(any("DX認定" in line for line in f.quote) for f in fits[:2]), "the sentence naming DX認定"
    assert not any(f.passage_id in IT_FRAMES for f in fits[:3])


def test_a_named_amount_picks_the_frame_row_that_fits_it() -> None:
    fit = top("販売管理と会計をまとめて入れ替える見積もりが400万円弱です。IT導入補助金だと、どの枠でいくらまで？")
    assert fit.passage_id == "support-it-hojo-normal"
    assert fit.quote == ("B類型:4プロセス以上、補助額 150万円〜450万円以下",)
    small = top("予約をクラウドで管理したくて、2年分で40万円くらいです。IT導入補助金の対象になりますか。")
    assert small.quote == ("A類型:1プロセス以上、補助額 5万円〜150万円未満",)


def test_ransomware_brings_the_security_frame() -> None:
    fit = top("同業の事務所がランサムウェアにやられたそうです。うちも監視サービスを入れたい。補助金で使えるものは？")
    assert fit.passage_id == "support-it-hojo-security"
    assert fit.quote == ("補助額:5万円〜100万円",)
    assert top("Is there a subsidy for protecting us from ransomware?").passage_id == "support-it-hojo-security"


def test_invoices_bring_the_invoice_frame() -> None:
    fit = top("インボイスが始まって請求書の形がばらばらです。受注から請求までつながる仕組みに使える補助金は？")
    assert fit.passage_id == "support-it-hojo-shoryu-invoice"


def test_a_prerequisite_asked_about_comes_after_what_needs_it() -> None:
    fits = choose("公庫の低い金利の融資って、DX認定なしでも借りられます？", {}, PROGRAMS)
    assert fits[0].passage_id == "support-dx-jfc-loan"
    assert any("DX認定を受けた中小企業者" in line for line in fits[0].quote)


def test_the_rate_is_quoted_when_asked_and_never_for_an_it_frame() -> None:
    fit = top("We're a brewery with 12 staff. For the monozukuri subsidy, what share of the cost does it cover?")
    assert "補助率:中小 1/2、小規模、再生事業者 2/3" in fit.quote
    security = top("セキュリティ対策推進枠って補助率はいくつ？あと上限も。")
    assert not any("以内" in line for line in security.quote)


def test_nothing_is_chosen_where_the_owner_does_not_ask_about_support() -> None:
    assert choose("デジタルに強い人を採ろうとしても応募すら来ないんです。", {}, PROGRAMS) == []
    assert choose("DX認定を取っている会社は、全国でどのくらいあるんですか。", {}, PROGRAMS) == []


def test_candidates_limit_the_choice() -> None:
    fits = choose(ASK_CAP, {"employees": 4}, PROGRAMS, candidates=["support-monozukuri-global", "case-ebiya"])
    assert [f.passage_id for f in fits] == ["support-monozukuri-global"]


# ---- what the owner said ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "said,employees",
    [
        ("うちは4人だけなんです", 4),
        ("従業員15名の会社です", 15),
        ("社員40人ほどの漬物工場です", 40),
        ("スタッフ12人で回しています", 12),
        ("we are 4 people", 4),
        ("We're a craft brewery with 12 staff.", 12),
        ("うちは四人でやっています", 4),
        ("従業員は十五人です", 15),
        ("社員は百二十人です", 120),
        ("美容室を夫婦二人でやっています", 2),
        ("パソコンに強いもんが一人もおらん", None),
        ("お客さんが100人来る日もあります", None),
    ],
)
def test_head_count_from_the_owners_words(said: str, employees: int | None) -> None:
    assert scale_of(said, {}).employees == employees


@pytest.mark.parametrize(
    "said,low,high",
    [
        ("業者に相談したら数百万円かかると言われた", 3_000_000, 3_000_000),
        ("300万円くらいの見込みです", 3_000_000, 3_000_000),
        ("数億円の工場を建てる", 300_000_000, 300_000_000),
        ("1億5千万の設備投資", 150_000_000, 150_000_000),
        ("総額100億円の計画です", 10_000_000_000, 10_000_000_000),
        ("2〜3千万円の投資になります", 20_000_000, 30_000_000),
        ("見積もりは2,000万円ほどでした", 20_000_000, 20_000_000),
        ("The new line would cost about 30 million yen", 30_000_000, 30_000_000),
    ],
)
def test_the_amount_the_owner_names(said: str, low: int, high: int) -> None:
    amount = scale_of(said, {}).amount_yen
    assert amount is not None and low <= amount <= high


def test_revenue_and_counts_are_not_an_investment() -> None:
    assert scale_of("年商3億円の会社ですが、投資は500万円ほどです", {}).amount_yen == 5_000_000
    assert scale_of("電気代が1.6倍になりました", {}).amount_yen is None
    assert scale_of("5千万人の市場", {}).amount_yen is None


def test_needs_said() -> None:
    assert "security" in scale_of("ランサムウェアが心配です", {}).needs
    assert {"tax", "loan"} <= scale_of("税の優遇や融資は？", {}).needs
    assert "group" in scale_of("地域の製材所5社で仕組みを作ります", {}).needs
    assert "group" not in scale_of("従業員15名の会社です", {}).needs
    assert scale_of("今日はいい天気ですね", {}).needs == frozenset()
