"""The wheel carries what dxcoach needs to coach: its prompts and the bundled corpus."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_every_package_is_listed_for_the_wheel() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "dxcoach").rglob("__init__.py")}
    assert found <= listed, found - listed


def test_an_installed_wheel_finds_its_prompts_and_corpus(tmp_path: Path) -> None:
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)], check=True)
    (wheel,) = wheels.glob("dxcoach-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in [*(ROOT / "prompts").rglob("*.yaml"), *(ROOT / "corpus").glob("*.md")]:
        top, rest = path.relative_to(ROOT).parts[0], path.relative_to(ROOT / path.relative_to(ROOT).parts[0])
        assert f"dxcoach/_{top}/{rest.as_posix()}" in names, path
    for path in (ROOT / "dxcoach" / "report" / "templates").iterdir():  # the reports' Jinja2 templates
        assert f"dxcoach/report/templates/{path.name}" in names, path
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    probe = (
        "from dxcoach import paths\n"
        "from dxcoach.coaching.rubric import load_rubric\n"
        "from dxcoach.retrieval.corpus import load_documents\n"
        "print(paths.PROMPTS_DIR)\n"
        "print(paths.BUNDLED_CORPUS)\n"
        "print(len(load_rubric('ja').stages), len(load_documents(paths.BUNDLED_CORPUS, 'corpus', 'guidance')))\n"
        "from dxcoach.report.html import render_html\n"
        "data = {'profile': {'company': 'X'}, 'language': 'ja', 'stages': [], 'summary': None}\n"
        "print(render_html(load_rubric('ja'), data).count('class=\"stage-bar\"'))\n"
    )
    # Run from elsewhere, with the installed copy first on the path (not this checkout).
    out = subprocess.run(
        [sys.executable, "-c", probe], env={"PYTHONPATH": str(target)}, cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    prompts, corpus, counts, bars = out.stdout.splitlines()
    assert Path(prompts).is_relative_to(target) and Path(corpus).is_relative_to(target)
    assert counts == f"4 {len(list((ROOT / 'corpus').glob('*.md')))}"
    assert bars == "4"  # the HTML report renders from the templates inside the wheel
