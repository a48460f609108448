"""Stored sessions for the report tests, built with the unit fakes (no embedding model, a second or so)."""

from __future__ import annotations

from pathlib import Path

from dxcoach import paths
from dxcoach.coaching.coach import Coach
from dxcoach.coaching.grounding import Grounder
from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.script import Script
from dxcoach.coaching.transcript import run_script
from dxcoach.storage.db import Store
from tests.fakes import LexicalSearcher, ScriptedAssessor, fake_embed

PROFILE = {"company": "株式会社ゆふの里", "industry": "旅館業", "employees": 25, "region": "大分県"}
MARKUP = "<script>alert(1)</script> と <b>太字</b> の & 記号"  # an owner may type anything
PURPOSE = "由布岳の見える露天と地元の料理で、遠くから来られたご家族にゆっくり骨休めしてもらう宿です。"
VISION = "3年後には、客室の稼働率を今の6割から75%まで上げたいと思ってます。"
GAP = "予約は電話と帳面です。正直、設備に回すお金がないし、お客さんの情報が漏れたらと思うと怖いです。"
DATA = "まずは今年の秋から、離れの3部屋のお客さんの苦手なものを記録してみます。"
ANSWERS = {"purpose": [PURPOSE, MARKUP], "vision": [VISION], "gap": [GAP], "data": [DATA]}
COVERED = {
    PURPOSE: {"customers", "value"},
    VISION: {"horizon", "targets"},
    GAP: {"current"},
    DATA: {"data_sources", "first_step"},
}
SEARCHER = LexicalSearcher()


def open_store(home: Path) -> Store:
    home.mkdir(parents=True, exist_ok=True)
    return Store(paths.sessions_db(home))


def run_session(
    store: Store, answers: dict[str, list[str]] | None = None, covered: dict[str, set[str]] | None = None
) -> str:
    """A whole scripted session (ja) with a scripted assessor and lexical search; returns its id."""
    rubric = load_rubric("ja")
    coach = Coach(store, rubric, ScriptedAssessor(covered or COVERED), Grounder(SEARCHER, "ja", fake_embed))  # type: ignore[arg-type]
    return run_script(coach, Script(PROFILE, answers or ANSWERS))
