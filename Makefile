# One venv, two verbs: `make serve` runs the service, `make test` runs every check.
# Each installs only what it needs: serving takes the `service` extra (add BASELINES=1 for the
# reference pickers and their PyTorch, ~1.9 GB), testing takes `dev` (service, baselines and
# the test tools).
VENV ?= .venv
BIN = $(VENV)/bin
SERVE_EXTRAS = service$(if $(BASELINES),$(comma)baselines)
comma := ,

.PHONY: setup serve test lint check

setup: $(VENV)/.installed-dev

$(VENV)/.installed-%: pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(subst +,$(comma),$*)]'
	touch $@

# `make serve PORT=8080` to choose the port (HOST likewise; a non-loopback HOST needs
# TOMOBENCH_SECRET_KEY, see docs/deploy.md)
HOST ?= 127.0.0.1
PORT ?= 8000

serve: $(VENV)/.installed-$(subst $(comma),+,$(SERVE_EXTRAS))
	$(BIN)/tomobench serve --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check app workers evaluation simulation baselines migrations tests benchmarks
	$(BIN)/mypy

# the suite in TEST_WORKERS processes (pytest-xdist), each test file whole in one of them (its
# module fixtures built once); every test has its own database, Redis prefix and folders
TEST_WORKERS ?= 2
PYTEST = $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

test: lint
	$(PYTEST)

# the fast lane while working: everything but the slow and browser tests (CI runs `make test`)
check: lint
	$(PYTEST) -m "not slow and not browser"
