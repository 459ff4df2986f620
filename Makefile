# Two commands: `make demo` and `make test`. Both set up what they need from a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit clean system-deps tools gnmic-background

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP) tools
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

test: gnmic-background $(STAMP) tools lint typecheck system-deps
	$(BIN)/pytest

system-deps:
	bash scripts/system-deps.sh
	bash scripts/netconfd/install.sh

# Kafka broker jars, OpenConfig's gnmi_cli, gnoic (cached under ~/.cache/rom-tools). Exit 3: no
# Java/Go here; the tests that need them say so.
tools:
	bash scripts/tools/kafka.sh fetch >/dev/null || test $$? -eq 3
	bash scripts/tools/gnmi_cli.sh >/dev/null || test $$? -eq 3
	bash scripts/tools/gnoic.sh >/dev/null || test $$? -eq 3

# gnmic (minutes cold) builds detached while the venv, lint, typecheck and the tests run; its tests
# wait for it (docs/tools.md). Cached: returns at once.
gnmic-background:
	bash scripts/tools/gnmic.sh --background || test $$? -eq 3

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
