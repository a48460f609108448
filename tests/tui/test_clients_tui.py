"""The coordinator in the TUI: a private note per stage (F2), and last time's answers (Ctrl+L) that
reach the answer box only — nothing is sent without the owner pressing Enter."""

from __future__ import annotations

from typing import Any

from textual.widgets import Checkbox, Input, Select, TextArea

from dxcoach.coaching.coach import create_session
from dxcoach.tui.screens.coaching import CoachingScreen
from dxcoach.tui.screens.home import HomeScreen
from dxcoach.tui.screens.intake import IntakeScreen
from dxcoach.tui.screens.modals import NoteModal
from dxcoach.tui.widgets.answer_box import AnswerBox
from tests.tui.conftest import wait_until
from tests.tui.test_flow import SIZE, turn_texts

PROFILE = {"company": "有限会社みなと食堂", "industry": "飲食業"}


async def test_f2_keeps_a_private_note_for_the_stage(make_app: Any) -> None:
    app = make_app(new_profile=PROFILE)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen) and not app.screen.busy)
        screen = app.screen
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteModal))
        assert "1/4" in str(app.screen.query_one("#dialog-title").render())
        app.screen.query_one(TextArea).insert("社長は息子さんへの承継を気にしている")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        sid = app.store.sessions()[0].id
        assert app.store.notes(sid) == {"purpose": "社長は息子さんへの承継を気にしている"}
        await pilot.press("f2")  # opens with the note; Esc leaves it as it was
        await wait_until(pilot, lambda: isinstance(app.screen, NoteModal))
        assert app.screen.query_one(TextArea).text == "社長は息子さんへの承継を気にしている"
        app.screen.query_one(TextArea).insert("（消えるはず）")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert app.store.notes(sid) == {"purpose": "社長は息子さんへの承継を気にしている"}
        assert not any("承継" in t for t in turn_texts(screen))  # never in the conversation


async def test_last_times_answers_are_shown_and_go_to_the_box_only_on_ctrl_l(make_app: Any) -> None:
    app = make_app()
    earlier = create_session(app.store, PROFILE, "ja")
    app.store.add_turn(earlier, "purpose", "owner", "answer", "港町の定食屋です。")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, IntakeScreen))
        intake = app.screen
        assert intake.query_one("#from-last", Checkbox).value  # on by default
        intake.query_one("#company", Input).value = "有限会社みなと食堂"
        intake.query_one("#industry", Select).value = "飲食業"
        await pilot.click("#start")
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen))
        screen: CoachingScreen = app.screen  # type: ignore[assignment]
        await wait_until(pilot, lambda: len(turn_texts(screen)) == 1 and not screen.busy)
        assert "前回（" in turn_texts(screen)[0] and "港町の定食屋です" in turn_texts(screen)[0]
        sid = screen.session_id
        assert [t for t in app.store.turns(sid) if t.role == "owner"] == []  # nothing taken as an answer
        await pilot.press("ctrl+l")
        assert screen.query_one(AnswerBox).text == "港町の定食屋です。"
        assert [t for t in app.store.turns(sid) if t.role == "owner"] == []  # still the owner's to send
        await pilot.press("enter")
        await wait_until(pilot, lambda: [t.text for t in app.store.turns(sid) if t.role == "owner"] != [])
        assert [t.text for t in app.store.turns(sid) if t.role == "owner"] == ["港町の定食屋です。"]


async def test_the_summary_compares_with_the_companys_earlier_session(make_app: Any, tmp_path: Any) -> None:
    from dxcoach.coaching.transcript import run_script
    from dxcoach.tui.screens.summary import SummaryScreen
    from tests.unit.test_clients import LAST_YEAR, THIS_YEAR

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.coach is not None)
        earlier = run_script(app.coach, LAST_YEAR)
        later = run_script(app.coach, THIS_YEAR)
        app.open_summary(later)
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen) and app.screen.earlier is not None)
        screen = app.screen
        assert screen.earlier == earlier
        body = str(screen.query_one("#summary-body")._markdown)  # type: ignore[attr-defined]
        assert "前回（" in body and "との比較" in body
        assert all(f"**{n}/4 " in body.split("との比較")[1] for n in range(1, 5))
        assert "新たに伺えたこと" in body and "今回は伺えなかったこと" in body
        await pilot.press("e")
        await wait_until(pilot, lambda: bool(sorted((tmp_path / "home" / "reports").glob("*.html"))))
        reports = sorted((tmp_path / "home" / "reports").glob("*.html"))
        assert "からの変化" in reports[0].read_text(encoding="utf-8")  # the exported report compares too


async def test_a_notice_from_the_core_becomes_a_notification(make_app: Any) -> None:
    import threading

    from dxcoach import notices

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        # From another thread, as the loader would say it (not joined here: the UI thread must keep running).
        threading.Thread(target=notices.say, args=("ja", "index_waiting"), daemon=True).start()
        await wait_until(pilot, lambda: any("索引を更新中" in n.message for n in app._notifications))


async def test_a_session_open_in_another_dxcoach_is_not_opened_twice(make_app: Any, tmp_path: Any) -> None:
    """Two TUIs on one home: different sessions are fine; the same session is refused, with a reason."""
    import subprocess
    import sys

    from dxcoach import paths
    from tests.conftest import ROOT

    app = make_app()
    sid = create_session(app.store, PROFILE, "ja")
    lock = paths.session_lock(tmp_path / "home", sid)
    hold = (
        "import sys, time\nfrom pathlib import Path\nfrom dxcoach.locking import hold_session\n"
        "held = hold_session(Path(sys.argv[1]))\nprint('held' if held else 'busy', flush=True)\ntime.sleep(60)\n"
    )
    other = subprocess.Popen([sys.executable, "-c", hold, str(lock)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.coach is not None)
            await wait_until(pilot, lambda: app.sub_title == "")  # the header's loading state is gone
            app.open_session(sid)
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            assert any("別の dxcoach で開かれています" in n.message for n in app._notifications)
            other.kill()
            other.wait()
            app.open_session(sid)  # the other one quit: now it opens
            await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen) and not app.screen.busy)
            assert sid in app.held_sessions  # held until the screen goes or the process ends
            await pilot.pause(0.2)  # let the screen's header settle before the app is torn down
    finally:
        other.kill()
