# The two commands a newcomer needs: `make report` and `make test`.
# Both create .venv on first use and reinstall only when pyproject.toml or
# the pinned versions in constraints.txt change.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: report test test-fast lint format venv lab lab-setup lab-kernel lab-filter lock demo-data clean

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

# JupyterLab for researchers (not needed for reports): the `lab` extra installed once (its own
# stamp, redone when pyproject.toml or constraints.txt change), the named kernel `welcome-eval`,
# the nbstripout git filter, then Lab at the project root with notebooks/start_hier.ipynb open
# and the file browser in arbeit/ (the researcher's own, git-ignored notebooks).
# `make lab-setup` does everything but start Lab.
LAB_STAMP   := $(VENV)/.lab-installed-stamp
KERNEL_NAME := welcome-eval
# Jupyter's per-user data directory as jupyter_core computes it on Linux: a kernel registered
# there is found by this venv's JupyterLab and by a JupyterLab from any other environment.
JUPYTER_USER_DIR = $${JUPYTER_DATA_DIR:-$${XDG_DATA_HOME:-$$HOME/.local/share}/jupyter}
# What JupyterLab adds to a notebook's metadata on Run All; with the outputs and execution
# counts nbstripout removes it on `git add`, keeping cell ids, tags and the kernelspec.
STRIP_KEYS  := metadata.language_info.codemirror_mode metadata.language_info.file_extension \
	metadata.language_info.mimetype metadata.language_info.nbconvert_exporter \
	metadata.language_info.pygments_lexer metadata.language_info.version
NBSTRIPOUT   = "$(abspath $(BIN))/python" -m nbstripout --keep-id --extra-keys "$(STRIP_KEYS)"
# Jupyter refuses to start as root (containers, CI) unless told.
LAB_ROOT     = $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS    ?=

$(LAB_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e ".[dev,lab]"
	@touch $(LAB_STAMP)

# Registered again only when missing or pointing at another python (e.g. another clone).
lab-kernel:
	@grep -qsF '"$(abspath $(BIN))/python"' "$(JUPYTER_USER_DIR)/kernels/$(KERNEL_NAME)/kernel.json" \
	|| $(BIN)/python -m ipykernel install --user --name $(KERNEL_NAME) \
		--display-name "Python (welcome-eval)"

# The filter named in .gitattributes; a clone without it commits notebooks unfiltered.
lab-filter:
	@git rev-parse --git-dir >/dev/null 2>&1 || { echo "not a git repository: no nbstripout filter"; exit 0; }; \
	git config filter.nbstripout.clean '$(NBSTRIPOUT)' \
	&& git config filter.nbstripout.smudge cat \
	&& git config diff.ipynb.textconv '$(NBSTRIPOUT) -t'

lab-setup: $(LAB_STAMP)
	@$(MAKE) --no-print-directory lab-kernel lab-filter

lab: lab-setup
	$(BIN)/jupyter lab --ServerApp.root_dir=. --FileContentsManager.preferred_dir=arbeit \
		--LabApp.default_url=/lab/tree/notebooks/start_hier.ipynb $(LAB_ROOT) $(LAB_ARGS)

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
