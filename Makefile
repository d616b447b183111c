# rxlt: `make study` and `make test` each set up .venv when needed, then do their job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rxlt-installed
KERNEL := $(VENV)/share/jupyter/kernels/rxlt/kernel.json
# JupyterLab settings inside the environment (not ~/.jupyter): open py:percent notebooks as notebooks
LABCONFIG := $(VENV)/etc/jupyter/labconfig/default_setting_overrides.json
LAB_PORT ?= 8888
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_NO_ADVISORY_WARNINGS := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup wordnet fortunes lab study smoke test clean-runs help

help:
	@echo "make study   set up, run the embedded default study, render reports/index.html"
	@echo "make test    set up, run the tests (includes an end-to-end smoke study)"
	@echo "make smoke   set up, run the smoke study only"
	@echo "make lab     set up, start JupyterLab on 127.0.0.1 (LAB_PORT=8888) and print its URL"

setup: $(STAMP) $(KERNEL) $(LABCONFIG) wordnet fortunes

# WordNet 3.0 (Debian wordnet-base) is rs_da's synonym source and the wordnet-gloss intermediate task's data.
# Best effort: without root/apt, rs_da asks for `synonyms_file` instead, and the WordNet tests skip with that message.
wordnet:
	@test -f /usr/share/wordnet/data.noun || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get install -y -qq wordnet-base >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wordnet-base)) \
	  || echo "note: WordNet not installed (apt-get install wordnet-base); rs_da needs it or a synonyms_file"; }

# Debian fortunes (BSD fortune cookie files): the fortune-topic intermediate task's data. Best effort, as wordnet.
fortunes:
	@test -f /usr/share/games/fortunes/science || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get install -y -qq fortunes >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fortunes)) \
	  || echo "note: fortunes not installed (apt-get install fortunes); the fortune-topic task needs it"; }

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

$(LABCONFIG): | $(STAMP)
	$(BIN)/jupytext-config --settings-file $(LABCONFIG) set-default-viewer python

# JupyterLab on loopback with a fresh token; the URL is printed. The token travels in the server's environment
# (JUPYTER_TOKEN, read by jupyter_server's IdentityProvider), never on its command line: any local user can read
# another's argv with `ps`, but /proc/<pid>/environ only as that user. --allow-root matters only for root.
lab: setup
	@TOKEN=$$($(BIN)/python -c "import secrets; print(secrets.token_hex(16))"); \
	echo "JupyterLab: http://127.0.0.1:$(LAB_PORT)/lab/tree/notebooks?token=$$TOKEN"; \
	JUPYTER_TOKEN=$$TOKEN exec $(BIN)/jupyter lab --no-browser --ip 127.0.0.1 --port $(LAB_PORT) \
	  --ServerApp.root_dir=$(CURDIR) --LabApp.news_url=None $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

study: setup
	$(BIN)/rxlt study params/embedded.yaml

smoke: setup
	$(BIN)/rxlt study params/embedded.yaml --smoke

# One pytest-xdist worker per core (TEST_WORKERS=0 runs in this process, e.g. for a debugger).
TEST_WORKERS ?= $(shell python3 -c "import os; print(min(4, os.cpu_count() or 1))")
test: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

clean-runs:
	rm -rf runs reports
