# Two commands on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all bench install clean

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

## Install, then run the whole default test suite (slow tests excluded; `make test-all` includes them).
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not slow"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --preset real_district --backend highs

clean:
	rm -rf $(VENV) plans build *.egg-info
