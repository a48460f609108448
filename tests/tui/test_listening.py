"""The coaching screen while the coach listens: text typed while it works is kept, every coach turn
ends with its question, and an owner's question is shown and answered."""

from __future__ import annotations

import threading
from typing import Any

from dxcoach.tui.screens.coaching import CoachingScreen
from dxcoach.tui.widgets.answer_box import AnswerBox
from tests.tui.conftest import wait_until
from tests.tui.test_flow import SIZE, turn_texts, type_answer

QUESTION_END = ("？", "?", "か。", "ください。", "ませんか。")


def last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1]


async def test_text_typed_while_the_coach_works_is_kept(make_app: Any) -> None:
    app = make_app(new_profile={"company": "有限会社みなと食堂", "industry": "飲食業"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen) and not app.screen.busy)
        screen: CoachingScreen = app.screen  # type: ignore[assignment]
        gate = threading.Event()
        coach = app.coach
        inner = coach._respond

        def held(*args: Any, **kwargs: Any) -> Any:
            gate.wait(10)  # the coach is "working" until the test lets it go
            return inner(*args, **kwargs)

        coach._respond = held
        await type_answer(pilot, "地元の家族連れに、毎日の定食を出しています。")
        await wait_until(pilot, lambda: screen.busy)
        box = screen.query_one(AnswerBox)
        box.insert("次に言いたいこと")
        await pilot.press("enter")  # too early: refused with a notice, and nothing is lost
        assert box.text == "次に言いたいこと"
        gate.set()
        await wait_until(pilot, lambda: not screen.busy)
        assert box.text == "次に言いたいこと"
        owner = [t.text for t in app.store.turns(screen.session_id) if t.role == "owner"]
        assert owner == ["地元の家族連れに、毎日の定食を出しています。"]


async def test_each_coach_turn_ends_with_its_question_and_a_question_is_answered(make_app: Any) -> None:
    app = make_app(new_profile={"company": "株式会社焙煎所", "industry": "コーヒー豆の焙煎・販売", "employees": 4})
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CoachingScreen) and not app.screen.busy)
        screen: CoachingScreen = app.screen  # type: ignore[assignment]
        await type_answer(pilot, "うちは4人だけなんですが、ものづくり補助金って上限はいくらですか？")
        await wait_until(pilot, lambda: not screen.busy and len(turn_texts(screen)) >= 3)
        turns = app.store.turns(screen.session_id)
        assert [t.kind for t in turns] == ["open", "question", "reply"]
        shown = turn_texts(screen)
        assert "上限はいくらですか" in shown[1]  # the owner's question is on screen
        for turn in (t for t in turns if t.role == "coach"):
            assert last_line(turn.text).endswith(QUESTION_END), turn.text
