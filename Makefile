# Two commands set up everything on a fresh Debian machine with Python 3.11:
#   make test   creates .venv, installs chainrule with its test extras, Graphviz and Chromium,
#               runs ruff and pytest
#   make demo   the same set-up, then the tour of demos (pictures land in out/) and its
#               gallery, out/index.html
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

# the tour: every numbered demo in order (pictures land in out/), then the gallery out/index.html
demo: $(STAMP)
	@for demo in demos/[0-9][0-9]_*.py; do \
		echo; echo "=== $$demo"; $(BIN)/python $$demo out || exit 1; \
	done
	@echo; $(BIN)/python demos/gallery.py out

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache
