"""The guided coach: stores each owner turn first, then assesses it, decides the next step with the
state machine, grounds its reply in retrieved passages and stores the reply — one pass per reply:
the turns are read once, pending answers assessed (an explicit step), the state replayed once.

A session's state is never stored on its own: it is replayed from the stored turns, so a session
resumes exactly where it stopped, even after a kill between the owner's turn and the reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dxcoach import texts
from dxcoach.coaching import intent, machine, obstacles
from dxcoach.coaching.assess import Assessor
from dxcoach.coaching.grounding import Citation, Grounder, History
from dxcoach.coaching.kinds import SPOKEN, WORDS, CoachKind, IntentKind, OwnerKind
from dxcoach.coaching.machine import (
    MAX_ANSWER_CHARS,
    STAGES,
    SUMMARY,
    Action,
    Answered,
    Asked,
    Back,
    DontKnow,
    Event,
    Next,
    Skip,
    State,
)
from dxcoach.coaching.phrasing import Voice, variant
from dxcoach.coaching.rubric import Element, Rubric, Stage
from dxcoach.coaching.summary import build_summary
from dxcoach.errors import UserError
from dxcoach.llm.brief import Brief
from dxcoach.retrieval.normalize import normalize_text
from dxcoach.storage.db import Store, Turn

if TYPE_CHECKING:
    from dxcoach.llm.writer import LlmWriter, Stream


@dataclass(frozen=True)
class Replay:
    state: State
    action: Action
    pending: bool  # the last stored turn is the owner's: the coach has not answered it yet
    before: State  # the state before that turn (to tell whether it left a stage)


def fold(turns: list[Turn], elements: dict[str, tuple[str, ...]], max_probes: int) -> Replay:
    """The session's state from its stored turns, in one pass. Pure: an answer not yet assessed
    counts for nothing (``Coach.assess_pending`` assesses it first)."""
    state, action = machine.start(elements, max_probes)
    before, pending = state, False
    for turn in turns:
        if turn.role != "owner":
            pending = False
            continue
        before, pending = state, True
        state, action = machine.transition(state, _event(state, turn))
    return Replay(state, action, pending, before)


def _event(state: State, turn: Turn) -> Event:
    if turn.kind in WORDS:
        covered = frozenset(turn.data.get("covered", ()))
        unsure = frozenset(turn.data.get("unsure", {}))
        if turn.stage != state.phase:  # an earlier stage's supplement
            return Answered(turn.text, covered, stage=turn.stage, unsure=unsure)
        if turn.kind == OwnerKind.QUESTION:
            return Asked(str(turn.data.get("rest", "")), covered, unsure)
        if turn.data.get("intent") == IntentKind.DONT_KNOW:
            return DontKnow()
        return Answered(turn.text, covered, unsure=unsure)
    if turn.kind == OwnerKind.SKIP:
        return Skip()
    if turn.kind == OwnerKind.NEXT:
        return Next()
    if turn.kind == OwnerKind.BACK:
        return Back(turn.data.get("target") or None)
    raise ValueError(f"unknown owner turn kind: {turn.kind}")


def _last_coach(turns: list[Turn]) -> Turn | None:
    return next((t for t in reversed(turns) if t.role == "coach"), None)


def stage_reached(store: Store, session_id: str) -> str:
    """The stage of the coach's latest turn: where the owner picks up (store only, no model)."""
    return _stage_of(store.turns(session_id))


def create_session(store: Store, profile: dict[str, Any], lang: str, *, from_last: bool = False) -> str:
    """Store a new session (fast, no model); the coach's opening follows with ``Coach.respond``.

    ``from_last``: the company's last session becomes this one's starting point — its answers are
    shown at each stage, marked as last time's, and count for nothing until the owner answers anew.
    """
    company = str(profile.get("company", "")).strip()
    if not company:
        raise UserError("company_required")
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in profile.items() if v not in (None, "")}
    last = store.last_session(company) if from_last else None
    return store.create_session(clean, lang, based_on=last.id if last else "")


