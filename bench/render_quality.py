"""Old vs new render settings, side by side in one run: time per frame and image quality.

For each recipe the same frames (same root seed, so the same specs but for the render settings)
are rendered three ways through the normal pipeline: a reference (the old settings at 1024 spp,
adaptive threshold 0.005, high-quality denoising), the old preset, and the current preset. It
prints Cycles and wall seconds per frame, PSNR against the reference (whole frame, and inside
the defects' id-pass footprints dilated by 4 px), the ratios, whether every frame's id pass
(the masks) is identical between old and new, and frames per hour as `make render` runs them
(the local cluster chosen from the core count).

    .venv/bin/python bench/render_quality.py [--n 16] [--recipes metal_parts lens screw]
        [--quality preview] [--resolution 256x256] [--set samples=8 --set denoise_quality=high]
        [--references DIR]

--resolution renders all three at a smaller size (the reference dominates the run's time);
leave it out to measure at the preset's own. --set changes a key of the new preset, to measure
a candidate. --references keeps the reference renders in DIR and reuses them in a later run
(the old and new renders are always made afresh).
"""

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from render.cluster import Workers
from render.config import SCENES_DIR, QualityPreset, load_quality, load_scene
from render.frames import frame_dir
from render.image_quality import BEFORE as OLD
from render.image_quality import REFERENCE, compare_frames, frame_ids
from render.pipeline import render_dataset


def render(recipe, quality: QualityPreset, n: int, out: Path) -> tuple[Path, float, float]:
    """(frames root, wall s per frame, Cycles s per frame)."""
    t = time.perf_counter()
    render_dataset(recipe, quality, n, out, seed=0, workers=Workers())
    wall = (time.perf_counter() - t) / n
    root = out / recipe.name
    timings = [json.loads(m.read_text())["timing_s"] for m in (root / "frames").glob("*/manifest.json")]
    return root, wall, sum(f["render_image"] + f["render_ids"] for f in timings) / len(timings)


def mean(values) -> float:
    values = [v for v in values if not math.isnan(v)]
    return sum(values) / len(values) if values else float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=16, help="frames per recipe")
    p.add_argument("--recipes", nargs="*", default=["metal_parts", "lens", "screw"])
    p.add_argument("--quality", default="preview", choices=sorted(OLD))
    p.add_argument("--resolution", help="e.g. 256x256 (default: the preset's)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a key of the new preset")
    p.add_argument("--references", help="keep (and reuse) the reference renders here")
    a = p.parse_args()
    changes = {k: yaml.safe_load(v) for k, v in (kv.split("=", 1) for kv in a.set)}  # "8" -> 8
    if a.resolution:
        changes["resolution"] = [int(v) for v in a.resolution.split("x")]
    new = load_quality(a.quality, **changes)
    old = new.model_copy(update=OLD[a.quality])
    reference = old.model_copy(update=REFERENCE)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        rows = []
        for name in a.recipes:
            recipe = load_scene(SCENES_DIR / f"{name}.yaml")
            ref_root, _, ref_cycles = render(recipe, reference, a.n, Path(a.references or base) / "reference")
            old_root, old_wall, old_cycles = render(recipe, old, a.n, base / "old")
            new_root, new_wall, new_cycles = render(recipe, new, a.n, base / "new")
            frames = list(range(1, a.n + 1))
            q_old, q_new = compare_frames(old_root, ref_root, frames), compare_frames(new_root, ref_root, frames)
            same_masks = all(np.array_equal(frame_ids(frame_dir(old_root, i)), frame_ids(frame_dir(new_root, i)))
                             for i in frames)
            rows.append((name, old_cycles, new_cycles, old_wall, new_wall,
                         mean(q.psnr for q in q_old), mean(q.psnr for q in q_new),
                         mean(q.psnr_defects for q in q_old), mean(q.psnr_defects for q in q_new), same_masks))
            print(f"{name}: reference {ref_cycles:.1f} s/frame; old {old_cycles:.1f}, new {new_cycles:.1f} "
                  f"Cycles s/frame", flush=True)
    w, h = new.resolution
    print(f"\n{a.n} frames per recipe, {w}x{h}; old: {OLD[a.quality]}; new: samples {new.samples}, adaptive "
          f"{new.adaptive_threshold}, denoise {new.denoise_quality}, light tree {new.light_tree}; reference: "
          f"old with {REFERENCE} (its Cycles time is from the run that rendered it)")
    print("| recipe | Cycles s/frame old | new | old/new | wall s/frame old | new | old/new | frames/hour old | new "
          "| PSNR frame old | new | change | PSNR defects old | new | change | masks identical |")
    print("|---|" + "---|" * 15)
    for (name, oc, nc, ow, nw, po, pn, do, dn, same) in rows:
        print(f"| {name} | {oc:.2f} | {nc:.2f} | x{oc / nc:.2f} | {ow:.2f} | {nw:.2f} | x{ow / nw:.2f} | "
              f"{3600 / ow:.0f} | {3600 / nw:.0f} | {po:.2f} | {pn:.2f} | {pn - po:+.2f} dB | {do:.2f} | {dn:.2f} | "
              f"{dn - do:+.2f} dB | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
