"""The readiness summary: per stage what is covered and missing (with the owner's own words),
next actions in the owner's terms, the obstacles the owner named with the programmes that answer
them (conditions quoted), and the DX-Ready checklist.

Everything in it can be traced to an answer, a rubric line or a cited passage; there is no score.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dxcoach import texts
from dxcoach.coaching import obstacles
from dxcoach.coaching.kinds import WORDS
from dxcoach.coaching.machine import STAGES, State
from dxcoach.coaching.phrasing import phrase
from dxcoach.coaching.rubric import Rubric
from dxcoach.retrieval.normalize import normalize_query
from dxcoach.storage.db import Turn

if TYPE_CHECKING:
    from dxcoach.coaching.grounding import Grounder

MAX_ACTIONS = 5


def _evidence(turns: list[Turn], stage_id: str) -> dict[str, str]:
    """The owner's first words (a clause) that showed each element, per stage."""
    found: dict[str, str] = {}
    for turn in turns:
        if turn.role == "owner" and turn.kind in WORDS and turn.stage == stage_id:
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
    named = _obstacles(turns, grounder)
    return {
        "stages": stages,
        "actions": _actions(rubric, stages, grounder, t)[:MAX_ACTIONS],
        "obstacles": named,
        "support_programs": _programs(named, turns),
        "checklist": checklist(rubric, state, turns),
    }


def _actions(rubric: Rubric, stages: dict[str, Any], grounder: Grounder, t: dict[str, Any]) -> list[dict[str, Any]]:
    """The owner's own first step first (with the owner's who and when, where given), then the most
    important missing element of each stage, with a passage that shows why."""
    actions: list[dict[str, Any]] = []
    said = stages["data"]["statements"]
    who = phrase(said["people"]) if "people" in said else ""
    for stage_id, element_id in (("gap", "first_action"), ("data", "first_step")):
        words = stages[stage_id]["statements"].get(element_id)
        if not words:
            continue
        answer = next((a for a in stages[stage_id]["answers"] if words in normalize_query(a)), words)
        when = when_of(answer, words)
        # The same words cannot be both what is done and who does it.
        by = "" if who and (phrase(words) in who or who in phrase(words)) else who
        key = "own_action" + ("_who" if by else "") + ("_when" if when else "")
        actions.append(
            {
                "text": t[key].format(what=phrase(words), who=by, when=when),
                "stage": stage_id,
                "element": element_id,
                "source": "owner",
                "citation": None,
            }
        )
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
    return actions


_WHEN = re.compile(
    r"(?:\d+|[一二三四五六七八九十]+)(?:月|か月|ヶ月|カ月|週間|年)(?:から|まで|以内|のうち|後)?"
    r"|(?:(?:今年|来年)の)?(?:春|夏|秋|冬)(?:から|まで|ごろ)|(?:今年|来年)の(?:春|夏|秋|冬)"
    r"|再来月(?:から)?|来月(?:から)?|今月(?:から)?|今年中|年内|今年度(?:中)?|来年度(?:から)?|来年(?:から)?|今期|来期|来週(?:から)?"
    r"|next (?:month|week|year)|this (?:month|year)|within \w+ (?:months|weeks)|by (?:the end of )?\w+",
    re.IGNORECASE,
)


def when_of(text: str, what: str = "") -> str:
    """The owner's own time words for a step (来月から, 4月から, 今年中), or ''. With ``what`` (the step),
    the time words nearest before it win: 「この春から店に入ったので、4月から講座に通わせて」 → 4月から."""
    text = normalize_query(text)
    found = list(_WHEN.finditer(text))
    at = text.find(what) if what else -1
    before = [m for m in found if m.start() <= at]
    chosen = before[-1] if before else (found[0] if found else None)
    return chosen.group(0) if chosen else ""


def _obstacles(turns: list[Turn], grounder: Grounder) -> list[dict[str, Any]]:
    """Each obstacle the owner named, in the owner's words, with the passages that answer it."""
    text = "\n".join(t.text for t in turns if t.role == "owner" and t.kind in WORDS)
    named = obstacles.find(text)
    out = []
    for obstacle in named:
        programs = grounder.programs_for(obstacle)
        out.append(
            {
                "topic": obstacle.topic.key,
                "label": obstacle.topic.label.get(grounder.lang, obstacle.topic.key),
                "words": obstacle.words,
                "programs": [c.as_json() for c in programs],
            }
        )
    return out


def _programs(named: list[dict[str, Any]], turns: list[Turn]) -> list[dict[str, Any]]:
    """Programmes answering the owner's obstacles (with the conditions quoted), then support
    passages cited during the session. Each carries the passage text verbatim."""
    programs: dict[str, dict[str, Any]] = {}
    for obstacle in named:
        for c in obstacle["programs"]:
            programs.setdefault(c["id"], {**c, "topic": obstacle["label"]})
    for cid, c in _cited(turns).items():
        if c["kind"] in ("support", "talent"):
            programs.setdefault(cid, {**c, "topic": ""})
    return list(programs.values())


def checklist(rubric: Rubric, state: State, turns: list[Turn]) -> list[dict[str, Any]]:
    """DX-Ready items marked from covered elements and cue words in the owner's answers, with why."""
    answers = normalize_query(" ".join(t.text for t in turns if t.role == "owner" and t.kind in WORDS))
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
