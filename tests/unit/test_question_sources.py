"""How the coach finds the source for an owner's question: the kind of source asked for, a place named in
a list of regional labs, and a figure printed only in a graph's caption."""

from __future__ import annotations

from pathlib import Path

import pytest

from dxcoach.coaching.excerpts import figures_unveiled, passage_sentences
from dxcoach.coaching.grounding import asked_kinds
from tests.unit.test_listening_coach import make_coach


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("ほかの会社もこんなもんなんでしょうか。", "statistic"),
        ("Is there any data on how many firms have started?", "statistic"),
        ("地元で相談に乗ってくれるところはありますか。", "region"),
        ("若手に何を勉強させればいいでしょう。", "talent"),
        ("ネットの仕組みに補助金は使えますか。", "support"),
        ("あそこは最初に何から始めたんですか。", "case"),
        ("そもそもDXって何を指すんですか。", "guidance"),
    ],
)
def test_the_kind_of_source_a_question_asks_for(question: str, kind: str) -> None:
    assert kind in asked_kinds(question)


def test_a_question_that_names_no_kind_asks_for_none() -> None:
    assert asked_kinds("うちは三代続く八百屋です。") == frozenset()


def test_a_figure_in_a_caption_is_quotable_only_once_unveiled() -> None:
    body = "DX推進人材が不足している。\nグラフ:8割超(やや不足/大幅に不足)\n図1 工程の流れ:"
    assert not any("8割超" in s for s in passage_sentences(body))
    unveiled = passage_sentences(figures_unveiled(body))
    assert "8割超(やや不足/大幅に不足)" in unveiled
    assert not any("工程の流れ" in s for s in unveiled)  # a caption without a figure stays out


@pytest.mark.parametrize(
    ("region", "said", "line"),
    [
        ("新潟県燕市", "地元で相談できるラボはこのあたりにありますか。", "燕市 5"),
        ("", "長岡で工場をやっています。近くにDXの相談ができるラボはありますか。", "長岡市 3"),
    ],
)
def test_a_place_question_is_answered_by_the_line_that_names_the_place(
    tmp_path: Path, region: str, said: str, line: str
) -> None:
    coach = make_coach(tmp_path)
    sid = coach.new_session({"company": "研磨工業", "industry": "金属加工", "employees": 17, "region": region})
    (reply, *_) = coach.answer(sid, said)
    assert reply.kind == "reply"
    first = reply.data["citations"][0]
    assert first["id"] == "region-labs-kanto" and line in first["excerpt"]
    assert line in reply.text


def test_a_place_not_in_any_list_is_not_answered_with_another_regions_line(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    sid = coach.new_session({"company": "島の宿", "industry": "旅館業", "employees": 8, "region": "東京都小笠原村"})
    (reply, *_) = coach.answer(sid, "このあたりにDXの相談ができるラボはありますか。")
    assert reply.kind == "reply"
    assert all(c["kind"] != "region" or "小笠原" not in " ".join(c["excerpt"]) for c in reply.data["citations"])
    assert not any(c["id"].startswith("region-labs-") and len(c["excerpt"]) > 1 for c in reply.data["citations"])
