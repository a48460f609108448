# make run   — create .venv, install dxcoach, build the model and index, start the TUI
# make test  — create .venv if missing, install test extras, lint, type-check, run the whole suite
# make dev   — install into an existing, activated venv (editable, with test extras)
# make bench — retrieval quality and speed numbers (bench/)

PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# torch first, by its exact version: the CPU build lies on this machine's disk; a plain
# requirement would pull a CUDA build of several GB.
TORCH  := torch==2.13.0

.PHONY: run test dev lint typecheck browser bench docs clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --disable-pip-version-check $(TORCH)
	$(PIP) install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --disable-pip-version-check $(TORCH)
	$(PIP) install --quiet --disable-pip-version-check -e '.[test]'
	touch $(VENV)/.installed-run $@

run: $(VENV)/.installed-run
	$(VENV)/bin/dxcoach index
	$(VENV)/bin/dxcoach

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check dxcoach tests bench

typecheck: $(VENV)/.installed-test
	$(VENV)/bin/mypy dxcoach

# The HTML report's test opens the report in headless Chromium (tests/e2e/test_html_report.py), with a
# Japanese font so that the page draws as an owner sees it. Installed from the Debian archive where
# apt-get and root are at hand; anywhere else nothing is installed and that test is skipped.
BROWSER_PACKAGES := chromium fonts-noto-cjk
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES)

browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		$(APT_INSTALL) >/dev/null || { apt-get update -q >/dev/null && $(APT_INSTALL) >/dev/null; } \
			|| echo "could not install $(BROWSER_PACKAGES): the browser test of the HTML report will be skipped"; \
	else echo "no apt-get or not root: the browser test of the HTML report will be skipped"; fi

test: lint typecheck browser
	$(PY) -m pytest -q

dev:
	pip install $(TORCH)
	pip install -e '.[test]'

bench: $(VENV)/.installed-test
	$(PY) bench/retrieval.py
	$(PY) bench/speed.py
	$(PY) bench/assessment.py
	$(PY) bench/coaching.py
	$(PY) bench/listening.py
	$(PY) bench/intents.py --quiet
	$(PY) bench/tui.py
	$(PY) bench/llm.py
	$(PY) bench/scale.py

# The sample transcript and report under docs/ are generated, never hand-edited.
docs: $(VENV)/.installed-run
	id=$$($(VENV)/bin/dxcoach session --script tests/personas/minato_shokudo.yaml \
		--json docs/sample-session.json --report docs/sample-report.md) && \
	$(VENV)/bin/dxcoach sessions export $$id --format html -o docs/sample-report.html

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
