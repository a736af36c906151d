# latentdims: the two commands are `make figures` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= quick
ONLY ?=
SEED ?= 0
STAMP := $(VENV)/.installed

.PHONY: figures test lab install clean-build help

help:
	@echo "make figures [PROFILE=smoke|quick|paper] [ONLY=<glob>]  regenerate the figures (default quick)"
	@echo "make test                                              pytest + nbval (smoke profile)"
	@echo "make lab                                               JupyterLab on notebooks/"

# The environment: created on first use, reinstalled when pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[jets,dev]"
	@touch $(STAMP)

install: $(STAMP)

figures: $(STAMP)
	$(PY) -m latentdims.reproduce --profile $(PROFILE) --seed $(SEED) $(if $(ONLY),--only '$(ONLY)',)

test: $(STAMP)
	LATENTDIMS_PROFILE=smoke $(PY) -m pytest tests lib/latentdims
	# the notebooks' smoke figures go to build/, so they never overwrite `make figures` output
	LATENTDIMS_PROFILE=smoke LATENTDIMS_FIGURES=$(CURDIR)/build/nbval-figures MPLBACKEND=agg \
		$(PY) -m pytest --nbval-lax -p no:cacheprovider notebooks

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

clean-build:
	rm -rf build