def last_answers(store: Store, session_id: str, stage: str) -> tuple[str, list[str]]:
    """The answers given at ``stage`` in the session this one started from, and that session's date."""
    based_on = store.session(session_id).based_on
    if not based_on:
        return "", []
    try:
        earlier = store.session(based_on)
    except UserError:  # deleted since: nothing to show
        return "", []
    answers = [t.text for t in store.turns(earlier.id) if t.role == "owner" and t.kind == "answer" and t.stage == stage]
    return earlier.created_at[:10], answers


def record_answer(store: Store, session_id: str, text: str, stage: str | None = None) -> Turn:
    """Commit the owner's words before any model or retrieval work (fast enough for the UI thread).

    What the words do is read here, by rules (microseconds): a question is stored as ``question``
    (with the sentences that ask, and the rest); "I already said that", "I don't know", a correction,
    or a yes/no to the coach's check is stored as an ``answer`` with its ``intent``."""
    # Stored as typed (only trimmed): NFKC would turn the owner's ？ into ?. Matching normalises later.
    text = text.replace("\r\n", "\n").strip()
    if not normalize_text(text):
        raise UserError("answer_empty")
    if len(text) > MAX_ANSWER_CHARS:
        raise UserError("answer_too_long", limit=MAX_ANSWER_CHARS)
    turns = store.turns(session_id)
    target = stage or _stage_of(turns)
    if target == SUMMARY:
        raise UserError("answer_at_summary")
    if target not in STAGES:
        raise UserError("stage_unknown", stage=target)
    if stage is not None and stage != _stage_of(turns):  # an earlier stage's supplement: words only
        return store.add_turn(session_id, target, "owner", OwnerKind.ANSWER, text)
    last = _last_coach(turns)
    read = intent.classify(text, checking=last is not None and last.kind == CoachKind.CONFIRM)
    if read.kind == IntentKind.QUESTION:
        data = {"intent": read.kind, "question": read.question, "rest": read.rest}
        return store.add_turn(session_id, target, "owner", OwnerKind.QUESTION, text, data)
    data = {} if read.kind == IntentKind.ANSWER else {"intent": read.kind, "rest": read.rest}
    return store.add_turn(session_id, target, "owner", OwnerKind.ANSWER, text, data)


def _stage_of(turns: list[Turn]) -> str:
    for turn in reversed(turns):
        if turn.role == "coach" and turn.kind != CoachKind.SUPPLEMENT:
            return turn.stage
    return STAGES[0]


