"""The kinds of turns a session holds, as types (CONTRACT: the transcript's ``kind``).

``StrEnum`` members compare equal to the strings stored in SQLite and written to JSON, so stored
sessions and exported transcripts keep their plain strings.
"""

from __future__ import annotations

from enum import StrEnum


class OwnerKind(StrEnum):
    ANSWER = "answer"  # the owner's words to the stage or the follow-up
    QUESTION = "question"  # the owner asks the coach something (answered first, then the stage goes on)
    SKIP = "skip"
    NEXT = "next"
    BACK = "back"


class CoachKind(StrEnum):
    OPEN = "open"  # a stage's question
    PROBE = "probe"  # asks for a missing element from scratch
    CONFIRM = "confirm"  # checks an element the owner may already have shown, quoting their words
    REPLY = "reply"  # answers the owner's question just before it
    CLOSE = "close"  # what a stage showed, on leaving it
    SUMMARY = "summary"
    SUPPLEMENT = "supplement"  # an answer to an earlier stage was recorded


class IntentKind(StrEnum):
    """What an owner's words do, beyond answering (stored with the turn as ``intent``)."""

    ANSWER = "answer"
    QUESTION = "question"
    ALREADY_SAID = "already_said"
    DONT_KNOW = "dont_know"
    CORRECTION = "correction"
    YES = "yes"
    NO = "no"


WORDS = frozenset({OwnerKind.ANSWER, OwnerKind.QUESTION})  # owner turns that carry the owner's words
ASKING = frozenset({CoachKind.OPEN, CoachKind.PROBE, CoachKind.CONFIRM, CoachKind.REPLY})  # turns with sources
SPOKEN = frozenset({*ASKING, CoachKind.CLOSE})  # the coach's turns of a session (not the summary)
