"""Does our data make a detector find more real defects? The U-Net proxy on a real dataset.

1. Learning curve: real-only AP against the number of real train images (default 2%..100%),
   to pick a few-real size and a training budget where AP still clearly rises with more real
   data (a small model trained briefly saturates early, and then nothing can show an effect).
2. Arms, each over several seeds (mean and std of segm AP and AP50, and run time):
   (a) real only  (b) synthetic only  (c) real + synthetic  (d) real + copy-paste
   (e) few real + synthetic  (f) the same few real alone.
Synthetic and copy-paste splits are capped at 5x the real train images they join.

    .venv/bin/python bench/downstream.py --real ../shared/data/magnetic_tile \\
        --synthetic out/magnetic_tile/train [--seeds 0 1 2] [--iters 1000] [--size 128] [--few 0.1]

The synthetic split must carry the real dataset's category names (render it with a recipe
for that dataset, or `defectsynth compose` it with a mapping).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from render.dataset.augment import copy_paste
from render.dataset.subset import image_count, subset_split
from render.errors import UserError
from render.evaluate import require_torch
from render.evaluate.metrics import mean_std
from render.evaluate.runner import evaluate


def run(train: list[Path], val: Path, out: Path, seed: int, a) -> dict:
    return evaluate(train, val, out, model="unet", seed=seed, iters=a.iters, size=a.size, overlays=0,
                    log=lambda *_: None)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--real", type=Path, required=True, help="dataset dir with train/ and val/")
    p.add_argument("--synthetic", type=Path, help="synthetic train split (real category names)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--iters", type=int, default=1000)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--fractions", type=float, nargs="*", default=[0.02, 0.05, 0.1, 0.25, 1.0],
                   help="learning-curve points; none (a bare --fractions) skips the curve")
    p.add_argument("--few", type=float, default=0.1, help="fraction of real train images for arms (e), (f)")
    p.add_argument("--curve-only", action="store_true")
    a = p.parse_args()
    try:
        require_torch("bench/downstream.py")
    except UserError as e:
        sys.exit(f"error: {e}")
    real_train, val = a.real / "train", a.real / "val"
    n_real = image_count(real_train)
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if a.fractions:
            print(f"learning curve, real only ({a.iters} iters, size {a.size}, seed {a.seeds[0]}):")
        for f in a.fractions:
            n = max(1, round(f * n_real))
            sub = subset_split(real_train, tmp / f"curve_{n}", n, seed=a.seeds[0])
            r = run([sub], val, tmp / f"ev_curve_{n}", a.seeds[0], a)
            print(f"  {n:5d} real images ({f:5.0%}): segm AP {r['segm']['AP']:.4f}  AP50 {r['segm']['AP50']:.4f}"
                  f"  ({r['total_s']:.0f} s)", flush=True)
        if a.curve_only or a.synthetic is None:
            return
        n_few = max(1, round(a.few * n_real))
        n_syn = image_count(a.synthetic)
        arms = {}
        for seed in a.seeds:
            few = subset_split(real_train, tmp / f"few_{seed}", n_few, seed=seed)
            cp = tmp / f"cp_{seed}"
            copy_paste(real_train, cp, min(n_syn, 5 * n_real), seed=seed)
            syn_full = subset_split(a.synthetic, tmp / f"syn_{seed}", min(n_syn, 5 * n_real), seed=seed)
            syn_few = subset_split(a.synthetic, tmp / f"synfew_{seed}", min(n_syn, 5 * n_few), seed=seed)
            plan = {
                "(a) real only": [real_train],
                "(b) synthetic only": [syn_full],
                "(c) real + synthetic": [real_train, syn_full],
                "(d) real + copy-paste": [real_train, cp],
                f"(e) {n_few} real + synthetic": [few, syn_few],
                f"(f) {n_few} real alone": [few],
            }
            for name, train in plan.items():
                r = run(train, val, tmp / f"ev_{seed}_{len(arms)}_{name[:3]}", seed, a)
                arms.setdefault(name, []).append(r)
                print(f"  seed {seed} {name:28s} segm AP {r['segm']['AP']:.4f} AP50 {r['segm']['AP50']:.4f}",
                      flush=True)
        print(f"\n| arm | segm AP (mean ± std, {len(a.seeds)} seeds) | segm AP50 | train s |")
        print("|---|---|---|---|")
        for name, rs in arms.items():
            ap, ap_sd = mean_std([r["segm"]["AP"] for r in rs])
            ap50, ap50_sd = mean_std([r["segm"]["AP50"] for r in rs])
            secs, _ = mean_std([r["train_s"] for r in rs])
            print(f"| {name} | {ap:.4f} ± {ap_sd:.4f} | {ap50:.4f} ± {ap50_sd:.4f} | {secs:.0f} |")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
