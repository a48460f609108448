"""The session state machine: every transition, with no model and no storage."""

from __future__ import annotations

import pytest

from dxcoach.coaching.machine import (
    STAGES,
    SUMMARY,
    Action,
    Answered,
    Asked,
    Back,
    DontKnow,
    Next,
    Skip,
    start,
    transition,
)

ELEMENTS = {
    "purpose": ("customers", "value", "principles", "society"),
    "vision": ("change", "horizon", "targets"),
    "gap": ("gaps", "causes", "first_action", "current"),
    "data": ("customer_value", "data_sources", "first_step", "people", "technology"),
}


def answered(text: str, *covered: str, stage: str | None = None) -> Answered:
    return Answered(text, frozenset(covered), stage)


def test_start_opens_purpose() -> None:
    state, action = start(ELEMENTS)
    assert action == Action("open", "purpose")
    assert state.phase == "purpose" and state.awaiting is None and state.stage().visited


def test_answer_probes_the_most_important_missing_element() -> None:
    state, _ = start(ELEMENTS)
    state, action = transition(state, answered("a", "customers", "value"))
    assert action == Action("probe", "purpose", "principles")
    assert state.awaiting == "principles" and state.stage().covered == {"customers", "value"}


def test_covered_elements_are_never_probed_and_probes_stop_at_the_limit() -> None:
    state, _ = start(ELEMENTS, max_probes=2)
    state, a1 = transition(state, answered("a", "value"))
    state, a2 = transition(state, answered("b"))
    state, a3 = transition(state, answered("c"))
    assert (a1.element, a2.element) == ("customers", "principles")
    assert a3 == Action("open", "vision")
    assert state.stage("purpose").answers == ("a", "b", "c")
    assert state.stage("purpose").probes == ("customers", "principles")


def test_a_probe_answer_that_covers_it_moves_to_the_next_missing() -> None:
    state, _ = start(ELEMENTS)
    state, _ = transition(state, answered("a", "customers", "value"))
    state, action = transition(state, answered("b", "principles"))
    assert action == Action("probe", "purpose", "society")


def test_complete_answer_advances_without_a_probe() -> None:
    state, _ = start(ELEMENTS)
    state, action = transition(state, answered("all", *ELEMENTS["purpose"]))
    assert action == Action("open", "vision") and state.phase == "vision"


def test_zero_probes_configured_always_advances() -> None:
    state, _ = start(ELEMENTS, max_probes=0)
    _, action = transition(state, answered("a"))
    assert action == Action("open", "vision")


def test_skip_moves_to_the_next_probe_or_on() -> None:
    state, _ = start(ELEMENTS, max_probes=2)
    state, _ = transition(state, answered("a", "customers", "value"))  # probe principles
    state, action = transition(state, Skip())
    assert action == Action("probe", "purpose", "society")
    assert state.stage().skipped == ("principles",)
    state, action = transition(state, Skip())
    assert action == Action("open", "vision")  # the probe budget is spent


def test_skip_without_an_open_probe_is_a_noop() -> None:
    state, _ = start(ELEMENTS)
    new, action = transition(state, Skip())
    assert action.kind == "noop" and new == state


def test_next_walks_all_stages_to_the_summary_and_then_stays() -> None:
    state, _ = start(ELEMENTS)
    seen = []
    for _ in STAGES:
        state, action = transition(state, Next())
        seen.append(action.kind + ":" + action.stage)
    assert seen == ["open:vision", "open:gap", "open:data", "summary:"]
    assert state.phase == SUMMARY
    same, action = transition(state, Next())
    assert action.kind == "noop" and same == state


def test_back_revises_an_earlier_stage_with_fresh_probes_and_keeps_answers() -> None:
    state, _ = start(ELEMENTS)
    state, _ = transition(state, answered("a", "customers"))
    state, _ = transition(state, Next())
    state, action = transition(state, Back())
    assert action == Action("open", "purpose")
    assert state.stage("purpose").answers == ("a",) and state.stage("purpose").probes == ()
    state, action = transition(state, answered("b", "value"))
    assert action == Action("probe", "purpose", "principles")
    assert state.stage("purpose").covered == {"customers", "value"}


