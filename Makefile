# defectsynth: `make render N=2000` renders the default scene; `make test` runs every test.
# Both create .venv (Python 3.11, the pinned bpy wheel) on first use. `make render` installs only
# what rendering needs; `make test` and the benches add the test tools and PyTorch (a CUDA build,
# ~5.5 GB) once, to the same .venv.
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

.PHONY: install eval-deps browser render test lint bench mmdet-check clean

# one stamp per layer, so `make test` after `make render` adds only the extras
$(VENV)/.installed-render: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-render
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.installed-eval: $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -e '.[dev,eval]'
	touch $@

install: $(VENV)/.installed-render

eval-deps: $(VENV)/.installed-eval

# Debian's Chromium for the report's browser test (skipped, with the reason, if it cannot be installed)
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "note: chromium could not be installed (needs root): the report's browser test will be skipped"

render: install
	$(BIN)/defectsynth render --scene $(SCENE) --n $(N) --out $(OUT) --seed $(SEED) --quality $(QUALITY) \
		--workers $(WORKERS) --device $(DEVICE)

test: eval-deps browser
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check render blender_scripts tests bench

# The training kit's own data stack reads a composed split (builds an MMDetection 2.x env
# under ~/.cache/defectsynth on first use: ~15 min, then seconds).
mmdet-check: install
	bash tools/mmdet/run_check.sh

bench: install
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(OUT) .pytest_cache
