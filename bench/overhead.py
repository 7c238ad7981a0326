"""Overhead of a render run: total wall time / Cycles render time, for N preview frames.

The wall time covers what render_dataset does: sampling specs, building meshes, starting
Blender, building scenes, both renders per frame, masks and COCO (not the validation that the
command line runs after it). The Cycles time
is what Blender spends inside its render calls (image render + 1-sample id render). Target:
wall / Cycles <= 1.10. Both are measured in the same run.

    .venv/bin/python bench/overhead.py [--n 20] [--quality preview]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from render.cluster import Workers
from render.config import DEFAULT_SCENE, load_quality, load_scene
from render.pipeline import render_dataset


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--quality", default="preview")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    recipe, quality = load_scene(DEFAULT_SCENE), load_quality(a.quality)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        split, report = render_dataset(recipe, quality, a.n, Path(tmp), a.seed, workers=Workers(workers=1))
        wall = time.perf_counter() - t
        manifests = sorted((Path(tmp) / recipe.name / "frames").glob("*/manifest.json"))
        frames = [json.loads(m.read_text()) for m in manifests]
    image_s = sum(f["timing_s"]["render_image"] for f in frames)
    ids_s = sum(f["timing_s"]["render_ids"] for f in frames)
    build_s = sum(f["timing_s"]["build"] for f in frames)
    t = report.timing_s
    print(f"frames: {a.n} ({a.quality}, {quality.resolution[0]}x{quality.resolution[1]}, {quality.samples} spp)")
    print(f"wall total            {wall:8.1f} s")
    print(f"  image renders       {image_s:8.1f} s  ({image_s / a.n:.2f} s/frame)")
    print(f"  id renders          {ids_s:8.1f} s  ({ids_s / a.n:.2f} s/frame)")
    print(f"  scene updates       {build_s:8.1f} s")
    print(f"  specs + meshes      {t['prepare']:8.1f} s")
    print(f"  masks + COCO        {t['annotate']:8.1f} s")
    print(f"ratio wall / Cycles (image + id renders): {wall / (image_s + ids_s):.3f}  (target <= 1.10)")
    print(f"ratio wall / image renders only:          {wall / image_s:.3f}")


if __name__ == "__main__":
    main()
