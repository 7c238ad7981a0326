#!/usr/bin/env bash
# Proof that the training kit's data stack reads what defectsynth writes: render a few tiny
# frames, compose them with a real reference train split (../shared/data/magnetic_tile when
# present, categories mapped scratch->crack, dent->blowhole), slice a copy into tiles, and load
# every sample through MMDetection 2.x's CocoDataset with the kit's train pipeline.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${DEFECTSYNTH_CACHE:-$HOME/.cache/defectsynth}
MMPY=${MMDET_VENV:-$CACHE/mmdet-venv}/bin/python
DS=.venv/bin/defectsynth
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

bash tools/mmdet/setup_env.sh
$DS render --scene tests/data/tiny_scene.yaml --n 4 --out "$WORK/render" --resolution 160x128 --samples 4
$DS slice "$WORK/render/tiny/train" --out "$WORK/tiles" --tile 96 --overlap 0.2 --keep-empty 0.5
REF=../shared/data/magnetic_tile/train
if [ -f "$REF/_annotations.coco.json" ]; then
  printf 'scratch: crack\ndent: blowhole\n' > "$WORK/map.yaml"
  $DS compose --reference "$REF" --synthetic "$WORK/render/tiny/train" --synthetic "$WORK/tiles" \
      --out "$WORK/final/train" --include-real --mapping "$WORK/map.yaml"
  $DS validate "$WORK/final/train" --reference "$REF"
else
  echo "no real reference at $REF: composing against the rendered split itself"
  $DS compose --reference "$WORK/render/tiny/train" --synthetic "$WORK/tiles" --out "$WORK/final/train" \
      --include-real
fi
"$MMPY" tools/mmdet/check_dataset.py "$WORK/final/train"
