"""A new session's first question does not wait for the embedding model (issue 12)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from dxcoach.coaching.coach import Coach
from dxcoach.coaching.factory import open_opening_coach, open_store
from dxcoach.retrieval.opening import save_snapshot
from dxcoach.retrieval.sources import all_passages
from dxcoach.tui.app import DxCoachApp
from dxcoach.tui.screens.coaching import CoachingScreen
from dxcoach.tui.widgets.stage_indicator import StageIndicator
from tests.tui.conftest import fake_coach_factory, make_settings, wait_until
from tests.tui.test_flow import SIZE, turn_texts, type_answer


async def test_the_first_question_comes_while_the_model_loads_and_answers_wait_for_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "index").mkdir(parents=True)
    (home / "index" / "manifest.json").write_text('{"collection": "dx-test"}', encoding="utf-8")
    settings = make_settings(home)
    save_snapshot(settings, all_passages(settings))  # what the last full open left beside the index
    release = threading.Event()
    full = fake_coach_factory(settings)

    def slow_full_coach() -> Coach:  # the embedding model "is still loading" until released
        release.wait(30)
        return full()

    store = open_store(settings)
    app = DxCoachApp(
        settings,
        coach_factory=slow_full_coach,
        opening_factory=lambda: open_opening_coach(settings, store),
        new_profile={"company": "有限会社みなと食堂", "industry": "飲食業"},
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen) and len(turn_texts(app.screen)) >= 1)
        screen: Any = app.screen
        assert not app.coach_ready.is_set()  # the full coach is not there yet
        (opening,) = app.store.turns(screen.session_id)
        assert opening.kind == "open" and opening.stage == "purpose"
        assert "何のために" in opening.text and "1/4" in str(screen.query_one(StageIndicator).render())
        citations = opening.data["citations"]
        assert "ゑびや" in citations[0]["title"] and all(c["excerpt"] for c in citations)  # grounded and quoted
        await wait_until(pilot, lambda: not screen.busy)
        await type_answer(pilot, "港で働く漁師さんや観光のお客様に、朝の魚を手頃な値段で届けることです。")
        await pilot.pause(0.3)
        assert [t.kind for t in app.store.turns(screen.session_id)] == ["open", "answer"]  # waits: it must assess
        release.set()
        await wait_until(pilot, lambda: len(app.store.turns(screen.session_id)) >= 3 and not screen.busy)
        reply = app.store.turns(screen.session_id)[2]
        assert reply.role == "coach" and app.coach is not None
        assert "covered" in app.store.turns(screen.session_id)[1].data  # assessed by the full coach
