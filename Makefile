# One-line wrappers around real commands: each recipe can be run by hand without make.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test test-slow lint format

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/yachay db upgrade
	$(BIN)/yachay audio render || echo "warning: Quechua/Aymara audio not pre-rendered (apt-get install espeak-ng sox); the server renders it on demand"
	$(BIN)/yachay serve

# Everything but the slow suites (well under 15 minutes on 2 cores).
test: install
	$(BIN)/pytest

# The slow suites: the tutor evaluated on the public datasets in ../shared/datasets.
test-slow: install
	$(BIN)/pytest -m slow

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

format: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests
