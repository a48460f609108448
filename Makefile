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

.PHONY: run test dev lint typecheck bench docs clean

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

test: lint typecheck
	$(PY) -m pytest -q

dev:
	pip install $(TORCH)
	pip install -e '.[test]'

bench: $(VENV)/.installed-test
	$(PY) bench/retrieval.py
	$(PY) bench/speed.py
	$(PY) bench/assessment.py
	$(PY) bench/coaching.py
	$(PY) bench/tui.py

# The sample transcript and report under docs/ are generated, never hand-edited.
docs: $(VENV)/.installed-run
	$(VENV)/bin/dxcoach session --script tests/personas/minato_shokudo.yaml \
		--json docs/sample-session.json --report docs/sample-report.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