class Coach:
    def __init__(
        self,
        store: Store,
        rubric: Rubric,
        assessor: Assessor | None,  # None: a coach for openings only (see factory.open_opening_coach)
        grounder: Grounder,
        max_probes: int = 2,
        writer: LlmWriter | None = None,
    ) -> None:
        self.store = store
        self.writer = writer  # a language model that words open and probe turns; None: guided wording
        self.rubric = rubric
        self.assessor = assessor
        self.grounder = grounder
        self.max_probes = max_probes
        self.t: dict[str, Any] = texts.load(rubric.lang, "coach")

    def labels(self, stage: Stage, ids: list[str]) -> str:
        return str(self.t["list_sep"]).join(stage.element(e).label for e in ids)

    # ---- sessions ---------------------------------------------------------------------------
    def new_session(self, profile: dict[str, Any], *, from_last: bool = False) -> str:
        session_id = create_session(self.store, profile, self.rubric.lang, from_last=from_last)
        self.respond(session_id)
        return session_id

    def replay(self, session_id: str) -> Replay:
        """Where the session stands, from its stored turns (reads only)."""
        return fold(self.store.turns(session_id), self.rubric.element_order(), self.max_probes)

    def assess_pending(self, session_id: str, turns: list[Turn]) -> list[Turn]:
        """Assess the owner's words stored without an assessment (the last turn, or one left by a
        crash) and save the result with the turn. Returns the turns as they now stand."""
        out: list[Turn] = []
        for turn in turns:
            if turn.role == "owner" and turn.kind in WORDS and "covered" not in turn.data:
                data = {**turn.data, **self._assess(turn, out)}
                self.store.update_turn_data(session_id, turn.seq, data)
                turn = Turn(turn.seq, turn.stage, turn.role, turn.kind, turn.text, data)
            out.append(turn)
        return out

    def _assess(self, turn: Turn, before: list[Turn]) -> dict[str, Any]:
        """What one owner turn shows, by what it does: a yes to the coach's check shows the element
        checked, in the words quoted; "already said" takes the closest earlier words of the stage; a
        question is assessed on what it says besides the question; "don't know" and a no show nothing."""
        if self.assessor is None:
            raise RuntimeError("an opening-only coach was asked to assess an answer")
        said = turn.data.get("intent", IntentKind.ANSWER)
        last = _last_coach(before)
        asked = str(last.data.get("element", "")) if last is not None and last.stage == turn.stage else ""
        if said == IntentKind.YES and last is not None and last.kind == CoachKind.CONFIRM and asked:
            return {"covered": [asked], "evidence": {asked: last.data.get("clause", "")}, "scores": {}}
        if said in (IntentKind.NO, IntentKind.DONT_KNOW, IntentKind.YES):
            return {"covered": [], "evidence": {}, "scores": {}}
        if said == IntentKind.ALREADY_SAID:
            earlier = [t.text for t in before if t.role == "owner" and t.kind in WORDS and t.stage == turn.stage]
            clause = self.assessor.best_clause(turn.stage, earlier, asked) if asked and earlier else ""
            if clause:
                return {"covered": [asked], "evidence": {asked: clause}, "scores": {}}
            return {"covered": [], "evidence": {}, "scores": {}}
        words = str(turn.data.get("rest", "")) if turn.kind == OwnerKind.QUESTION else turn.text
        if said == IntentKind.CORRECTION and turn.data.get("rest"):
            words = str(turn.data["rest"])
        result = self.assessor.assess(turn.stage, words) if words.strip() else None
        if result is None:
            return {"covered": [], "evidence": {}, "scores": {}}
        return {
            "covered": sorted(result.covered),
            "evidence": result.evidence,
            "scores": result.scores,
            "unsure": result.unsure,
            "gist": result.gist,
        }

    # ---- owner actions ----------------------------------------------------------------------
    def answer(self, session_id: str, text: str, stage: str | None = None) -> list[Turn]:
        record_answer(self.store, session_id, text, stage)
        return self.respond(session_id)

    def command(
        self, session_id: str, kind: str, target: str | None = None, stream: Stream | None = None
    ) -> list[Turn]:
        """skip / next / back [stage]."""
        if kind not in (OwnerKind.SKIP, OwnerKind.NEXT, OwnerKind.BACK):
            raise UserError("command_unknown", command=kind)
        turns = self.store.turns(session_id)
        state = fold(turns, self.rubric.element_order(), self.max_probes).state
        if kind == "back":
            order = (*STAGES, SUMMARY)
            goal = target or order[max(order.index(state.phase) - 1, 0)]
            if goal not in STAGES or order.index(goal) > order.index(state.phase):
                raise UserError("back_only_earlier", stage=goal)
            target = goal
        if kind == "skip" and state.awaiting is None:
            return []
        turn = self.store.add_turn(session_id, state.phase, "owner", kind, "", {"target": target} if target else {})
        return self._respond(session_id, [*turns, turn], stream)

    def respond(self, session_id: str, stream: Stream | None = None) -> list[Turn]:
        """Say what is due: the opening of a new session, or the reply to the owner's last turn.

        Also what resuming a session calls: it answers a turn stored before a crash or a quit.
        """
        return self._respond(session_id, self.store.turns(session_id), stream)

    def _respond(self, session_id: str, turns: list[Turn], stream: Stream | None = None) -> list[Turn]:
        """One pass: assess what is pending, replay once, ground and word the reply, store it."""
        if turns and turns[-1].role != "owner":
            return []
        turns = self.assess_pending(session_id, turns)
        replay = fold(turns, self.rubric.element_order(), self.max_probes)
        profile = self.store.session(session_id).profile
        return _Reply(self, session_id, profile, turns, replay, stream).turns()


