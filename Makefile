# Two commands set up everything on a fresh Debian machine with Python 3.11:
#   make demo   creates .venv with only what the demos need (chainrule, matplotlib, graphviz,
#               scikit-learn for the digits), then the tour of demos (pictures land in out/)
#               and its gallery, out/index.html. Graphviz's `dot` is installed when it can be
#               (root and apt-get); without it the demos say how to get it and draw the rest.
#   make test   the demos' set-up plus the test tools (pytest, torch, Playwright), Graphviz and
#               Chromium, then runs ruff and pytest
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_STAMP := $(VENV)/.demo-stamp
TEST_STAMP := $(VENV)/.test-stamp

.PHONY: setup test demo bench lint clean

setup: $(TEST_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demos]'
	bash .ci/install-graphviz --soft
	touch $(DEMO_STAMP)

# everything the demos have, and the tools and browser the tests need
$(TEST_STAMP): $(DEMO_STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,demos,bench]'
	bash .ci/install-graphviz
	bash .ci/install-chromium
	touch $(TEST_STAMP)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# the tour: every numbered demo in order (pictures land in out/), then the gallery out/index.html
demo: $(DEMO_STAMP)
	@for demo in demos/[0-9][0-9]_*.py; do \
		echo; echo "=== $$demo"; $(BIN)/python $$demo out || exit 1; \
	done
	@echo; $(BIN)/python demos/gallery.py out

bench: $(TEST_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache
