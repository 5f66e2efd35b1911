# One-line wrappers around real commands: each recipe can be run by hand without make.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test test-slow lint format dashboards

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Without espeak-ng and sox there is nothing to pre-render: `yachay serve` then says which
# languages it does not offer, and how to enable them. The same gunicorn server as in
# production, with 2 workers (a laptop's share); `yachay serve --dev` is Flask's own server.
# YACHAY_AUDIO_TEXT_HEADER=1: the phone simulator shows what Quechua/Aymara audio says.
run: install
	$(BIN)/yachay db upgrade
	if command -v espeak-ng >/dev/null && command -v sox >/dev/null; then $(BIN)/yachay audio render; fi
	YACHAY_AUDIO_TEXT_HEADER=1 $(BIN)/yachay serve --workers 2

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

# Regenerate deploy/grafana/dashboards/*.json after changing deploy/grafana/dashboards.py.
dashboards: install
	$(BIN)/python deploy/grafana/dashboards.py