def test_back_from_summary_and_to_a_named_stage() -> None:
    state, _ = start(ELEMENTS)
    for _ in STAGES:
        state, _ = transition(state, Next())
    state, action = transition(state, Back())
    assert action == Action("open", "data")
    state, action = transition(state, Back("purpose"))
    assert action == Action("open", "purpose")


def test_back_cannot_go_forward_or_before_the_start() -> None:
    state, _ = start(ELEMENTS)
    with pytest.raises(ValueError):
        transition(state, Back("gap"))
    state, action = transition(state, Back())
    assert action == Action("open", "purpose")  # already the first stage: re-open it


def test_supplement_to_an_earlier_stage_is_recorded_without_a_question() -> None:
    state, _ = start(ELEMENTS)
    state, _ = transition(state, Next())
    state, action = transition(state, answered("extra", "society", stage="purpose"))
    assert action == Action("noop", "purpose")
    assert state.phase == "vision" and "society" in state.stage("purpose").covered


def test_unknown_stage_and_missing_elements_are_rejected() -> None:
    state, _ = start(ELEMENTS)
    with pytest.raises(ValueError):
        transition(state, answered("x", stage="nowhere"))
    with pytest.raises(ValueError):
        start({"purpose": ("customers",)})


def test_transitions_are_pure() -> None:
    state, _ = start(ELEMENTS)
    before = state
    transition(state, answered("a", "customers"))
    assert state == before and state.stage().answers == ()


# ---- listening: unsure elements, questions, "I don't know" ---------------------------------------
def test_an_element_a_clause_may_show_is_checked_not_asked_from_scratch() -> None:
    state, _ = start(ELEMENTS)
    state, action = transition(state, Answered("a", frozenset({"customers"}), unsure=frozenset({"value"})))
    assert action == Action("confirm", "purpose", "value")
    assert state.awaiting == "value" and state.stage().probes == ("value",)
    # Once shown, an element is no longer unsure; the next missing one is asked from scratch.
    state, action = transition(state, answered("yes", "value"))
    assert action == Action("probe", "purpose", "principles") and not state.stage().unsure


def test_a_question_alone_is_answered_and_the_open_question_asked_again() -> None:
    state, _ = start(ELEMENTS)
    state, action = transition(state, answered("a", "customers"))  # probe: value
    assert action == Action("probe", "purpose", "value")
    after, action = transition(state, Asked(""))
    assert action == Action("reply", "purpose", "value")
    assert after.awaiting == "value" and after.stage().probes == state.stage().probes  # no probe spent


def test_a_question_to_the_stage_question_keeps_it_open() -> None:
    state, _ = start(ELEMENTS)
    state, action = transition(state, Asked(""))
    assert action == Action("reply", "purpose", "") and state.awaiting is None and not state.stage().answers


def test_a_question_that_also_answers_goes_on_as_an_answer_would_after_the_reply() -> None:
    state, _ = start(ELEMENTS)
    state, action = transition(state, Asked("we serve families", frozenset({"customers"})))
    assert action == Action("probe", "purpose", "value", reply=True)
    assert state.stage().covered == {"customers"} and state.stage().answers == ("we serve families",)


def test_dont_know_gets_one_example_then_moves_on() -> None:
    state, _ = start(ELEMENTS)
    state, action = transition(state, answered("a", "customers"))  # probe: value
    state, action = transition(state, DontKnow())
    assert action == Action("example", "purpose", "value") and state.awaiting == "value"
    state, action = transition(state, DontKnow())  # a second time: as a skip
    assert action == Action("probe", "purpose", "principles") and state.stage().skipped == ("value",)


def test_dont_know_at_the_stage_question() -> None:
    state, _ = start(ELEMENTS)
    state, action = transition(state, DontKnow())
    assert action == Action("example", "purpose", "")
    state, action = transition(state, DontKnow())
    assert action == Action("probe", "purpose", "customers")


def test_dont_know_and_questions_at_the_summary_change_nothing() -> None:
    state, _ = start(ELEMENTS)
    for _ in STAGES:
        state, _ = transition(state, Next())
    for event in (DontKnow(), Asked("")):
        after, action = transition(state, event)
        assert action == Action("noop", SUMMARY) and after == state
