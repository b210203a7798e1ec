# trustflux: `make run` runs the main job on the embedded default, `make test` runs the whole suite.
# Needs only Python >= 3.11 and make; everything else comes from the lock files.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: run test lint typecheck unit install install-dev lock bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Error: Python 3.11 or newer is needed (python3 --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(PIP) install --quiet -r requirements.lock
	$(PIP) install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.lock
	$(PIP) install --quiet -r requirements-dev.lock
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/trustflux run

test: install-dev lint typecheck unit

lint: install-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install-dev
	$(BIN)/mypy

unit: install-dev
	$(BIN)/pytest

bench: install-dev
	$(BIN)/python benchmarks/ingest.py

# Maintainers only (needs uv): refresh the lock files after editing pyproject.toml.
lock:
	uv pip compile pyproject.toml --universal -p 3.11 --generate-hashes -q -o requirements.lock
	uv pip compile pyproject.toml --extra dev --extra spark --universal -p 3.11 --generate-hashes -q -o requirements-dev.lock

clean:
	rm -rf $(VENV) .trustflux .pytest_cache .mypy_cache .ruff_cache
