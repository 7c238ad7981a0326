"""slice and validate on 200 vs 2000 images at 1024x1024: images per second and peak memory.

Both sizes run in the same invocation, each operation in a fresh child process (so its peak
RSS is its own). Memory must not grow with the number of images: the tools stream image by
image. Prints the 2000/200 ratios.

    .venv/bin/python bench/dataset_tools.py [--sizes 200 2000] [--tile 512]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from render.dataset.coco import CocoWriter, categories_from_names, encode_instance

CHILD = """
import json, resource, sys, time
from pathlib import Path
t = time.perf_counter()
op, split, out, tile = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
if op == "slice":
    from render.dataset.slicing import slice_split
    slice_split(split, out, tile=tile, overlap=0.2, keep_empty=0.1)
else:
    from render.dataset.validate import validate_split
    assert validate_split(split).ok
print(json.dumps({"s": time.perf_counter() - t, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_split(root: Path, n: int, side: int = 1024, seed: int = 0) -> Path:
    """n rendered-looking frames (smooth shading, 1-4 defect masks each), written as PNG."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    coco = CocoWriter(root, categories_from_names(["scratch", "dent"]))
    yy, xx = np.mgrid[:side, :side].astype(np.float32) / side
    for i in range(n):
        img = (60 + 120 * (rng.uniform(0.3, 1) * xx + rng.uniform(0.3, 1) * yy) / 2).astype(np.uint8)
        masks = []
        for _ in range(int(rng.integers(1, 5))):
            m = np.zeros((side, side), np.uint8)
            p0 = tuple(int(v) for v in rng.integers(0, side, 2))
            p1 = tuple(int(v) for v in rng.integers(0, side, 2))
            cv2.line(m, p0, p1, 1, int(rng.integers(3, 12)))
            img[m > 0] = 200
            masks.append(m.astype(bool))
        name = f"{i + 1:06d}.png"
        cv2.imwrite(str(root / name), np.dstack([img] * 3), [cv2.IMWRITE_PNG_COMPRESSION, 1])
        image_id = coco.add_image(name, side, side)
        for m in masks:
            coco.add_annotation(image_id, 1, *encode_instance(m, "rle"))
    coco.close()
    return root


def run(op: str, split: Path, out: Path, tile: int) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, op, str(split), str(out), str(tile)],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs=2, default=[200, 2000])
    p.add_argument("--tile", type=int, default=512)
    a = p.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in a.sizes:
            t = time.perf_counter()
            split = make_split(Path(tmp) / f"s{n}", n)
            print(f"made {n} images in {time.perf_counter() - t:.0f} s", flush=True)
            for op in ("validate", "slice"):
                r = run(op, split, Path(tmp) / f"tiles{n}", a.tile)
                results[(op, n)] = r
                print(f"{op:8s} {n:5d} images: {r['s']:7.1f} s  {n / r['s']:6.1f} images/s  peak {r['rss_mb']:6.0f} MB",
                      flush=True)
    small, big = a.sizes
    for op in ("validate", "slice"):
        rs, rb = results[(op, small)], results[(op, big)]
        print(f"{op:8s} {big}/{small}: time x{rb['s'] / rs['s']:.2f} (linear would be x{big / small:.0f}), "
              f"peak memory x{rb['rss_mb'] / rs['rss_mb']:.2f}")


if __name__ == "__main__":
    main()
