"""The guided coach: stores each owner turn first, then assesses it, decides the next step with the
state machine, grounds its reply in retrieved passages and stores the reply.

A session's state is never stored on its own: it is replayed from the stored turns, so a session
resumes exactly where it stopped, even after a kill between the owner's turn and the reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dxcoach import texts
from dxcoach.coaching import machine
from dxcoach.coaching.assess import Assessor
from dxcoach.coaching.grounding import Citation, Grounder
from dxcoach.coaching.machine import STAGES, SUMMARY, Action, Answered, Back, Event, Next, Skip, State
from dxcoach.coaching.rubric import Rubric, Stage
from dxcoach.coaching.summary import build_summary
from dxcoach.errors import UserError
from dxcoach.retrieval.normalize import normalize_text
from dxcoach.storage.db import Store, Turn

QUOTE_CHARS = 40
MAX_ANSWER_CHARS = 4000


@dataclass
class Replay:
    state: State
    action: Action
    pending: bool  # the last stored turn is the owner's: the coach has not answered it yet


def stage_reached(store: Store, session_id: str) -> str:
    """The stage of the coach's latest turn: where the owner picks up (store only, no model)."""
    for turn in reversed(store.turns(session_id)):
        if turn.role == "coach" and turn.kind != "supplement":
            return turn.stage
    return STAGES[0]


def create_session(store: Store, profile: dict[str, Any], lang: str) -> str:
    """Store a new session (fast, no model); the coach's opening follows with ``Coach.respond``."""
    company = str(profile.get("company", "")).strip()
    if not company:
        raise UserError("会社名（company）は必須です")
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in profile.items() if v not in (None, "")}
    return store.create_session(clean, lang)


def record_answer(store: Store, session_id: str, text: str, stage: str | None = None) -> Turn:
    """Commit the owner's words before any model or retrieval work (fast enough for the UI thread)."""
    # Stored as typed (only trimmed): NFKC would turn the owner's ？ into ?. Matching normalises later.
    text = text.replace("\r\n", "\n").strip()
    if not normalize_text(text):
        raise UserError("回答が空です")
    if len(text) > MAX_ANSWER_CHARS:
        raise UserError(f"回答が長すぎます（{MAX_ANSWER_CHARS}文字まで）")
    target = stage or stage_reached(store, session_id)
    if target == SUMMARY:
        raise UserError("まとめの段階では回答できません。戻る（back）で段階を選んでください")
    if target not in STAGES:
        raise UserError(f"不明な段階です: {target}")
    return store.add_turn(session_id, target, "owner", "answer", text)


def _quote(text: str) -> str:
    text = text.strip().rstrip("。.")
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


