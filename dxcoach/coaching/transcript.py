"""Run a scripted session headless, and turn any stored session into the transcript JSON (CONTRACT)."""

from __future__ import annotations

from typing import Any

from dxcoach.coaching.coach import Coach
from dxcoach.coaching.kinds import WORDS
from dxcoach.coaching.machine import STAGES, SUMMARY
from dxcoach.coaching.script import Script
from dxcoach.storage.db import Store

CITATION_KEYS = ("id", "source", "title", "kind", "text", "reason", "excerpt", "name", "topic", "quoted", "relevance")


def run_script(coach: Coach, script: Script) -> str:
    """Answer each stage in order; when a stage's answers run out, move on as 'next' would."""
    session_id = coach.new_session(script.profile)
    for stage in STAGES:
        for text in script.answers.get(stage, []):
            phase = coach.replay(session_id).state.phase
            # If the coach already moved on, the remaining answers are kept as supplements to their stage.
            coach.answer(session_id, text, stage=None if phase == stage else stage)
        if coach.replay(session_id).state.phase == stage:
            coach.command(session_id, "next")
    return session_id


def latest_summary(store: Store, session_id: str) -> dict[str, Any] | None:
    for turn in reversed(store.turns(session_id)):
        if turn.kind == "summary":
            summary: dict[str, Any] = turn.data["summary"]
            return summary
    return None


def transcript(store: Store, session_id: str) -> dict[str, Any]:
    row = store.session(session_id)
    stages: dict[str, list[dict[str, Any]]] = {s: [] for s in STAGES}
    for turn in store.turns(row.id):
        if turn.stage == SUMMARY or (turn.role == "owner" and turn.kind not in WORDS):
            continue
        entry: dict[str, Any] = {"role": turn.role, "kind": turn.kind, "text": turn.text}
        if turn.role == "coach":
            entry["citations"] = [{k: c[k] for k in CITATION_KEYS if k in c} for c in turn.data.get("citations", [])]
            if "element" in turn.data:
                entry["probe_element"] = turn.data["element"]
            if "llm" in turn.data:  # worded by a language model, or the notice of why it was not
                entry["llm"] = turn.data["llm"]
        else:
            entry["covered"] = turn.data.get("covered", [])
            if turn.data.get("intent"):  # a question, "already said", "don't know", a correction, yes/no
                entry["intent"] = turn.data["intent"]
        stages[turn.stage].append(entry)
    return {
        "session_id": row.id,
        "profile": row.profile,
        "language": row.language,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "based_on": row.based_on,
        "stages": [{"id": s, "turns": turns} for s, turns in stages.items()],
        "summary": latest_summary(store, row.id),
        "notes": store.notes(row.id),  # the facilitator's, per stage: never in a client report unless asked
    }
