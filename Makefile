# Two commands set everything up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# circom2 and snarkjs for the repo contract's proofs, from package-lock.json
NODE_STAMP := node_modules/.package-lock.json

.PHONY: run test check lint typecheck unit bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "marketcraft needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(RUN_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: repo-contract proofs (and their tests) need Node.js 18+ and npm"; fi

## run: create .venv, install, migrate ./var/marketcraft.db, load demo data, serve on 127.0.0.1:8000
## (MARKETCRAFT_DEMO=true: the demo's repo setup, refused anywhere else, may be used)
run: $(RUN_STAMP) $(NODE_STAMP)
	$(BIN)/marketcraft db upgrade
	MARKETCRAFT_DEMO=true $(BIN)/marketcraft demo load
	MARKETCRAFT_DEMO=true $(BIN)/marketcraft serve

## test: lint, type-check and run the whole test suite
test: check

check: lint typecheck unit

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

unit: $(DEV_STAMP) $(NODE_STAMP)
	$(BIN)/pytest

## bench: run the benchmarks in bench/ (on demand, never part of the tests)
bench: $(DEV_STAMP) $(NODE_STAMP)
	@$(BIN)/python -c 'import radcad' 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps 'radcad==0.14.0'
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
