"""Obstacles the owner names (people, money, security, equipment, partners, time) and the
passages that answer them, from ``prompts/obstacles.yaml``.

Detection is by cue words: an obstacle is something the owner says in so many words, and a
missed one costs less than a programme suggested for a problem the owner never had.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from dxcoach import paths
from dxcoach.coaching.assess import sentences
from dxcoach.retrieval.normalize import normalize_query


@dataclass(frozen=True)
class Topic:
    key: str
    label: dict[str, str]
    cues: tuple[str, ...]
    query: str
    kinds: tuple[str, ...]
    passages: tuple[str, ...]  # corpus ids, best first


@dataclass(frozen=True)
class Obstacle:
    topic: Topic
    words: str  # the owner's sentence that names it


@lru_cache(maxsize=1)
def topics() -> tuple[Topic, ...]:
    with (paths.PROMPTS_DIR / "obstacles.yaml").open(encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return tuple(
        Topic(
            key,
            {str(k): str(v) for k, v in t["label"].items()},
            tuple(str(c).lower() for c in t["cues"]),
            str(t["query"]),
            tuple(t["kinds"]),
            tuple(t["passages"]),
        )
        for key, t in raw.items()
    )


def find(text: str) -> list[Obstacle]:
    """The obstacles named in ``text``, in file order, each with the sentence that names it."""
    found = []
    said = sentences(text)
    for topic in topics():
        for sentence in said:
            lowered = normalize_query(sentence).lower()
            if any(cue in lowered for cue in topic.cues):
                found.append(Obstacle(topic, sentence))
                break
    return found
