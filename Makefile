# rxlt: `make study` and `make test` each set up .venv when needed, then do their job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rxlt-installed
KERNEL := $(VENV)/share/jupyter/kernels/rxlt/kernel.json
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_NO_ADVISORY_WARNINGS := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup study smoke test clean-runs help

help:
	@echo "make study   set up, run the embedded default study, render reports/index.html"
	@echo "make test    set up, run the tests (includes an end-to-end smoke study)"
	@echo "make smoke   set up, run the smoke study only"

setup: $(STAMP) $(KERNEL)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is pinned exactly: pip takes a local CPU wheel for 2.13.0 (any other spec pulls a CUDA build).
$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -r requirements.txt -e .
	touch $(STAMP)

$(KERNEL): | $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name rxlt --display-name "Python (rxlt)"

study: setup
	$(BIN)/rxlt study params/embedded.yaml

smoke: setup
	$(BIN)/rxlt study params/embedded.yaml --smoke

test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

clean-runs:
	rm -rf runs reports
