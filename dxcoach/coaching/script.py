"""Session scripts (``dxcoach session --script FILE.yaml``): validated with the line at fault."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dxcoach.coaching.machine import STAGES
from dxcoach.errors import UserError

PROFILE_KEYS = {"company", "industry", "employees", "region", "notes"}


@dataclass(frozen=True)
class Script:
    profile: dict[str, Any]
    answers: dict[str, list[str]]


class _Bad(Exception):
    def __init__(self, node: Node | None, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1 if node is not None else 1


def _mapping(node: Node, what: str) -> list[tuple[ScalarNode, Node]]:
    if not isinstance(node, MappingNode):
        raise _Bad(node, f"{what} はキーと値の組（mapping）で書いてください")
    pairs = []
    for key, value in node.value:
        if not isinstance(key, ScalarNode):
            raise _Bad(key, f"{what} のキーが正しくありません")
        pairs.append((key, value))
    return pairs


def _scalar(node: Node, what: str) -> str:
    if not isinstance(node, ScalarNode):
        raise _Bad(node, f"{what} は文字列で書いてください")
    return str(node.value).strip()


def _parse(root: Node | None) -> Script:
    if root is None:
        raise _Bad(None, "ファイルが空です")
    top = dict((k.value, (k, v)) for k, v in _mapping(root, "スクリプト"))
    for name, (key, _) in top.items():
        if name not in ("profile", "answers"):
            raise _Bad(key, f"不明なキーです: {name}（profile と answers だけが使えます）")
    if "profile" not in top:
        raise _Bad(root, "profile がありません")
    if "answers" not in top:
        raise _Bad(root, "answers がありません")
    profile: dict[str, Any] = {}
    for key, value in _mapping(top["profile"][1], "profile"):
        if key.value not in PROFILE_KEYS:
            raise _Bad(key, f"profile の不明なキーです: {key.value}")
        text = _scalar(value, f"profile.{key.value}")
        if key.value == "employees":
            if not text.isdigit():
                raise _Bad(value, f"employees は0以上の整数で書いてください: {text}")
            profile["employees"] = int(text)
        else:
            profile[key.value] = text
    for required in ("company", "industry"):
        if not profile.get(required):
            raise _Bad(top["profile"][1], f"profile.{required} は必須です")
    answers: dict[str, list[str]] = {}
    answers_node = top["answers"][1]
    for key, value in _mapping(answers_node, "answers"):
        if key.value not in STAGES:
            raise _Bad(key, f"不明な段階です: {key.value}（使えるのは {', '.join(STAGES)}）")
        if not isinstance(value, SequenceNode) or not value.value:
            raise _Bad(value, f"answers.{key.value} は1つ以上の回答のリストで書いてください")
        items = []
        for item in value.value:
            text = _scalar(item, f"answers.{key.value} の回答")
            if not text:
                raise _Bad(item, f"answers.{key.value} に空の回答があります")
            items.append(text)
        answers[key.value] = items
    if not answers:
        raise _Bad(answers_node, "answers に回答がありません")
    return Script(profile, answers)


def load_script(path: Path) -> Script:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"スクリプトを読めません: {path}: {exc}") from exc
    try:
        return _parse(yaml.compose(raw))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise UserError(f"{path}:{line}: YAMLの書き方が正しくありません: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: YAMLの書き方が正しくありません: {exc}") from exc
    except _Bad as exc:
        raise UserError(f"{path}:{exc.line}: {exc}") from exc
