"""The rubric: for each stage its question, why it matters, and the elements a strong answer covers.

Loaded from ``prompts/<lang>/rubric.yaml`` and ``checklist.yaml`` and validated, so that a typo in a
text file fails loudly at start-up rather than in the middle of a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from dxcoach import texts
from dxcoach.coaching.machine import STAGES

# Element ids fixed by the public contract (a stage may add its own).
CONTRACT_ELEMENTS: dict[str, tuple[str, ...]] = {
    "purpose": ("customers", "value", "principles", "society"),
    "vision": ("horizon", "targets", "change"),
    "gap": ("current", "gaps", "causes", "first_action"),
    "data": ("customer_value", "data_sources", "technology", "first_step", "people"),
}


@dataclass(frozen=True)
class Element:
    id: str
    label: str
    description: str
    cues: tuple[str, ...]
    examples: tuple[str, ...]
    probe: str
    action: str
    retrieval_query: str
    requires: str = ""  # a regular expression the owner's words must match to count (e.g. a number)
    near_misses: tuple[str, ...] = ()  # owner sentences that sound close but do NOT show the element


@dataclass(frozen=True)
class Stage:
    id: str
    number: int
    title: str
    short: str
    intro: str
    question: str
    retrieval_query: str
    elements: tuple[Element, ...]

    @property
    def label(self) -> str:
        """How the stage is named in lists and headers: ``2/4 ビジョン``."""
        return f"{self.number}/4 {self.short}"

    def labels(self, element_ids: list[str], sep: str) -> str:
        return sep.join(self.element(e).label for e in element_ids)

    def element(self, element_id: str) -> Element:
        for e in self.elements:
            if e.id == element_id:
                return e
        raise KeyError(element_id)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    label: str
    description: str
    match: str
    elements: tuple[str, ...]
    cues: tuple[str, ...]
    advice: str


@dataclass(frozen=True)
class Rubric:
    lang: str
    stages: tuple[Stage, ...]
    checklist_title: str
    checklist_intro: str
    checklist: tuple[ChecklistItem, ...]

    def stage(self, stage_id: str) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    def element_order(self) -> dict[str, tuple[str, ...]]:
        return {s.id: tuple(e.id for e in s.elements) for s in self.stages}


def _strs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of strings, got {value!r}")
    return tuple(value)


@lru_cache(maxsize=4)
def load_rubric(lang: str) -> Rubric:
    raw = texts.load(lang, "rubric")["stages"]
    stages = []
    for stage_id in STAGES:
        s = raw[stage_id]
        elements = tuple(
            Element(
                id=eid,
                label=str(e["label"]),
                description=str(e["description"]),
                cues=_strs(e["cues"]),
                examples=_strs(e["examples"]),
                probe=str(e["probe"]).strip(),
                action=str(e["action"]).strip(),
                retrieval_query=str(e["retrieval_query"]),
                requires=str(e.get("requires", "")),
                near_misses=_strs(e.get("near_misses") or []),
            )
            for eid, e in s["elements"].items()
        )
        missing = set(CONTRACT_ELEMENTS[stage_id]) - {e.id for e in elements}
        if missing:
            raise ValueError(f"rubric {lang}/{stage_id} lacks contract elements: {sorted(missing)}")
        stages.append(
            Stage(
                stage_id,
                int(s["number"]),
                str(s["title"]),
                str(s["short"]),
                str(s["intro"]).strip(),
                str(s["question"]).strip(),
                str(s["retrieval_query"]),
                elements,
            )
        )
    check = texts.load(lang, "checklist")
    items = tuple(
        ChecklistItem(
            iid,
            str(i["label"]),
            str(i["description"]),
            str(i.get("match", "any")),
            _strs(i.get("elements", [])),
            _strs(i.get("cues", [])),
            str(i["advice"]),
        )
        for iid, i in check["items"].items()
    )
    return Rubric(lang, tuple(stages), str(check["title"]), str(check.get("intro", "")).strip(), items)
