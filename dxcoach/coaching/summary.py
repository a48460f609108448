"""The readiness summary: per stage what is covered and missing (with the owner's own words),
next actions, support programmes as the sources state them, and the DX-Ready checklist.

Everything in it can be traced to an answer, a rubric line or a cited passage; there is no score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dxcoach import texts
from dxcoach.coaching.machine import STAGES, State
from dxcoach.coaching.rubric import Rubric
from dxcoach.retrieval.normalize import normalize_query
from dxcoach.storage.db import Turn

if TYPE_CHECKING:
    from dxcoach.coaching.grounding import Grounder

MAX_ACTIONS = 5


def _evidence(turns: list[Turn], stage_id: str) -> dict[str, str]:
    """The first sentence of the owner's that showed each element, per stage."""
    found: dict[str, str] = {}
    for turn in turns:
        if turn.role == "owner" and turn.kind == "answer" and turn.stage == stage_id:
            for element, words in turn.data.get("evidence", {}).items():
                found.setdefault(element, words)
    return found


def _cited(turns: list[Turn]) -> dict[str, dict[str, Any]]:
    cited: dict[str, dict[str, Any]] = {}
    for turn in turns:
        for c in turn.data.get("citations", []):
            cited.setdefault(c["id"], c)
    return cited


def build_summary(
    rubric: Rubric, state: State, turns: list[Turn], grounder: Grounder, profile: dict[str, Any]
) -> dict[str, Any]:
    t = texts.load(rubric.lang, "summary")
    stages: dict[str, Any] = {}
    actions: list[dict[str, Any]] = []
    for stage in rubric.stages:
        progress = state.stage(stage.id)
        evidence = _evidence(turns, stage.id)
        covered = [e.id for e in stage.elements if e.id in progress.covered]
        missing = [e.id for e in stage.elements if e.id not in progress.covered]
        stages[stage.id] = {
            "covered": covered,
            "missing": missing,
            "statements": {e: evidence[e] for e in covered if e in evidence},
            "answers": list(progress.answers),
        }
    # The owner's own first step comes first: it is theirs.
    for stage_id, element_id in (("gap", "first_action"), ("data", "first_step")):
        words = stages[stage_id]["statements"].get(element_id)
        if words:
            actions.append(
                {
                    "text": t["own_action"].format(words=words),
                    "stage": stage_id,
                    "element": element_id,
                    "source": "owner",
                    "citation": None,
                }
            )
    # Then the most important missing element of each stage, with a passage that shows why.
    for stage in rubric.stages:
        if len(actions) >= MAX_ACTIONS:
            break
        missing = stages[stage.id]["missing"]
        if not missing:
            continue
        element = stage.element(missing[0])
        found = grounder.searcher.search(element.retrieval_query, k=1)
        citation = None
        if found:
            p = found[0].passage
            citation = {"id": p.id, "title": p.title, "source": p.source, "kind": p.kind}
        actions.append(
            {"text": element.action, "stage": stage.id, "element": element.id, "source": "rubric", "citation": citation}
        )
    return {
        "stages": stages,
        "actions": actions[:MAX_ACTIONS],
        "support_programs": support_programs(rubric, state, turns, grounder),
        "checklist": checklist(rubric, state, turns),
    }


def support_programs(rubric: Rubric, state: State, turns: list[Turn], grounder: Grounder) -> list[dict[str, Any]]:
    """Support passages already cited, plus those the gap and data answers call for, verbatim."""
    from dxcoach.coaching.grounding import support_topics
    from dxcoach.retrieval.search import Filters

    programs: dict[str, dict[str, Any]] = {}
    for cid, c in _cited(turns).items():
        if c["kind"] == "support":
            programs[cid] = {**c, "topic": ""}
    for stage_id in ("gap", "data"):
        stage = rubric.stage(stage_id)
        text = " ".join(state.stage(stage_id).answers)
        for topic in support_topics(stage, text):
            hits = grounder.searcher.search(
                f"{grounder.topics[topic]} {normalize_query(text)[:200]}", k=2, filters=Filters(kinds=("support",))
            )
            for hit in hits:
                p = hit.passage
                programs.setdefault(
                    p.id,
                    {
                        "id": p.id,
                        "title": p.title,
                        "source": p.source,
                        "kind": p.kind,
                        "text": p.text,
                        "topic": grounder.topics[topic],
                    },
                )
    return list(programs.values())


def checklist(rubric: Rubric, state: State, turns: list[Turn]) -> list[dict[str, Any]]:
    """DX-Ready items marked from covered elements and cue words in the owner's answers, with why."""
    answers = normalize_query(" ".join(t.text for t in turns if t.role == "owner" and t.kind == "answer"))
    items = []
    for item in rubric.checklist:
        hits = []
        for ref in item.elements:
            stage_id, element_id = ref.split(".", 1)
            if stage_id in STAGES and element_id in state.stage(stage_id).covered:
                hits.append(ref)
        cues = [c for c in item.cues if c in answers]
        met = (len(hits) == len(item.elements) if item.match == "all" else bool(hits)) or bool(cues)
        items.append(
            {
                "id": item.id,
                "label": item.label,
                "met": met,
                "because": hits + cues,
                "advice": "" if met else item.advice,
            }
        )
    return items
