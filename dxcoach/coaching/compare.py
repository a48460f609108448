"""Two sessions of one company side by side: which elements each stage gained and lost, and the answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dxcoach.coaching.machine import STAGES
from dxcoach.coaching.rubric import Rubric
from dxcoach.errors import UserError
from dxcoach.storage.db import Store


@dataclass(frozen=True)
class StageChange:
    stage: str
    before: list[str]  # element ids covered in the earlier session, in rubric order
    after: list[str]
    gained: list[str]
    lost: list[str]
    answers_before: list[str]
    answers_after: list[str]

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def covered_by_stage(transcript: dict[str, Any]) -> dict[str, set[str]]:
    """What each stage's answers covered (an element once shown stays shown, as in the coach)."""
    return {
        s["id"]: {e for t in s["turns"] if t["role"] == "owner" for e in t.get("covered", [])}
        for s in transcript["stages"]
    }


def answers_by_stage(transcript: dict[str, Any]) -> dict[str, list[str]]:
    return {s["id"]: [t["text"] for t in s["turns"] if t["role"] == "owner"] for s in transcript["stages"]}


def compare(rubric: Rubric, earlier: dict[str, Any], later: dict[str, Any]) -> list[StageChange]:
    """Stage by stage, from ``earlier`` to ``later`` (two transcripts of the same company)."""
    a, b = earlier["profile"].get("company"), later["profile"].get("company")
    if a != b:
        raise UserError("compare_other_company", earlier=a, later=b)
    before, after = covered_by_stage(earlier), covered_by_stage(later)
    said_before, said_after = answers_by_stage(earlier), answers_by_stage(later)
    out = []
    for stage_id in STAGES:
        order = [e.id for e in rubric.stage(stage_id).elements]
        old, new = before.get(stage_id, set()), after.get(stage_id, set())
        out.append(
            StageChange(
                stage_id,
                [e for e in order if e in old],
                [e for e in order if e in new],
                [e for e in order if e in new - old],
                [e for e in order if e in old - new],
                said_before.get(stage_id, []),
                said_after.get(stage_id, []),
            )
        )
    return out


def earlier_session(store: Store, session_id: str) -> str | None:
    """The session to compare with: the one this started from, else the company's previous one."""
    row = store.session(session_id)
    if row.based_on and row.based_on in {r.id for r in store.sessions()}:
        return row.based_on
    previous = store.previous_session(row.id)
    return previous.id if previous else None
