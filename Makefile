# One entry point for set-up, briefs, tests and golden files. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
AUDIENCE ?= defence
FORMAT ?= md

.PHONY: help brief briefs check test test-slow test-browser test-all lint golden bench clean

help:
	@echo "make brief AUDIENCE=defence [FORMAT=md|pdf|html]  build one brief into build/"
	@echo "make briefs                                 build every audience in every format"
	@echo "make check                                  check the fact base"
	@echo "make test                                   run the fast test suite (what a developer runs)"
	@echo "make test-slow                              run the slow tests: stress, kill-during-build, PDF renders"
	@echo "make test-browser                           open the HTML briefs in headless Chromium (needs Debian's chromium; fetches axe-core with npm)"
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
	$(BIN)/briefgen build --all --format md --format pdf --format html

check: $(BIN)/.installed
	$(BIN)/briefgen check

# Tests marked slow (stress, kill-during-build, several PDF renders) are left out of `make test`.
PYTEST := LC_ALL=C.UTF-8 $(BIN)/python -m pytest

# The fast suite on every core (pytest-xdist): each test is isolated in its own tmp_path already.
test: $(BIN)/.installed
	$(PYTEST) -n auto -m "not slow and not browser"

test-slow: $(BIN)/.installed
	$(PYTEST) -m slow

# The browser tests drive Debian's chromium through playwright (never `playwright install`: no download)
# and inject axe-core, fetched once with npm at a pinned version and checked against its digest.
AXE_VERSION := 4.14.1
AXE_SHA256 := e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
AXE_DIR := .cache/axe-core-$(AXE_VERSION)

$(AXE_DIR)/axe.min.js:
	@command -v npm >/dev/null || { echo "npm is needed once to fetch axe-core $(AXE_VERSION) (apt-get install npm)" >&2; exit 1; }
	mkdir -p $(AXE_DIR)
	cd $(AXE_DIR) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	echo "$(AXE_SHA256)  $(AXE_DIR)/axe-core-$(AXE_VERSION).tgz" | sha256sum -c --quiet
	tar -xzf $(AXE_DIR)/axe-core-$(AXE_VERSION).tgz -C $(AXE_DIR) --strip-components=1 package/axe.min.js package/LICENSE
	rm $(AXE_DIR)/axe-core-$(AXE_VERSION).tgz

test-browser: $(BIN)/.installed $(AXE_DIR)/axe.min.js
	@test -x "$${BRIEFGEN_CHROMIUM:-/usr/bin/chromium}" || { echo "install Debian's chromium (apt-get install chromium) or set BRIEFGEN_CHROMIUM" >&2; exit 1; }
	BRIEFGEN_AXE_JS=$(AXE_DIR)/axe.min.js $(PYTEST) -m browser

test-all: $(BIN)/.installed $(AXE_DIR)/axe.min.js
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