class _Reply:
    """Everything the coach says in reply to one owner turn: the answer to a question first, then a
    follow-up, a check, an example, or a stage's close and the next opening. The turns are stored
    together, in one transaction: a crash never leaves a reply half-said."""

    def __init__(
        self,
        coach: Coach,
        session_id: str,
        profile: dict[str, Any],
        turns: list[Turn],
        replay: Replay,
        stream: Stream | None = None,
    ):
        self.coach, self.session_id, self.profile, self.turns_so_far = coach, session_id, profile, turns
        self.replay, self.stream = replay, stream
        self.said: list[Turn] = []  # the turns of this reply, stored together at the end
        self.t = coach.t
        self.voice = Voice(coach.t)
        last = turns[-1] if turns and replay.pending else None
        self.answer = last if last is not None and last.kind in WORDS else None
        self.history = History.of(turns)
        said = [t for t in turns if t.role == "coach"]
        self.acks = sum(1 for t in said if t.kind in (CoachKind.PROBE, CoachKind.CONFIRM, CoachKind.CLOSE))
        self.probes = sum(1 for t in said if t.kind in (CoachKind.PROBE, CoachKind.CONFIRM))
        # Obstacles are heard in what the owner says, not in what they ask (the reply answers that).
        self.obstacles = obstacles.find(self._words()) if self.answer else []

    def _words(self) -> str:
        """The owner's words besides a question or a correction's opening."""
        if self.answer is None:
            return ""
        if self.answer.kind == OwnerKind.QUESTION or self.answer.data.get("intent") == IntentKind.CORRECTION:
            return str(self.answer.data.get("rest", ""))
        return self.answer.text

    def turns(self) -> list[Turn]:
        self._say()
        return self.coach.store.add_turns(self.session_id, self.said) if self.said else []

    def _say(self) -> None:
        action, state, before = self.replay.action, self.replay.state, self.replay.before
        if action.kind == "noop":
            if self.answer is not None and self.answer.stage != before.phase:
                short = self.coach.rubric.stage(self.answer.stage).short
                self._save(self.answer.stage, CoachKind.SUPPLEMENT, self.t["supplement"].format(short=short), [])
            return
        if action.kind == "reply" or action.reply:
            self._reply(action)
            if action.kind == "reply":
                return
        if action.kind == "example":
            self._example(action)
            return
        if action.kind in ("probe", "confirm"):
            self._probe(action)
            return
        # Leaving a stage (after an answer, a skip or "next"): say what was heard there first.
        if self.replay.pending and before.phase in STAGES and before.phase != action.stage:
            self._close(before.phase, state)
            self.history = History.of([*self.turns_so_far, *self.said])  # the closing turn counts as a turn
        if action.kind == "summary":
            turns = [*self.turns_so_far, *self.said]
            summary = build_summary(self.coach.rubric, state, turns, self.coach.grounder, self.profile)
            self._save(SUMMARY, CoachKind.SUMMARY, self.t["summary"], [], {"summary": summary})
            return
        self._open(action.stage, state)

    # ---- the parts of a turn ------------------------------------------------------------------
    def _ack(self, stage: Stage) -> str:
        """What the coach heard, in the owner's words: named as an element only when clearly shown."""
        if self.answer is None or self.answer.stage != stage.id:
            return ""
        data = self.answer.data
        said = data.get("intent", IntentKind.ANSWER)
        evidence: dict[str, str] = data.get("evidence", {})
        if said == IntentKind.ALREADY_SAID and evidence:
            element, words = next(iter(evidence.items()))
            return self.voice.already_said(words, element)
        if said == IntentKind.YES and evidence:
            element, words = next(iter(evidence.items()))
            return self.voice.confirmed(words, element)
        if said == IntentKind.NO:
            return variant(self.t["ack_no"], self.acks)
        if said == IntentKind.ALREADY_SAID:  # nothing earlier comes close: thank, and go on
            return variant(self.t["ack_plain"], self.acks)
        known = self.replay.before.stage(stage.id).covered  # what the stage had before this answer
        order = sorted((e.id for e in stage.elements), key=lambda e: e in known)  # new ones first
        text = self.voice.ack(evidence, data.get("scores", {}), str(data.get("gist", "")), order, self.acks)
        if said == IntentKind.CORRECTION:
            text = f"{self.t['ack_correction']}{text}"
        return text[:1].upper() + text[1:]

    def _source_lines(self, citations: list[Citation]) -> tuple[list[str], list[str]]:
        """What the sources say: lines for the question, and lines answering an obstacle (with a lead-in)."""
        lines = self.voice.sources(citations)
        plain = [line for c, line in zip(citations, lines, strict=True) if not c.topic and line]
        helps = [line for c, line in zip(citations, lines, strict=True) if c.topic and line]
        if helps:
            topics = {c.topic for c in citations}
            labels = [
                o.topic.label.get(self.coach.rubric.lang, o.topic.key) for o in self.obstacles if o.topic.key in topics
            ]
            helps.insert(0, self.voice.obstacle_intro(labels))
        return plain, helps

    def _unsure_clause(self, stage_id: str, element_id: str) -> str:
        """The owner's latest words in this stage that may show ``element_id``."""
        for turn in reversed([*self.turns_so_far]):
            if turn.role == "owner" and turn.kind in WORDS and turn.stage == stage_id:
                clause = turn.data.get("unsure", {}).get(element_id)
                if clause:
                    return str(clause)
        return ""

    def _probe(self, action: Action) -> None:
        """A follow-up: a check of what a clause may show (confirm), or a question from scratch (probe).
        The question comes last, after the quotes, so that it is what stays on the screen."""
        stage = self.coach.rubric.stage(action.stage)
        element = stage.element(action.element)
        answer = self._words()
        citations = self.coach.grounder.for_probe(stage, element, self.profile, answer, self.history, self.obstacles)
        plain, helps = self._source_lines(citations)
        clause = self._unsure_clause(stage.id, element.id) if action.kind == "confirm" else ""
        if clause:
            ask, kind, extra = self.voice.confirm(clause, element.id), CoachKind.CONFIRM, {"clause": clause}
        else:
            ask, kind, extra = f"{variant(self.t['probe_intro'], self.probes)}\n{element.probe}", CoachKind.PROBE, {}
        guided = "\n".join(p for p in [self._ack(stage), *plain, *helps, ask] if p)
        text, citations, worded = self._worded(kind, stage, guided, citations, element)
        self._save(stage.id, kind, text, citations, {"element": element.id, **extra, **worded})

    def _reply(self, action: Action) -> None:
        """The answer to the owner's question, from the facts that apply to this owner; when the owner
        asked nothing else, the open question follows, last."""
        assert self.answer is not None
        stage = self.coach.rubric.stage(self.answer.stage)
        question = str(self.answer.data.get("question") or self.answer.text)
        # What the owner said around the question tells which facts apply (「ランサムウェアが心配で…使えますか」).
        rest = str(self.answer.data.get("rest", ""))
        citations = self.coach.grounder.for_question(question, self.profile, stage, self.history, rest)
        lines = self.voice.facts(citations)
        parts = [*lines] if lines else [self.t["reply_none"]]
        if any(c.kind == "support" for c in citations):
            parts.append(self.t["reply_check_terms"])
        extra: dict[str, Any] = {}
        if action.kind == "reply":  # the stage goes on: what is open is asked again
            if action.element:
                element = stage.element(action.element)
                parts.append(f"{variant(self.t['reply_back'], self.acks)}\n{element.probe}")
                extra["element"] = element.id
            else:
                parts.append(f"{variant(self.t['reply_back'], self.acks)}\n{stage.question}")
        guided = "\n".join(p for p in parts if p)
        text, citations, worded = self._worded(CoachKind.REPLY, stage, guided, citations, None, question)
        self._save(stage.id, CoachKind.REPLY, text, citations, {**extra, **worded})

    def _example(self, action: Action) -> None:
        """The owner does not know: one concrete example from a case, an offer to move on, the question again."""
        stage = self.coach.rubric.stage(action.stage)
        element = stage.element(action.element) if action.element else None
        citations = self.coach.grounder.for_example(stage, element, self.profile, self.history)
        lines = self.voice.sources(citations)
        ask = element.probe if element else stage.question
        parts = [variant(self.t["dont_know"], self.acks), *lines, self.t["offer_move_on"], ask]
        text = "\n".join(p for p in parts if p)
        probe_element = element.id if element else (self.replay.state.missing(stage.id) or ("",))[0]
        self._save(stage.id, CoachKind.PROBE, text, citations, {"element": probe_element, "example": True})

    def _open(self, stage_id: str, state: State) -> None:
        stage = self.coach.rubric.stage(stage_id)
        citations = self.coach.grounder.for_open(stage, self.profile, self.history, self.obstacles, self._words())
        answers = state.stage(stage.id).answers
        if answers:  # going back to revise a stage
            previous = "\n".join(f"・{a}" for a in answers)
            head = self.t["revisit"].format(number=stage.number, title=stage.title, previous=previous)
            ask = self.t["revisit_question"]
        else:
            head = self.t["open"].format(number=stage.number, title=stage.title, intro=stage.intro)
            ask = stage.question
        plain, helps = self._source_lines(citations)  # help for an obstacle just named comes first
        day, earlier = ("", []) if answers else last_answers(self.coach.store, self.session_id, stage.id)
        if earlier:  # last time's answers, shown as such: they count only once the owner answers anew
            ask += "\n\n" + self.t["last_time"].format(date=day, previous="\n".join(f"・{a}" for a in earlier))
        guided = "\n".join([*helps, *([""] if helps else []), head, *([""] if plain else []), *plain, "", ask])
        text, citations, extra = self._worded("revisit" if answers else CoachKind.OPEN, stage, guided, citations)
        self._save(stage.id, CoachKind.OPEN, text, citations, extra)

    def _close(self, stage_id: str, state: State) -> None:
        stage = self.coach.rubric.stage(stage_id)
        covered = [e.id for e in stage.elements if e.id in state.stage(stage_id).covered]
        missing = [e.id for e in stage.elements if e.id not in covered]
        labels = self.coach.labels
        if covered and not missing:
            body = self.t["close_complete"].format(short=stage.short, labels=labels(stage, covered))
        elif covered:
            body = self.t["close_partial"].format(
                short=stage.short, covered=labels(stage, covered), missing=labels(stage, missing)
            )
        else:
            body = self.t["close_empty"].format(short=stage.short)
        ack = self._ack(stage) if not self.said else ""  # after a reply, the answer was already taken up
        self._save(stage_id, CoachKind.CLOSE, f"{ack}\n{body}" if ack else body, [])

    # ---- a language model's wording, when one is configured -----------------------------------
    def _worded(
        self,
        kind: str,
        stage: Stage,
        guided: str,
        citations: list[Citation],
        element: Element | None = None,
        question: str = "",
    ) -> tuple[str, list[Citation], dict[str, Any]]:
        """The model words the turn from the same material; on failure the guided wording stands."""
        writer = self.coach.writer
        if writer is None or not writer.ready(stage.id):
            return guided, citations, {}
        written = writer.write(self._brief(kind, stage, citations, element, question), self.stream)
        if written.error:
            return (
                guided,
                citations,
                {"llm": {"model": writer.label, "fallback": written.error}, "notice": writer.notice(written.error)},
            )
        llm = {
            "model": writer.label,
            "cited": list(written.cited),
            "dropped": list(written.dropped),
            "cut": written.cut,
        }
        if written.cut and not written.text:  # stopped before a word arrived: the guided wording, at once
            return guided, citations, {"llm": llm}
        text = f"{written.text}\n{writer.t['cut']}" if written.cut else written.text
        return text, written.sources, {"llm": llm}

    def _brief(
        self, kind: str, stage: Stage, citations: list[Citation], element: Element | None, question: str = ""
    ) -> Brief:
        dialogue = [
            ("owner" if t.role == "owner" else "coach", t.text)
            for t in [*self.turns_so_far, *self.said]
            if (t.role == "owner" and t.kind in WORDS) or (t.role == "coach" and t.kind in SPOKEN)
        ]
        answer = dialogue.pop()[1] if dialogue and dialogue[-1][0] == "owner" else ""
        covered = self.replay.state.stage(stage.id).covered
        lang = self.coach.rubric.lang
        return Brief(
            lang=lang,
            kind=kind,
            stage=stage,
            profile=self.profile,
            covered=[e.label for e in stage.elements if e.id in covered],
            missing=[e.label for e in stage.elements if e.id not in covered],
            sources=citations,
            answer=answer,
            element=element,
            topics=[o.topic.label.get(lang, o.topic.key) for o in self.obstacles],
            history=dialogue,
            question=question,
        )

    def _save(
        self, stage: str, kind: str, text: str, citations: list[Citation], extra: dict[str, Any] | None = None
    ) -> Turn:
        data = {"citations": [c.as_json() for c in citations], **(extra or {})}
        turn = Turn(0, stage, "coach", kind, text.strip(), data)  # stored with the rest of the reply
        self.said.append(turn)
        return turn
