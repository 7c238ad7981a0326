#!/usr/bin/env bash
# The training kit's own data stack (MMDetection 2.28.2 + mmcv-full 1.7.2), in a venv of its
# own outside the checkout: heavy (torch), and never mixed with the tool's environment.
# mmcv-full 1.7.2 ships only a source distribution; it is built once (~10 min on 2 cores)
# and its wheel cached, so later runs skip the build.
set -euo pipefail
CACHE=${DEFECTSYNTH_CACHE:-$HOME/.cache/defectsynth}
ENV=${MMDET_VENV:-$CACHE/mmdet-venv}
WHEELS=$CACHE/wheels
PY=${PYTHON:-python3}

if [ -x "$ENV/bin/python" ] && "$ENV/bin/python" -c "import mmdet, mmcv.ops" >/dev/null 2>&1; then
  echo "mmdet env ready: $ENV"; exit 0
fi
mkdir -p "$WHEELS"
[ -x "$ENV/bin/python" ] || "$PY" -m venv "$ENV"
PIP=("$ENV/bin/pip" install --quiet)
"${PIP[@]}" --upgrade pip wheel
# torch 2.13 (CPU) fails here: mmcv imports torchvision, whose wheels only load beside 2.14.1
"${PIP[@]}" torch==2.14.1 torchvision==0.29.1 'numpy<2' 'opencv-python-headless<4.12' ninja
# mmcv's setup.py needs pkg_resources (setuptools < 70); torch asks for a newer one only to
# build its own extensions, so pip's conflict warning here is expected
"${PIP[@]}" 'setuptools<70' 2>&1 | grep -v "dependency conflicts\|requires setuptools\|dependency resolver" || true

if ! ls "$WHEELS"/mmcv_full-1.7.2-*.whl >/dev/null 2>&1; then
  src=$(mktemp -d)
  # no build isolation: an isolated build env gets a setuptools without pkg_resources
  "$ENV/bin/pip" download --quiet --no-deps --no-binary :all: --no-build-isolation mmcv-full==1.7.2 -d "$src"
  tar -xzf "$src"/mmcv-full-1.7.2.tar.gz -C "$src"
  # torch 2.14's headers need C++20
  sed -i 's/-std=c++14/-std=c++20/g; s/-std=c++17/-std=c++20/g' "$src/mmcv-full-1.7.2/setup.py"
  (cd "$src/mmcv-full-1.7.2" && MMCV_WITH_OPS=1 MAX_JOBS=2 "$ENV/bin/pip" wheel --no-build-isolation --no-deps . -w "$WHEELS")
  rm -rf "$src"
fi
"${PIP[@]}" "$WHEELS"/mmcv_full-1.7.2-*.whl
"${PIP[@]}" mmdet==2.28.2 'numpy<2' 'opencv-python-headless<4.12' 'setuptools<70'
"$ENV/bin/python" -c "import mmdet, mmcv.ops; print('mmdet', mmdet.__version__, 'mmcv', __import__('mmcv').__version__)"
