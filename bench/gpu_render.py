"""Frames per second of the default scene on the CPU vs the best GPU backend (--device auto).

Renders the same N frames twice, once per device, and prints frames/s for each and their ratio.
On a machine with no GPU, auto falls back to the CPU and the ratio is ~1.

    .venv/bin/python bench/gpu_render.py [--n 8] [--quality preview]
"""

import argparse
import json
import tempfile
from pathlib import Path

from render.cluster import Workers
from render.config import DEFAULT_SCENE, load_quality, load_scene
from render.pipeline import render_dataset


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--quality", default="preview")
    a = p.parse_args()
    recipe, quality = load_scene(DEFAULT_SCENE), load_quality(a.quality)
    rows = {}
    for device in ("cpu", "auto"):
        with tempfile.TemporaryDirectory() as tmp:
            pool = Workers(workers=1, device=device)
            _, report = render_dataset(recipe, quality, a.n, Path(tmp), seed=0, workers=pool)
            manifest = json.loads((Path(tmp) / recipe.name / "frames" / "000001" / "manifest.json").read_text())
        rows[device] = (a.n / report.timing_s["render_frames"], manifest["device"])
        print(f"--device {device:4s} ({manifest['device']}): {rows[device][0]:.3f} frames/s", flush=True)
    print(f"\n{a.n} frames, {a.quality} ({quality.resolution[0]}x{quality.resolution[1]}, {quality.samples} spp)")
    print(f"GPU (auto) / CPU frames/s: {rows['auto'][0] / rows['cpu'][0]:.2f}x")


if __name__ == "__main__":
    main()
