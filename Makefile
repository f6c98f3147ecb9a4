# The two commands a newcomer needs: `make report` and `make test`.
# Both create .venv on first use and reinstall only when pyproject.toml or
# the pinned versions in constraints.txt change.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: report test test-fast lint format venv lab lock demo-data clean

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/welcome-eval build

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# The fast tier: everything but the `slow` marker (full builds, kernels, browsers,
# subprocesses, demo-data generators, the full number of property examples and
# the rest of sampled parametrisations). `make test` runs both tiers.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n auto --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# JupyterLab for researchers (not needed for reports or tests).
lab: $(STAMP)
	$(PIP) install -c constraints.txt -e ".[dev,lab]"
	$(BIN)/jupyter lab notebooks/

# Regenerate the pinned versions from a fresh resolution (review the diff).
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip --disable-pip-version-check -q install -e ".[dev,lab]"
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^welcome.eval' > constraints.txt
	rm -rf .lock-venv

# Rewrite the shipped synthetic demo waves (deterministic: same seed, same bytes).
demo-data: $(STAMP)
	$(BIN)/welcome-eval synth --out data/demo

clean:
	rm -rf reports reports.failed .pytest_cache .ruff_cache
