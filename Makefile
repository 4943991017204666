# The two commands of the README: `make lab` (open the course) and `make test` (run every test).
# Both create .venv on first use and install the pinned requirements into it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Jupyter refuses to run as root (containers, CI) unless told it is deliberate.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test hub release bench clean

# The installer is uv (pinned, from PyPI; about ten times faster than pip on a fresh machine): the one
# on PATH if there is one, else a copy installed into .venv by pip. Where neither works, pip does it all.
UV_VERSION := 0.13.10
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@uv=$$(command -v uv || true); \
	if [ -z "$$uv" ] && $(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION); then uv=$(VENV)/bin/uv; fi; \
	if [ -n "$$uv" ]; then \
	  echo "Installing requirements.txt into $(VENV) with $$uv"; \
	  "$$uv" pip install --quiet --python $(PY) -r requirements.txt && \
	  "$$uv" pip install --quiet --python $(PY) --no-deps -e .; \
	else \
	  echo "Installing requirements.txt into $(VENV) with pip"; \
	  $(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt && \
	  $(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .; \
	fi
	@touch $@

# jupyter-config/ holds the course's JupyterLab defaults (no news prompt, no update check).
# LAB_PORT picks the port (default: Jupyter's, 8888 or the next free one); LAB_ARGS adds options,
# e.g. `make lab LAB_PORT=9000 LAB_ARGS=--ServerApp.port_retries=0`.
LAB_PORT ?=
LAB_ARGS ?=
lab: $(STAMP)
	@echo "Starting JupyterLab on course/ (Ctrl-C to stop); open the URL printed below."
	JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter-config $(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --ServerApp.root_dir=course $(ALLOW_ROOT) $(if $(LAB_PORT),--port=$(LAB_PORT)) $(LAB_ARGS)

# ruff first (seconds; configured in pyproject.toml), then every test.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest tests solutions --nbval-lax

# A trial JupyterHub for a class on this machine (root; see docs/jupyterhub.md), e.g.
# make hub HUB_ARGS="/srv/dlcourse/course --users alice,bob --instructor ines --create-users"
HUB_ARGS ?=
hub: $(STAMP)
	$(PY) -m grader hub $(HUB_ARGS)

release: $(STAMP)
	$(PY) -m grader release

# One table: training step, sliders, notebooks, grading, start-up (see benchmarks/bench.py).
bench: $(STAMP)
	$(PY) benchmarks/bench.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
