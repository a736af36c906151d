# latentdims: the two commands are `make figures` and `make test` (see README.md and `make help`).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PROFILE ?= quick
ONLY ?=
FIGURE ?=
SEED ?= 0
VERBOSE ?=
SCHEDULER ?=
ARGS ?=
# DRY_RUN=1 (with PROFILE=paper): the paper profile's models, data layout and analyses with its
# counts (steps, samples, seeds, pairs) capped, i.e. the profile paper-dry; see README.md.
DRY_RUN ?=
# The notebooks `make test` runs in the dry run: every model family at the paper's shapes.
DRY_RUN_CI ?= 21* 30* 42* 50* 51*
ifneq ($(DRY_RUN),)
ifeq ($(filter paper paper-dry,$(PROFILE)),)
$(error DRY_RUN=1 goes with PROFILE=paper (got PROFILE=$(PROFILE)); drop DRY_RUN or set PROFILE=paper)
endif
RUN_PROFILE := paper-dry
else
RUN_PROFILE := $(PROFILE)
endif

# The interpreter.  By default the project's own venv, $(VENV)/, created and installed on first use
# (and reinstalled when pyproject.toml changes).  Give PY to use an environment you manage yourself
# (conda, an existing venv): `make figures PY=python` runs the active interpreter and never creates
# or installs anything; it only checks that latentdims imports.
ifeq ($(origin PY),undefined)
PY := $(VENV)/bin/python
ENV_READY := $(VENV)/.installed
else
ENV_READY := check-python
endif

REPRODUCE_ARGS := --profile $(RUN_PROFILE) --seed $(SEED) \
	$(foreach g,$(ONLY),--only '$(g)') $(foreach f,$(FIGURE),--figure '$(f)') \
	$(if $(VERBOSE),--verbose,) $(if $(SCHEDULER),--scheduler '$(SCHEDULER)',) $(ARGS)

.PHONY: figures gallery test lab install check-python clean-build help

help:
	@echo "make figures      run the notebooks and write the figures (profile quick: figures/)"
	@echo "make test         pytest + the notebooks under nbval (profile smoke)"
	@echo "make lab          JupyterLab on notebooks/"
	@echo "make gallery      copy figures/REPORT.md and web-sized figures to gallery/ (to commit)"
	@echo "make install      create $(VENV)/ and install the pinned stack (done by the others)"
	@echo "make clean-build  remove build/ (executed notebooks, logs, other profiles' figures)"
	@echo ""
	@echo "variables (make figures):"
	@echo "  PROFILE=smoke|quick|paper  sizes: seconds a notebook | the default | the documents'"
	@echo "                             (smoke and paper write build/figures-<profile>/, not figures/)"
	@echo "  DRY_RUN=1                  with PROFILE=paper: the paper's shapes, counts capped (a CPU,"
	@echo "                             minutes; profile paper-dry, build/figures-paper-dry/)"
	@echo "  FIGURE=<id> ...            only the notebook(s) making these manifest figures:"
	@echo "                             thesis/figure-6.3, or fig6.3 / tab8.1 when unambiguous"
	@echo "  ONLY=<glob> ...            only the notebooks whose file name matches, e.g. '2*'"
	@echo "  SEED=<n>                   the seed injected into every notebook (default 0)"
	@echo "  VERBOSE=1                  the kernels' output and TensorFlow's C++ logs on the terminal"
	@echo "  SCHEDULER=<where>          the sweeps' Dask cluster: local (default) | inline | tcp://host:8786"
	@echo "  ARGS='...'                 more options of python -m latentdims.reproduce (--help)"
	@echo "variables (every target):"
	@echo "  PY=python                  use the active interpreter (conda, own venv): no $(VENV)/"
	@echo "  VENV=<dir>                 where the project's venv lives (default .venv)"
	@echo "  PYTHON=<python3.11>        the interpreter that creates the venv"
	@echo ""
	@echo "examples:"
	@echo "  make figures PROFILE=smoke                 # proves every notebook runs (minutes)"
	@echo "  make figures FIGURE=thesis/figure-6.3      # one figure (runs its notebook)"
	@echo "  make figures FIGURE='fig6.3 tab8.1'        # two figures"
	@echo "  make figures ONLY='0* 1*' ARGS=--fail-fast"
	@echo "  conda env create -f environment.yml && conda activate latentdims && make figures PY=python"
	@echo "progress: one line per notebook cell on the terminal; the full log (kernel output, times)"
	@echo "  in build/<profile>/reproduce.log; the table of results and figures/REPORT.md at the end."

# The environment: created on first use, reinstalled when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[jets,dev]"
	@touch $@

install: $(ENV_READY)

check-python:
	@$(PY) -c "import latentdims, papermill, pytest" 2>/dev/null || { \
		echo "make: '$(PY)' cannot import latentdims (or papermill, pytest)."; \
		echo "  Install the project into it: $(PY) -m pip install -e '.[jets,dev]'"; \
		echo "  (conda: conda env create -f environment.yml && conda activate latentdims),"; \
		echo "  or leave PY unset to let make create $(VENV)/."; exit 1; }

figures: $(ENV_READY)
	$(PY) -m latentdims.reproduce $(strip $(REPRODUCE_ARGS))

gallery: $(ENV_READY)
	$(PY) -c "from latentdims.report import write_gallery; print('wrote', write_gallery())"

# make test trains one model after another in each process (SCHEDULER=local tests the default
# instead): on a 2-core box the LocalCluster has one worker, so it would add only its start-up.
# tests/test_sweeps.py starts its own clusters.
test: export LATENTDIMS_SCHEDULER = $(or $(SCHEDULER),inline)
test: $(ENV_READY)
	LATENTDIMS_PROFILE=smoke $(PY) -m pytest tests lib/latentdims --durations=15
	# the notebooks' smoke figures go to build/, so they never overwrite `make figures` output
	LATENTDIMS_PROFILE=smoke LATENTDIMS_FIGURES=$(CURDIR)/build/nbval-figures MPLBACKEND=agg \
		$(PY) -m pytest --nbval-lax -p no:cacheprovider notebooks
	# the paper path at the paper's shapes with capped counts (profile paper-dry), one notebook
	# or more of each model family and analysis: DRY_RUN_CI
	$(MAKE) --no-print-directory figures PROFILE=paper DRY_RUN=1 ONLY='$(DRY_RUN_CI)' ARGS=--fail-fast

lab: $(ENV_READY)
	$(PY) -m jupyter lab notebooks/

clean-build:
	rm -rf build
