"""Render time per frame for every recipe in scenes/ at a quality preset, side by side.

Each recipe renders the same number of frames in this one run; the table gives Cycles time
per frame and its ratio to the default scene's (metal_parts), so users can plan and a recipe
that got much slower stands out.

    .venv/bin/python bench/recipe_times.py [--n 3] [--quality preview] [--recipes metal_parts pcb_1 ...]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from render.cluster import Workers
from render.config import SCENES_DIR, load_quality, load_scene
from render.pipeline import render_dataset


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=3)
    p.add_argument("--quality", default="preview")
    p.add_argument("--recipes", nargs="*", help="only these recipes (names in scenes/; default: all)")
    a = p.parse_args()
    quality = load_quality(a.quality)
    rows = {}
    for path in sorted(SCENES_DIR.glob("*.yaml")):
        if a.recipes and path.stem not in a.recipes:
            continue
        recipe = load_scene(path)
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            render_dataset(recipe, quality, a.n, Path(tmp), seed=0, workers=Workers(workers=1))
            wall = time.perf_counter() - t
            frames = [json.loads(m.read_text())["timing_s"]
                      for m in (Path(tmp) / recipe.name / "frames").glob("*/manifest.json")]
        cycles = sum(f["render_image"] + f["render_ids"] for f in frames) / len(frames)
        rows[recipe.name] = (cycles, wall / a.n)
        print(f"{recipe.name}: {cycles:.1f} s/frame Cycles, {wall / a.n:.1f} s/frame wall", flush=True)
    base = rows.get("metal_parts", next(iter(rows.values())))[0]
    print(f"\n| recipe | Cycles s/frame | wall s/frame | vs metal_parts |  ({a.n} frames each, {a.quality})")
    print("|---|---|---|---|")
    for name, (c, w) in rows.items():
        print(f"| {name} | {c:.1f} | {w:.1f} | x{c / base:.2f} |")


if __name__ == "__main__":
    main()
