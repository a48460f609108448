"""The four-stage session as a pure state machine: no I/O, no model, no clock.

The coach feeds it events (an answer with the elements it covers, skip, next, back) and gets back
the next state and what to do: open a stage, ask a probe about one missing element, or summarise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

STAGES: tuple[str, ...] = ("purpose", "vision", "gap", "data")
SUMMARY = "summary"
MAX_ANSWER_CHARS = 4000  # one answer of the owner's, in characters: a longer paste is refused, never cut

# open a stage; probe (ask for an element from scratch) or confirm (check an element a clause may show);
# reply (answer the owner's question, then ask again what is open); example (the owner does not know:
# one example, and the same question again); summary; noop.
ActionKind = Literal["open", "probe", "confirm", "reply", "example", "summary", "noop"]


@dataclass(frozen=True)
class StageState:
    answers: tuple[str, ...] = ()
    covered: frozenset[str] = frozenset()
    probes: tuple[str, ...] = ()  # elements asked about, in order
    skipped: tuple[str, ...] = ()  # probes the owner chose not to answer
    visited: bool = False
    unsure: frozenset[str] = frozenset()  # elements a clause may show: checked, never asked from scratch
    examples: tuple[str, ...] = ()  # questions the owner could not answer (an element, or "" for the stage's)


@dataclass(frozen=True)
class State:
    elements: tuple[tuple[str, tuple[str, ...]], ...]  # per stage, element ids in priority order
    max_probes: int = 2
    phase: str = STAGES[0]
    stages: tuple[tuple[str, StageState], ...] = field(default_factory=lambda: tuple((s, StageState()) for s in STAGES))
    awaiting: str | None = None  # the element of the open probe; None while the stage question is open

    def stage(self, stage_id: str | None = None) -> StageState:
        return dict(self.stages)[stage_id or self.phase]

    def element_ids(self, stage_id: str) -> tuple[str, ...]:
        return dict(self.elements)[stage_id]

    def missing(self, stage_id: str) -> tuple[str, ...]:
        covered = self.stage(stage_id).covered
        return tuple(e for e in self.element_ids(stage_id) if e not in covered)

    def _with_stage(self, stage_id: str, new: StageState) -> State:
        return replace(self, stages=tuple((s, new if s == stage_id else st) for s, st in self.stages))


@dataclass(frozen=True)
class Answered:
    text: str
    covered: frozenset[str]  # elements this answer covers (the assessment is done outside)
    stage: str | None = None  # an answer to an earlier stage is a supplement: recorded, no new question
    unsure: frozenset[str] = frozenset()  # elements a clause may show, below the bar of "shown"


@dataclass(frozen=True)
class Asked:
    """The owner asks the coach something. ``text``: what the turn says besides the question (may be
    empty); it counts as an answer would."""

    text: str
    covered: frozenset[str] = frozenset()
    unsure: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DontKnow:
    """The owner cannot answer the open question: one example first; a second time, move on."""


@dataclass(frozen=True)
class Skip:
    """Skip the open probe."""


@dataclass(frozen=True)
class Next:
    """Move on to the next stage (or the summary) now."""


@dataclass(frozen=True)
class Back:
    """Go back to an earlier stage (default: the previous one) to revise it."""

    stage: str | None = None


Event = Answered | Asked | DontKnow | Skip | Next | Back


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    stage: str = ""
    element: str = ""
    reply: bool = False  # answer the owner's question first, then do this


def start(elements: dict[str, tuple[str, ...]], max_probes: int = 2) -> tuple[State, Action]:
    missing = [s for s in STAGES if s not in elements]
    if missing:
        raise ValueError(f"no elements for stages: {missing}")
    state = State(elements=tuple((s, tuple(elements[s])) for s in STAGES), max_probes=max_probes)
    return _open(state, STAGES[0])


def _open(state: State, stage_id: str) -> tuple[State, Action]:
    if stage_id == SUMMARY:
        return replace(state, phase=SUMMARY, awaiting=None), Action("summary")
    state = replace(state, phase=stage_id, awaiting=None)
    return state._with_stage(stage_id, replace(state.stage(stage_id), visited=True)), Action("open", stage_id)


def _following(stage_id: str) -> str:
    i = STAGES.index(stage_id)
    return STAGES[i + 1] if i + 1 < len(STAGES) else SUMMARY


def _decide(state: State) -> tuple[State, Action]:
    """After an answer or a skip: probe the most important missing element not yet asked, or move on."""
    stage_id = state.phase
    current = state.stage()
    if len(current.probes) < state.max_probes:
        candidates = [e for e in state.missing(stage_id) if e not in current.probes and e not in current.skipped]
        if candidates:
            element = candidates[0]
            state = state._with_stage(stage_id, replace(current, probes=(*current.probes, element)))
            kind: ActionKind = "confirm" if element in current.unsure else "probe"
            return replace(state, awaiting=element), Action(kind, stage_id, element)
    return _open(state, _following(stage_id))


def _heard(state: State, stage_id: str, text: str, covered: frozenset[str], unsure: frozenset[str]) -> State:
    current = state.stage(stage_id)
    now = current.covered | covered
    answers = (*current.answers, text) if text else current.answers
    return state._with_stage(
        stage_id, replace(current, answers=answers, covered=now, unsure=(current.unsure | unsure) - now)
    )


def transition(state: State, event: Event) -> tuple[State, Action]:
    if isinstance(event, Answered):
        target = event.stage or state.phase
        if target not in STAGES:
            raise ValueError(f"unknown stage: {target}")
        state = _heard(state, target, event.text, event.covered, event.unsure)
        if target != state.phase:
            return state, Action("noop", target)
        return _decide(replace(state, awaiting=None))
    if state.phase == SUMMARY and not isinstance(event, Back):
        return state, Action("noop", SUMMARY)
    if isinstance(event, Asked):
        state = _heard(state, state.phase, event.text, event.covered, event.unsure)
        if not event.text or (state.awaiting is not None and state.awaiting in state.missing(state.phase)):
            # Only a question, or the follow-up is still open: answer it and ask the same again.
            return state, Action("reply", state.phase, state.awaiting or "")
        after, action = _decide(replace(state, awaiting=None))  # it also answered: go on as after an answer
        return after, replace(action, reply=True)
    if isinstance(event, DontKnow):
        current, key = state.stage(), state.awaiting or ""
        if key not in current.examples:
            state = state._with_stage(state.phase, replace(current, examples=(*current.examples, key)))
            return state, Action("example", state.phase, key)
        if state.awaiting is not None:  # a second time: as a skip
            state = state._with_stage(state.phase, replace(current, skipped=(*current.skipped, state.awaiting)))
        return _decide(replace(state, awaiting=None))
    if isinstance(event, Skip):
        if state.awaiting is None:
            return state, Action("noop", state.phase)
        current = state.stage()
        state = state._with_stage(state.phase, replace(current, skipped=(*current.skipped, state.awaiting)))
        return _decide(replace(state, awaiting=None))
    if isinstance(event, Next):
        return _open(state, _following(state.phase))
    if isinstance(event, Back):
        order = (*STAGES, SUMMARY)
        here = order.index(state.phase)
        target = event.stage or order[max(here - 1, 0)]
        if target not in STAGES or order.index(target) > here:
            raise ValueError(f"can only go back to an earlier stage: {target}")
        # Revising a stage starts its probes afresh: the owner may now answer what was missing.
        state = state._with_stage(target, replace(state.stage(target), probes=(), skipped=()))
        return _open(state, target)
    raise TypeError(f"unknown event: {event!r}")
