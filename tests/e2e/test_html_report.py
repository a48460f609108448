"""The HTML report in a real browser (headless Chromium): it draws, it reads in Japanese, it fetches nothing."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from dxcoach.coaching.rubric import load_rubric
from dxcoach.coaching.transcript import transcript
from dxcoach.report.html import render_html
from tests.e2e.cdp import CHROMIUM, Browser, Page
from tests.report_sessions import GAP, MARKUP, PROFILE, PURPOSE, open_store, run_session

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (`make test` installs it where apt-get and root are available)"
)
WIDTH, HEIGHT = 900, 1400


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    store = open_store(home)
    session_id = run_session(store)
    page = render_html(load_rubric("ja"), transcript(store, session_id), date(2026, 12, 1))
    path = home / "レポート.html"  # a Japanese file name, as the owner's own folder may have
    path.write_text(page, encoding="utf-8")
    return path


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with Browser(tmp_path / "profile") as browser:
        yield Page(browser, WIDTH, HEIGHT)


def non_white_share(png: bytes) -> float:
    from PIL import Image  # Pillow comes with reportlab (a test extra)

    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == (WIDTH, HEIGHT)
    dark = sum(image.point(lambda v: 255 if v < 240 else 0).histogram()[255:])
    return dark / (WIDTH * HEIGHT)


def test_report_renders_japanese_and_fetches_nothing(report_file: Path, page: Page, tmp_path: Path) -> None:
    url = report_file.as_uri()
    page.open(url)
    # The only request is the document itself: no font, image, style or script from anywhere.
    assert page.requested() == [url]

    text = page.evaluate("document.body.innerText")
    assert PROFILE["company"] in text and PURPOSE in text and GAP in text
    assert "4つの問いの対応状況" in text and "DX-Ready チェックリスト" in text and "出典" in text
    assert MARKUP in text  # the owner's markup is text on the page ...
    assert page.evaluate("document.scripts.length") == 0  # ... and never ran or became an element
    assert page.evaluate("document.querySelectorAll('b').length") > 0
    assert page.evaluate("[...document.querySelectorAll('b')].every(b => b.textContent !== '太字')")
    assert page.evaluate("document.querySelectorAll('svg g.stage-bar').length") == 4
    fill = page.evaluate("[...document.querySelectorAll('svg rect.fill')].map(r => r.getBBox().width)")
    assert len(fill) == 4 and any(w > 0 for w in fill)

    shot = page.screenshot()
    (tmp_path / "report.png").write_bytes(shot)
    blank = Page(page.browser, WIDTH, HEIGHT)
    blank.open("about:blank")
    assert non_white_share(blank.screenshot()) == 0
    assert non_white_share(shot) > 0.03  # headings, bars, text: a few percent of the first screen


def test_report_prints_on_a4(report_file: Path, page: Page) -> None:
    from pypdf import PdfReader

    page.open(report_file.as_uri())
    pdf = PdfReader(io.BytesIO(page.pdf()))
    assert len(pdf.pages) >= 4  # the major parts each start a page
    width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    # NFKC: the PDF's text layer may name some kanji by their radical look-alikes (⾥ for 里).
    assert str(PROFILE["company"]) in unicodedata.normalize("NFKC", pdf.pages[0].extract_text())