class Coach:
    def __init__(
        self, store: Store, rubric: Rubric, assessor: Assessor, grounder: Grounder, max_probes: int = 2
    ) -> None:
        self.store = store
        self.rubric = rubric
        self.assessor = assessor
        self.grounder = grounder
        self.max_probes = max_probes
        self.t: dict[str, Any] = texts.load(rubric.lang, "coach")

    # ---- sessions ---------------------------------------------------------------------------
    def new_session(self, profile: dict[str, Any]) -> str:
        session_id = create_session(self.store, profile, self.rubric.lang)
        self.respond(session_id)
        return session_id

    def replay(self, session_id: str, limit: int | None = None) -> Replay:
        """Rebuild the state from the stored turns (the first ``limit`` of them, or all)."""
        state, action = machine.start(self.rubric.element_order(), self.max_probes)
        pending = False
        for turn in self.store.turns(session_id)[:limit]:
            if turn.role != "owner":
                pending = False
                continue
            state, action = machine.transition(state, self._event(session_id, state, turn))
            pending = True
        return Replay(state, action, pending)

    def _event(self, session_id: str, state: State, turn: Turn) -> Event:
        if turn.kind == "answer":
            if "covered" not in turn.data:  # stored, but the process died before assessing it
                turn = self._assess_and_save(session_id, turn)
            return Answered(
                turn.text, frozenset(turn.data["covered"]), stage=turn.stage if turn.stage != state.phase else None
            )
        if turn.kind == "skip":
            return Skip()
        if turn.kind == "next":
            return Next()
        if turn.kind == "back":
            return Back(turn.data.get("target") or None)
        raise ValueError(f"unknown owner turn kind: {turn.kind}")

    def _assess_and_save(self, session_id: str, turn: Turn) -> Turn:
        result = self.assessor.assess(turn.stage, turn.text)
        data = {**turn.data, "covered": sorted(result.covered), "evidence": result.evidence, "scores": result.scores}
        self.store.update_turn_data(session_id, turn.seq, data)
        return Turn(turn.seq, turn.stage, turn.role, turn.kind, turn.text, data)

    # ---- owner actions ----------------------------------------------------------------------
    def answer(self, session_id: str, text: str, stage: str | None = None) -> list[Turn]:
        record_answer(self.store, session_id, text, stage)
        return self.respond(session_id)

    def command(self, session_id: str, kind: str, target: str | None = None) -> list[Turn]:
        """skip / next / back [stage]."""
        state = self.replay(session_id).state
        if kind == "back":
            order = (*STAGES, SUMMARY)
            goal = target or order[max(order.index(state.phase) - 1, 0)]
            if goal not in STAGES or order.index(goal) > order.index(state.phase):
                raise UserError(f"戻れるのはこれまでの段階だけです: {goal}")
            target = goal
        if kind == "skip" and state.awaiting is None:
            return []
        if kind not in ("skip", "next", "back"):
            raise UserError(f"不明な操作です: {kind}")
        self.store.add_turn(session_id, state.phase, "owner", kind, "", {"target": target} if target else {})
        return self.respond(session_id)

    def respond(self, session_id: str) -> list[Turn]:
        """Say what is due: the opening of a new session, or the reply to the owner's last turn.

        Also what resuming a session calls: it answers a turn stored before a crash or a quit.
        """
        turns = self.store.turns(session_id)
        profile = self.store.session(session_id).profile
        if not turns:
            _, action = machine.start(self.rubric.element_order(), self.max_probes)
            return self._reply(session_id, profile, action, previous=None, last_answer=None)
        if turns[-1].role != "owner":
            return []
        before = self.replay(session_id, limit=len(turns) - 1).state
        now = self.replay(session_id)  # assesses the last answer if it was not yet
        last = self.store.turns(session_id)[-1]
        return self._reply(session_id, profile, now.action, previous=before, last_answer=last, state=now.state)

    # ---- what the coach says ----------------------------------------------------------------
    def _labels(self, stage: Stage, ids: list[str] | tuple[str, ...]) -> str:
        return str(self.t["list_sep"]).join(stage.element(e).label for e in ids)

    def _references(self, citations: list[Citation]) -> list[str]:
        return [self.t["reference"].format(title=c.title, reason=c.reason, n=n) for n, c in enumerate(citations, 1)]

    def _ack(self, stage: Stage, last: Turn | None) -> str:
        if last is None or last.kind != "answer":
            return ""
        evidence: dict[str, str] = last.data.get("evidence", {})
        covered = [e.id for e in stage.elements if e.id in evidence]
        if not covered:
            return str(self.t["ack_plain"])
        return str(
            self.t["ack_covered"].format(quote=_quote(evidence[covered[0]]), labels=self._labels(stage, covered))
        )

    def _save(
        self,
        session_id: str,
        stage: str,
        kind: str,
        text: str,
        citations: list[Citation],
        extra: dict[str, Any] | None = None,
    ) -> Turn:
        data = {"citations": [c.as_json() for c in citations], **(extra or {})}
        return self.store.add_turn(session_id, stage, "coach", kind, text.strip(), data)

    def _close(self, session_id: str, stage_id: str, state: State, last: Turn | None) -> Turn:
        stage = self.rubric.stage(stage_id)
        covered = [e.id for e in stage.elements if e.id in state.stage(stage_id).covered]
        missing = [e.id for e in stage.elements if e.id not in covered]
        if covered and not missing:
            body = self.t["close_complete"].format(short=stage.short, labels=self._labels(stage, covered))
        elif covered:
            body = self.t["close_partial"].format(
                short=stage.short, covered=self._labels(stage, covered), missing=self._labels(stage, missing)
            )
        else:
            body = self.t["close_empty"].format(short=stage.short)
        ack = self._ack(stage, last)
        return self._save(session_id, stage_id, "close", f"{ack}\n{body}" if ack else body, [])

    def _reply(
        self,
        session_id: str,
        profile: dict[str, Any],
        action: Action,
        *,
        previous: State | None,
        last_answer: Turn | None,
        state: State | None = None,
    ) -> list[Turn]:
        out: list[Turn] = []
        answered_here = last_answer is not None and last_answer.kind == "answer"
        if action.kind == "noop":
            if (
                answered_here
                and last_answer is not None
                and previous is not None
                and last_answer.stage != previous.phase
            ):
                short = self.rubric.stage(last_answer.stage).short
                out.append(
                    self._save(
                        session_id, last_answer.stage, "supplement", self.t["supplement"].format(short=short), []
                    )
                )
            return out
        if action.kind == "probe":
            stage = self.rubric.stage(action.stage)
            element = stage.element(action.element)
            answer_text = last_answer.text if answered_here and last_answer else ""
            citations = self.grounder.for_turn(
                stage, profile, element_id=element.id, answer=answer_text, support_text=answer_text
            )
            parts = [
                self._ack(stage, last_answer),
                f"{self.t['probe_intro']}\n{element.probe}",
                *self._references(citations),
            ]
            out.append(
                self._save(
                    session_id, stage.id, "probe", "\n".join(p for p in parts if p), citations, {"element": element.id}
                )
            )
            return out
        # Leaving a stage (after an answer, a skip or "next"): say what was heard there first.
        if previous is not None and previous.phase in STAGES and previous.phase != action.stage and state is not None:
            out.append(self._close(session_id, previous.phase, state, last_answer))
        if action.kind == "summary":
            assert state is not None
            summary = build_summary(self.rubric, state, self.store.turns(session_id), self.grounder, profile)
            out.append(self._save(session_id, SUMMARY, "summary", self.t["summary"], [], {"summary": summary}))
            return out
        stage = self.rubric.stage(action.stage)
        citations = self.grounder.for_turn(stage, profile)
        revisiting = state is not None and bool(state.stage(stage.id).answers)
        if revisiting and state is not None:
            previous_answers = "\n".join(f"・{a}" for a in state.stage(stage.id).answers)
            body = self.t["revisit"].format(number=stage.number, title=stage.title, previous=previous_answers)
        else:
            body = self.t["open"].format(
                number=stage.number, title=stage.title, intro=stage.intro, question=stage.question
            )
        out.append(
            self._save(session_id, stage.id, "open", "\n".join([body, "", *self._references(citations)]), citations)
        )
        return out
