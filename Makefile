# One venv, three verbs: `make serve` runs the service, `make test` runs every check.
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: setup serve test lint

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

serve: setup
	$(BIN)/tomobench serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app workers evaluation simulation baselines migrations tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest
