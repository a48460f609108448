"""Session scripts (``dxcoach session --script FILE.yaml``): validated with the line at fault."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dxcoach.coaching.machine import MAX_ANSWER_CHARS, STAGES
from dxcoach.errors import UserError
from dxcoach.retrieval.normalize import normalize_text

PROFILE_KEYS = {"company", "industry", "employees", "region", "notes"}


@dataclass(frozen=True)
class Script:
    profile: dict[str, Any]
    answers: dict[str, list[str]]


class _Bad(Exception):
    """A problem at a node: the key of its message in errors.yaml, and the values (the path and line come later)."""

    def __init__(self, node: Node | None, key: str, /, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values
        self.line = node.start_mark.line + 1 if node is not None else 1


def _mapping(node: Node, field: str) -> list[tuple[ScalarNode, Node]]:
    if not isinstance(node, MappingNode):
        raise _Bad(node, "script_not_mapping", field=field)
    pairs = []
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            raise _Bad(key, "script_bad_key", field=field)
        pairs.append((key, value))
    return pairs


def _scalar(node: Node, field: str) -> str:
    if not isinstance(node, ScalarNode):
        raise _Bad(node, "script_not_text", field=field)
    return str(node.value).strip()


def _answer(node: Node, stage: str) -> str:
    """Checked here, with its line, as ``record_answer`` would check it: a bad answer stores nothing."""
    if not isinstance(node, ScalarNode):
        raise _Bad(node, "script_answer_not_text", stage=stage)
    text = str(node.value).replace("\r\n", "\n").strip()
    if not normalize_text(text):
        raise _Bad(node, "script_answer_empty", stage=stage)
    if len(text) > MAX_ANSWER_CHARS:
        raise _Bad(node, "script_answer_too_long", stage=stage, limit=MAX_ANSWER_CHARS)
    return text


def _parse(root: Node | None) -> Script:
    if root is None:
        raise _Bad(None, "script_empty")
    if not isinstance(root, MappingNode):
        raise _Bad(root, "script_not_a_mapping")
    top = dict((k.value, (k, v)) for k, v in _mapping(root, "script"))
    for name, (key, _) in top.items():
        if name not in ("profile", "answers"):
            raise _Bad(key, "script_unknown_key", name=name)
    if "profile" not in top:
        raise _Bad(root, "script_no_profile")
    if "answers" not in top:
        raise _Bad(root, "script_no_answers")
    profile: dict[str, Any] = {}
    for key, value in _mapping(top["profile"][1], "profile"):
        if key.value not in PROFILE_KEYS:
            raise _Bad(key, "script_unknown_profile_key", name=key.value)
        text = _scalar(value, f"profile.{key.value}")
        if key.value == "employees":
            if not text.isdigit():
                raise _Bad(value, "script_employees_invalid", value=text)
            profile["employees"] = int(text)
        else:
            profile[key.value] = text
    for required in ("company", "industry"):
        if not profile.get(required):
            raise _Bad(top["profile"][1], "script_profile_required", field=required)
    answers: dict[str, list[str]] = {}
    answers_node = top["answers"][1]
    for key, value in _mapping(answers_node, "answers"):
        if key.value not in STAGES:
            raise _Bad(key, "script_unknown_stage", stage=key.value, stages=", ".join(STAGES))
        if not isinstance(value, SequenceNode) or not value.value:
            raise _Bad(value, "script_stage_not_list", stage=key.value)
        answers[key.value] = [_answer(item, key.value) for item in value.value]
    if not answers:
        raise _Bad(answers_node, "script_no_answer")
    return Script(profile, answers)


def load_script(path: Path) -> Script:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError("file_not_found", path=path) from None
    except IsADirectoryError:
        raise UserError("file_is_directory", path=path) from None
    except UnicodeDecodeError:
        raise UserError("script_not_utf8", path=path) from None
    except OSError as exc:
        raise UserError("script_unreadable", path=path, reason=exc) from exc
    try:
        return _parse(yaml.compose(raw))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow raw: NUL, ESC, most control characters
        line = raw.count("\n", 0, exc.position) + 1
        code = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise UserError("script_bad_character", path=path, line=line, code=code) from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise UserError("script_yaml_at", path=path, line=line, reason=exc.problem) from exc
    except yaml.YAMLError as exc:
        raise UserError("script_yaml", path=path, reason=exc) from exc
    except _Bad as exc:
        raise UserError(exc.key, path=path, line=exc.line, **exc.values) from exc
