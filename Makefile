# `make chat` and `make test` set up .venv on first use (CPU-only torch, then the project
# with its dev extra) and reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
TORCH_VERSION ?= 2.13.0
# PyPI's Linux torch wheels bundle CUDA libraries (several GB); this index has CPU-only builds.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: chat run test test-unit lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# A CPU wheel from pip's local find-links if there is one, otherwise from the CPU index.
	$(BIN)/pip install --quiet --no-index --no-deps "torch==$(TORCH_VERSION)" 2>/dev/null \
		|| $(BIN)/pip install --quiet --no-deps --index-url $(TORCH_CPU_INDEX) "torch==$(TORCH_VERSION)"
	# With torch in place, this adds its pure-Python dependencies and keeps the CPU build.
	$(BIN)/pip install --quiet "torch==$(TORCH_VERSION)" -e ".[dev]"
	touch $(STAMP)

chat: $(STAMP)
	$(BIN)/python -m bot chat

run: $(STAMP)
	$(BIN)/python -m bot

test: $(STAMP)
	$(BIN)/python -m pytest

test-unit: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV)
