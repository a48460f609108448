"""Snapshot tests of the three main screens at 100×32 with Japanese text.

Update after an intended change: ``pytest tests/tui/test_snapshots.py --snapshot-update``, then look
at the SVGs under tests/tui/__snapshots__ before committing them.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from dxcoach.coaching.coach import create_session
from dxcoach.coaching.script import Script
from dxcoach.coaching.transcript import run_script
from dxcoach.tui.app import DxCoachApp
from dxcoach.tui.screens.coaching import CoachingScreen
from tests.tui.conftest import fake_coach_factory, make_settings, wait_until

SIZE = (100, 32)


@pytest.fixture(autouse=True)
def fixed_ids_and_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Session ids and timestamps appear on screen: make them the same on every run."""
    import dxcoach.storage.db as db

    counter = itertools.count(1)

    class FakeUUID:
        def __init__(self) -> None:
            self.hex = f"{next(counter):012d}abcdef"

    monkeypatch.setattr(db.uuid, "uuid4", FakeUUID)
    monkeypatch.setattr(db, "now", lambda: "2026-11-27T10:00:00+00:00")


def app_for(tmp_path: Path, **kwargs: Any) -> DxCoachApp:
    settings = make_settings(tmp_path / "home")
    return DxCoachApp(settings, coach_factory=fake_coach_factory(settings), **kwargs)


async def settle(pilot: Any) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.coach is not None)
    screen = app.screen
    if isinstance(screen, CoachingScreen):
        await wait_until(pilot, lambda: not screen.busy)
    app.clear_notifications()
    await pilot.pause()


def test_home_screen(snap_compare: Any, tmp_path: Path) -> None:
    app = app_for(tmp_path)
    for company, industry in [
        ("有限会社みなと食堂", "飲食業"),
        ("株式会社肥後ライン運輸", "運輸業"),
        ("有限会社みなと食堂", "飲食業"),
    ]:
        create_session(app.store, {"company": company, "industry": industry}, "ja")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)


def test_coaching_screen(snap_compare: Any, tmp_path: Path) -> None:
    app = app_for(tmp_path, new_profile={"company": "有限会社みなと食堂", "industry": "飲食業", "employees": 12})

    async def answer_once(pilot: Any) -> None:
        await settle(pilot)
        from dxcoach.tui.widgets.answer_box import AnswerBox

        box = pilot.app.screen.query_one(AnswerBox)
        box.insert("漁師さんや観光のお客様に、朝どれの魚を手頃な値段で届けることです。")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=answer_once)


def test_summary_screen(snap_compare: Any, tmp_path: Path) -> None:
    app = app_for(tmp_path)
    script = Script(
        {"company": "株式会社肥後ライン運輸", "industry": "運輸業", "employees": 45},
        {
            "purpose": ["荷主さんの荷物を時間どおりに届けることが私たちの役目です。"],
            "vision": ["5年後に売上を20億円にし、倉庫の仕事まで引き受けたいです。"],
            "gap": ["配車は紙のボードで私しか分かりません。人手も足りません。"],
            "data": ["運行データを集めて、到着時刻をお客様に知らせたいです。"],
        },
    )

    async def finish(pilot: Any) -> None:
        await settle(pilot)
        coach = pilot.app.coach
        session_id = run_script(coach, script)
        pilot.app.open_summary(session_id)
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=finish)
