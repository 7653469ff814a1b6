# One entry point for set-up, briefs, tests and golden files. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AUDIENCE ?= defence
FORMAT ?= md

.PHONY: help brief briefs check test test-slow test-all lint golden bench clean

help:
	@echo "make brief AUDIENCE=defence [FORMAT=md|pdf]  build one brief into build/"
	@echo "make briefs                                 build every audience in every format"
	@echo "make check                                  check the fact base"
	@echo "make test                                   run the fast test suite (what a developer runs)"
	@echo "make test-slow                              run the slow tests: stress, kill-during-build, PDF renders"
	@echo "make test-all                               run every test (CI runs lint, test, test-slow)"
	@echo "make lint                                   ruff (lint and format) and mypy"
	@echo "make golden                                 regenerate the golden files after an intended change"
	@echo "make bench                                  run the benchmarks"

# The virtual environment, rebuilt whenever the pinned dependencies change.
$(BIN)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) scripts/check_system.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

brief: $(BIN)/.installed
	$(BIN)/briefgen build --audience $(AUDIENCE) --format $(FORMAT)

briefs: $(BIN)/.installed
	$(BIN)/briefgen build --all --format md --format pdf

check: $(BIN)/.installed
	$(BIN)/briefgen check

# Tests marked slow (stress, kill-during-build, several PDF renders) are left out of `make test`.
PYTEST := LC_ALL=C.UTF-8 $(BIN)/python -m pytest

test: $(BIN)/.installed
	$(PYTEST) -m "not slow"

test-slow: $(BIN)/.installed
	$(PYTEST) -m slow

test-all: $(BIN)/.installed
	$(PYTEST) -m "slow or not slow"

golden: $(BIN)/.installed
	$(BIN)/python -m tests.golden

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build
