"""The whole journey in the TUI on the real core: new session → four stages → summary → export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input, Select

from dxcoach.tui.screens.coaching import CoachingScreen
from dxcoach.tui.screens.home import HomeScreen
from dxcoach.tui.screens.intake import IntakeScreen
from dxcoach.tui.screens.summary import SummaryScreen
from dxcoach.tui.widgets.answer_box import AnswerBox
from dxcoach.tui.widgets.conversation import Conversation, Turn
from dxcoach.tui.widgets.sources import SourceItem, SourcesPanel
from dxcoach.tui.widgets.stage_indicator import StageIndicator
from tests.tui.conftest import wait_until

SIZE = (100, 32)


def turn_texts(screen: CoachingScreen) -> list[str]:
    return [str(t._markdown) for t in screen.query_one(Conversation).query(Turn)]


async def type_answer(pilot: Any, text: str) -> None:
    box = pilot.app.screen.query_one(AnswerBox)
    box.focus()
    box.insert(text)
    await pilot.press("enter")


async def test_full_flow_new_session_to_exported_report(make_app: Any, tmp_path: Path) -> None:
    app = make_app()
    posted: list[AnswerBox.Submitted] = []  # a bubbling message passes the hook once per node

    def hook(message: Any) -> None:
        if isinstance(message, AnswerBox.Submitted) and not any(m is message for m in posted):
            posted.append(message)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen))
        intake = app.screen
        intake.query_one("#company", Input).value = "有限会社みなと食堂"
        intake.query_one("#industry", Select).value = "飲食業"
        intake.query_one("#employees", Input).value = "12"
        intake.query_one("#region", Input).value = "三重県"
        await pilot.click("#start")
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen))
        screen: CoachingScreen = app.screen  # type: ignore[assignment]
        await wait_until(pilot, lambda: len(turn_texts(screen)) >= 1 and not screen.busy)
        assert "1/4" in str(screen.query_one(StageIndicator).render())
        assert "ゑびや" in screen.citations_shown()[0]["title"]  # the restaurant case, first
        answers = {
            1: "港で働く漁師さんや観光のお客様に、朝の魚を手頃な値段で届けることです。",
            2: "5年後に通販の売上を2割にしたいです。",
            3: "今は仕入れも勘で、帳簿は手書きです。人手も足りません。",
            4: "毎日の売上と天気をパソコンに入力するところから始めます。",
        }
        for number, answer in answers.items():
            await wait_until(pilot, lambda n=number: f"{n}/4" in str(screen.query_one(StageIndicator).render()))
            await type_answer(pilot, answer)
            await wait_until(pilot, lambda a=answer: any(a in t for t in turn_texts(screen)))
            await wait_until(pilot, lambda: not screen.busy)
            still_here = f"{number}/4" in str(screen.query_one(StageIndicator).render())
            if still_here and not isinstance(app.screen, SummaryScreen):
                await pilot.press("ctrl+n")  # the coach asked a follow-up: move on instead
                await wait_until(pilot, lambda: not screen.busy)
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen))
        summary_screen = app.screen
        coverage = str(summary_screen.query_one("#coverage").render())
        assert "1/4" in coverage and "4/4" in coverage and "█" in coverage
        await pilot.press("e")
        await pilot.pause()
        reports = list((tmp_path / "home" / "reports").glob("*.md"))
        assert len(reports) == 1
        report = reports[0].read_text(encoding="utf-8")
        assert report.startswith("# DX準備レポート — 有限会社みなと食堂")
        assert all(answer in report for answer in answers.values())
        (page,) = (tmp_path / "home" / "reports").glob("*.html")  # the printable copy, next to it
        assert page.with_suffix(".md") == reports[0] and "有限会社みなと食堂" in page.read_text(encoding="utf-8")
    assert [m.text for m in posted] == list(answers.values())  # the box posted exactly what was typed, once each


async def test_owner_answer_is_stored_before_the_coach_replies(make_app: Any) -> None:
    app = make_app(new_profile={"company": "株式会社テスト運送", "industry": "運輸業"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen) and not app.screen.busy)
        screen: CoachingScreen = app.screen  # type: ignore[assignment]
        assert "ヒサノ" in screen.citations_shown()[0]["title"]
        app.coach = None  # the coach "vanishes" mid-session (as if the app quit now)
        app.coach_ready.clear()
        await type_answer(pilot, "荷主さんの荷物を時間どおりに届けます。")
        await pilot.pause()
        stored = [t for t in app.store.turns(screen.session_id) if t.role == "owner"]
        assert [t.text for t in stored] == ["荷主さんの荷物を時間どおりに届けます。"]
        assert "回答" not in screen.query_one(AnswerBox).text  # the box was cleared
        app.coach_ready.set()  # let the waiting worker finish


async def test_enter_sends_and_ctrl_j_inserts_a_newline(make_app: Any) -> None:
    app = make_app(new_profile={"company": "株式会社改行", "industry": "製造業"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen) and not app.screen.busy)
        box = app.screen.query_one(AnswerBox)
        box.focus()
        box.insert("一行目")
        await pilot.press("ctrl+j")
        box.insert("二行目")
        assert box.text == "一行目\n二行目"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("一行目" in t for t in turn_texts(app.screen)))
        assert box.text == ""


async def test_sources_open_in_a_modal(make_app: Any) -> None:
    from dxcoach.tui.screens.modals import PassageModal

    app = make_app(new_profile={"company": "有限会社みなと食堂", "industry": "飲食業"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen) and not app.screen.busy)
        panel = app.screen.query_one(SourcesPanel)
        panel.focus()
        await wait_until(pilot, lambda: len(list(panel.query(SourceItem))) > 0)
        panel.index = 0
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PassageModal))
        assert "ゑびや" in app.screen.citation["title"]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen))


async def test_resume_delete_and_english_labels(make_app: Any) -> None:
    from dxcoach.coaching.coach import create_session
    from dxcoach.tui.screens.modals import ConfirmModal

    app = make_app(lang="en")
    async with app.run_test(size=SIZE) as pilot:
        create_session(app.store, {"company": "Minato Diner", "industry": "restaurant"}, "en")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        app.screen.refresh_sessions()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen) and not app.screen.busy)
        assert str(app.screen.query_one("#sources-title").render()) == "Sources"
        assert "1/4" in str(app.screen.query_one(StageIndicator).render())
        await pilot.press("escape")  # not bound on the coaching screen: stays
        app.pop_screen()
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.click("#yes")
        await wait_until(pilot, lambda: not app.store.sessions())
