# The two commands of the README: `make lab` (open the course) and `make test` (run every test).
# Both create .venv on first use and install the pinned requirements into it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Jupyter refuses to run as root (containers, CI) unless told it is deliberate.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test release bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

lab: $(STAMP)
	@echo "Starting JupyterLab on course/ (Ctrl-C to stop); open the URL printed below."
	$(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --ServerApp.root_dir=course $(ALLOW_ROOT)

test: $(STAMP)
	$(PY) -m pytest tests solutions --nbval-lax

release: $(STAMP)
	$(PY) -m grader release

bench: $(STAMP)
	$(PY) benchmarks/train_step.py
	$(PY) benchmarks/notebooks.py
	$(PY) benchmarks/sliders.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
