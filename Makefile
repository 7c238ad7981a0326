# defectsynth: `make render N=2000` renders the default scene; `make test` runs every test.
# Both create .venv (Python 3.11, the pinned bpy wheel) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
N ?= 20
OUT ?= out
SCENE ?= scenes/metal_parts.yaml
SEED ?= 0
QUALITY ?= preview
WORKERS ?= 0
DEVICE ?= cpu

.PHONY: install render test lint bench mmdet-check clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,eval]'
	touch $@

install: $(VENV)/.installed

render: install
	$(BIN)/defectsynth render --scene $(SCENE) --n $(N) --out $(OUT) --seed $(SEED) --quality $(QUALITY) \
		--workers $(WORKERS) --device $(DEVICE)

test: install
	$(BIN)/pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check render blender_scripts tests bench

# The training kit's own data stack reads a composed split (builds an MMDetection 2.x env
# under ~/.cache/defectsynth on first use: ~15 min, then seconds).
mmdet-check: install
	bash tools/mmdet/run_check.sh

bench: install
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(OUT) .pytest_cache
