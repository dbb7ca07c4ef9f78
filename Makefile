# Two commands set up everything on a fresh Debian machine with Python 3.11:
#   make test   creates .venv, installs chainrule with its test extras, Graphviz and Chromium,
#               runs ruff and pytest
#   make demo   the same set-up, then the main demo (pictures land in out/)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup test demo bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,plots,progress,bench]'
	bash .ci/install-graphviz
	bash .ci/install-chromium
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/python demos/01_one_neuron.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache
