# The front door: `make demo` and `make test` work on a fresh clone with Python 3.11, pip and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo demo-data images test lint strip bench clean template

setup: $(VENV)/.installed

# Reinstall whenever the dependency declaration changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# the notebooks' kernel is this environment, registered inside it (nothing global)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (dsm-assess)" > /dev/null
	touch $@

# The demo engagement from its committed files (engagements/demo/, demo-2025/) to reports/demo/.
demo: setup
	$(BIN)/python -m dsm_assess.demo.run

# Make the demo engagements' files again (after a question bank change); commit what it writes.
demo-data: setup
	$(BIN)/python -m dsm_assess.demo.data

# The README's pictures (docs/images/), from the demo's reports: needs LibreOffice and poppler.
images: demo
	$(BIN)/python -m dsm_assess.demo.images

lint: setup
	$(BIN)/ruff check .
	$(BIN)/nbstripout --verify notebooks/*.ipynb

# One worker per core; a worker takes the next test when it is free, so the long end-to-end tests
# (the demo, the README walkthrough, the notebooks) run beside the rest. The nbval plugin is left
# out of these processes (loading it costs each seconds): the notebook tests run nbval in their own.
test: lint
	$(BIN)/python -m pytest -p no:cacheprovider -p no:nbval -n auto --dist worksteal tests

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache

strip: setup
	$(BIN)/nbstripout notebooks/*.ipynb

template: setup
	$(BIN)/python -m dsm_assess.deliver.template
