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

# `make serve PORT=8080` to choose the port (HOST likewise; a non-loopback HOST needs
# TOMOBENCH_SECRET_KEY, see docs/deploy.md)
HOST ?= 127.0.0.1
PORT ?= 8000

serve: setup
	$(BIN)/tomobench serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app workers evaluation simulation baselines migrations tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/pytest
