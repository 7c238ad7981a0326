"""Scaling of local rendering: 2 workers (1 Cycles thread each) vs 1 worker (1 thread), same frames.

Both runs render the same N frames of the default scene from scratch, one after the other, and
each is timed from the call to the finished frames (cluster start-up included). Printed:
  speed-up       = wall(1 worker) / wall(2 workers)                      (target >= 1.8)
  wall / Cycles  = wall x workers / summed Cycles time (image + id renders), per run: how much of
                   the workers' time is not spent inside Cycles           (target <= 1.10)
The two datasets are also compared byte for byte.

    .venv/bin/python bench/scaling.py [--n 16] [--resolution 256] [--samples 16]
"""

import argparse
import tempfile
from pathlib import Path

from render.cluster import Workers
from render.config import DEFAULT_SCENE, load_quality, load_scene
from render.pipeline import render_dataset


def run(recipe, quality, n: int, out: Path, workers: int) -> tuple[float, float, dict]:
    _, report = render_dataset(recipe, quality, n, out, seed=0, workers=Workers(workers=workers, threads=1))
    split = out / recipe.name / "train"
    data = {p.name: p.read_bytes() for p in sorted(split.iterdir())}
    return report.timing_s["render_frames"], report.timing_s["cycles"], data


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--resolution", type=int, default=256)
    p.add_argument("--samples", type=int, default=16)
    p.add_argument("--no-denoise", action="store_true", help="isolate Cycles path tracing from OIDN")
    a = p.parse_args()
    recipe = load_scene(DEFAULT_SCENE)
    quality = load_quality("preview", resolution=(a.resolution, a.resolution), samples=a.samples,
                           denoise=False if a.no_denoise else None)
    with tempfile.TemporaryDirectory() as tmp:
        wall1, cyc1, data1 = run(recipe, quality, a.n, Path(tmp) / "one", 1)
        print(f"1 worker  x 1 thread : {wall1:7.1f} s wall, {cyc1:7.1f} s Cycles", flush=True)
        wall2, cyc2, data2 = run(recipe, quality, a.n, Path(tmp) / "two", 2)
        print(f"2 workers x 1 thread : {wall2:7.1f} s wall, {cyc2:7.1f} s Cycles (summed over workers)")
    print(f"\n{a.n} frames, {a.resolution}x{a.resolution}, {a.samples} spp, denoise {quality.denoise}")
    print(f"speed-up 2 workers / 1 worker: {wall1 / wall2:.2f}x  (target >= 1.8)")
    print(f"wall x workers / summed Cycles: 1 worker {wall1 / cyc1:.3f}, 2 workers {2 * wall2 / cyc2:.3f}"
          "  (target <= 1.10)")
    print(f"Cycles time per frame, 2 workers / 1 worker: {cyc2 / cyc1:.3f}  (>1: the workers slow each other)")
    print(f"datasets byte-identical: {data1 == data2}")


if __name__ == "__main__":
    main()
