# gloss: `make run` sets up .venv and opens the app; `make test` sets up and runs the suite.
# The environment is installed from uv.lock, exactly what CI tested: uv itself is pinned and
# bootstrapped into .tools/ with the machine's Python (uv is a PyPI package).
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --locked --python $(PYTHON) --quiet

.PHONY: run test lint contracts bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION)

# --inexact: `make run` after `make test` keeps the test tools instead of removing them.
$(STAMP_RUN): pyproject.toml uv.lock | $(UV)
	$(SYNC) --inexact
	touch $@

$(STAMP_TEST): pyproject.toml uv.lock | $(UV)
	$(SYNC) --extra test --extra bench
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/gloss

lint: $(STAMP_TEST)
	$(BIN)/ruff check store tui tests bench
	$(BIN)/ruff format --check store tui tests bench

# the layers (pyproject.toml [tool.importlinter]): tui -> store.library -> capabilities -> core
contracts: $(STAMP_TEST)
	$(BIN)/lint-imports

# two workers (the machines have two cores; `make test WORKERS=0` runs it in this process),
# each test file whole in one worker, so its module fixtures are set up once
WORKERS ?= 2
test: lint contracts
	$(BIN)/python -m pytest -q -n $(WORKERS) --dist loadfile

bench: $(STAMP_TEST)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache build *.egg-info
