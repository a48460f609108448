from __future__ import annotations

from pathlib import Path

import pytest

from dxcoach.coaching.script import load_script
from dxcoach.errors import UserError

GOOD = """profile:
  company: 株式会社サンプル運送
  industry: 運輸業
  employees: 45
  region: 熊本県
answers:
  purpose: ["最初の答え", "追加の質問への答え"]
  data:
    - データの答え
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_script(tmp_path: Path) -> None:
    script = load_script(write(tmp_path, GOOD))
    assert script.profile == {
        "company": "株式会社サンプル運送",
        "industry": "運輸業",
        "employees": 45,
        "region": "熊本県",
    }
    assert script.answers == {"purpose": ["最初の答え", "追加の質問への答え"], "data": ["データの答え"]}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD.replace("  data:", "  dreams:"), 8, "不明な段階です: dreams"),
        (GOOD.replace('["最初の答え", "追加の質問への答え"]', "[]"), 7, "1つ以上"),
        (GOOD.replace('"最初の答え"', '""'), 7, "空の回答"),
        (GOOD.replace("employees: 45", "employees: many"), 4, "employees"),
        (GOOD.replace("  company: 株式会社サンプル運送\n", ""), 2, "company"),
        (GOOD.replace("answers:", "answerz:"), 6, "不明なキー"),
        (GOOD + "  gap: [unclosed\n", 11, "YAML"),
        ("- just\n- a list\n", 1, "mapping"),
        ("", 1, "空"),
        (GOOD.replace("profile:", "profile:\n  colour: red"), 2, "colour"),
    ],
)
def test_bad_scripts_name_the_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    with pytest.raises(UserError) as err:
        load_script(write(tmp_path, text))
    message = str(err.value)
    assert f"s.yaml:{line}:" in message and words in message, message
    assert "\n" not in message


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="見つかりません"):
        load_script(tmp_path / "nope.yaml")
