# Two entry points for a fresh clone: `make demo` (set up + train + forecast) and `make test`.
# Setup is a virtual environment in .venv with the CPU torch pinned by constraints.txt.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: setup demo test lint clean bench-tune

setup: $(STAMP)

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

demo: setup
	$(PY) -m tsattn.cli train --config configs/etth1_demo.yaml
	$(PY) -m tsattn.cli predict --model outputs/etth1_demo/model --data data/ETTh1.csv --output outputs/etth1_demo/forecast.csv

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check tsattn tests benchmarks
	$(VENV)/bin/mypy tsattn

clean:
	rm -rf $(VENV) outputs mlruns mlflow.db

bench-tune: setup
	$(PY) -m benchmarks.tune_throughput

include benchmarks/Makefile.include
