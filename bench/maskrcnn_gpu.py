"""Short Mask R-CNN comparison on a GPU: (a) real train only vs (c) real + synthetic.

torchvision Mask R-CNN R50-FPN trained as the kit trains it (render/evaluate/maskrcnn.py),
scored by COCOeval on the real val split; prints segm/bbox AP per arm and seed.

    .venv/bin/python bench/maskrcnn_gpu.py --real ../shared/data/magnetic_tile \\
        --synthetic out/magnetic_tile/train [--iters 3000] [--size 1024] [--seeds 0 1]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from render.errors import UserError
from render.evaluate import require_torch
from render.evaluate.metrics import mean_std
from render.evaluate.runner import evaluate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--real", type=Path, required=True)
    p.add_argument("--synthetic", type=Path, required=True)
    p.add_argument("--iters", type=int, default=3000)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    a = p.parse_args()
    try:
        require_torch("bench/maskrcnn_gpu.py", vision=True)
    except UserError as e:
        sys.exit(f"error: {e}")
    import torch

    print("device:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU (smoke test only)")
    arms = {"(a) real only": [a.real / "train"], "(c) real + synthetic": [a.real / "train", a.synthetic]}
    results: dict[str, list] = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in a.seeds:
            for name, train in arms.items():
                r = evaluate(train, a.real / "val", Path(tmp) / f"{seed}_{name[:3]}", model="maskrcnn", seed=seed,
                             iters=a.iters, size=a.size, overlays=0, log=lambda *_: None)
                results.setdefault(name, []).append(r)
                print(f"seed {seed} {name}: segm AP {r['segm']['AP']:.4f} AP50 {r['segm']['AP50']:.4f} "
                      f"bbox AP {r['bbox']['AP']:.4f} ({r['train_s']:.0f} s)", flush=True)
    for name, rs in results.items():
        ap, sd = mean_std([r["segm"]["AP"] for r in rs])
        ap50, sd50 = mean_std([r["segm"]["AP50"] for r in rs])
        print(f"{name}: segm AP {ap:.4f} ± {sd:.4f}, AP50 {ap50:.4f} ± {sd50:.4f}")
    print(f"total {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
