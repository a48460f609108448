"""Texts from ``prompts/<lang>/*.yaml``: every word the interface and the coach say lives in files."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from dxcoach import paths


@lru_cache(maxsize=16)
def load(lang: str, name: str) -> dict[str, Any]:
    path = paths.PROMPTS_DIR / lang / f"{name}.yaml"
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a mapping")
    return data


def ui(lang: str, *keys: str) -> str:
    """A label by its path in ui.yaml, e.g. ``ui("ja", "kinds", "case")``."""
    node: Any = load(lang, "ui")
    for key in keys:
        node = node[key]
    return str(node)
