# Two commands on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint test-all bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## Install, then plan the bundled sample scenario (Zhugen Town) into plans/zhugen.
demo: $(STAMP)
	$(BIN)/linkage-opt validate configs/zhugen.yaml
	$(BIN)/linkage-opt plan configs/zhugen.yaml --out plans/zhugen --baseline

## Install, then lint (ruff), type-check (mypy), check the import contracts (import-linter), and run the whole
## default test suite (slow tests excluded; `make test-all` includes them).
test: $(STAMP) lint
	$(BIN)/python -m pytest -q -n 2 -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check linkage_opt tests cli.py benchmarks
	$(BIN)/ruff format --check linkage_opt tests cli.py benchmarks
	$(BIN)/mypy linkage_opt
	$(BIN)/lint-imports

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --preset real_district --backend highs

clean:
	rm -rf $(VENV) plans build *.egg-info
