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

ActionKind = Literal["open", "probe", "summary", "noop"]


@dataclass(frozen=True)
class StageState:
    answers: tuple[str, ...] = ()
    covered: frozenset[str] = frozenset()
    probes: tuple[str, ...] = ()  # elements asked about, in order
    skipped: tuple[str, ...] = ()  # probes the owner chose not to answer
    visited: bool = False


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


Event = Answered | Skip | Next | Back


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    stage: str = ""
    element: str = ""


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
            return replace(state, awaiting=element), Action("probe", stage_id, element)
    return _open(state, _following(stage_id))


def transition(state: State, event: Event) -> tuple[State, Action]:
    if isinstance(event, Answered):
        target = event.stage or state.phase
        if target not in STAGES:
            raise ValueError(f"unknown stage: {target}")
        current = state.stage(target)
        updated = replace(current, answers=(*current.answers, event.text), covered=current.covered | event.covered)
        state = state._with_stage(target, updated)
        if target != state.phase:
            return state, Action("noop", target)
        return _decide(replace(state, awaiting=None))
    if state.phase == SUMMARY and not isinstance(event, Back):
        return state, Action("noop", SUMMARY)
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
