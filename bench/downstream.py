"""Does our data make a detector find more real defects? The U-Net proxy on a real dataset.

Arms, each trained with 5 seeds and scored on the real val split (segm AP by COCOeval):
  (a) few real                  the `--few` (10) real train images drawn by the seed
  (b) few real + plain          + 4x as many images rendered from the recipe as it is (the cap:
                                  5x the real images in all)
  (c) few real + fitted         + 4x rendered from the recipe fitted to those few images
  (d) few real + hybrid         + 4x hybrid images made from those few images (and --backgrounds)
  (e) few real + copy-paste     + 4x copy-paste images of those few images
  (f) all real
  (g) all real + hybrid         + hybrid images up to the cap (4x all real), made from all real
  (h) hybrid only               the images of (g) without the real ones
  (i) all real + plain          + images rendered from the recipe as it is, up to the cap (to see
                                  what plain synthetic data does to an all-real detector)
  (j) few real + hybrid's bases + the photographs (d)'s hybrid images were made on, each with its
                                  own annotations and nothing rendered: the control that tells
                                  the rendered defects from a re-weighting of real photographs
                                  (a photograph that carries a category comes back more often)
  (k) few real + transplanted   + 4x images made by `hybrid --transplant` with every category: the
                                  few images' real defects moved onto (d)'s kind of photographs,
                                  nothing rendered: tells what rendering adds to moving real ones
  (l) all real + transplanted   + images made by `hybrid --transplant` with every category from
                                  all real, up to the cap (what (k) does for an all-real detector)
  (m) all real + (l)'s bases    + the photographs (l)'s images were made on, each with its own
                                  annotations (none on a defect-free background), nothing moved:
                                  what (l)'s moved defects add to the images they displace
Nothing is tuned on val: the recipe is fitted to, and hybrid images made from, the train images
an arm has. Every generated split is kept in --work and reused, and every finished training is
cached there as JSON, so an interrupted run continues where it stopped (so a run with other
options, such as --carry, --transplant or --extra, needs its own --work). `--extra 1` makes 1
generated image per real one instead of 4 (the cap), to see what the mix ratio does.

    .venv/bin/python bench/downstream.py --real ../shared/data/magnetic_tile \\
        --scene scenes/magnetic_tile.yaml --backgrounds ../shared/data/magnetic_tile/free \\
        --work out/bench_mt [--arms a b c d e f g h i j k l m] [--seeds 0 1 2 3 4] [--jobs 2]

Trainings run `--jobs` at a time, one CPU thread each (on 2 cores two 1-thread trainings finish
sooner than two 2-thread ones in turn).
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

# A category with fewer val instances than this swings the mean AP by itself: with 4 instances,
# three found on every seed, its AP still moves by 0.4 with the score order of a few detections.
MIN_VAL_INSTANCES = 10

ARMS = {
    "a": "few real",
    "b": "few real + plain synthetic",
    "c": "few real + fitted synthetic",
    "d": "few real + hybrid",
    "e": "few real + copy-paste",
    "f": "all real",
    "g": "all real + hybrid (cap)",
    "h": "hybrid only",
    "i": "all real + plain synthetic (cap)",
    "j": "few real + hybrid's photographs, nothing rendered",
    "k": "few real + transplanted real defects",
    "l": "all real + transplanted real defects (cap)",
    "m": "all real + (l)'s photographs, nothing moved",
}

# (arm, the arm it is meant to beat): per-seed differences on the same real images
PAIRS = [("b", "a"), ("c", "a"), ("d", "a"), ("e", "a"), ("j", "a"), ("k", "a"), ("d", "j"), ("d", "e"),
         ("d", "k"), ("k", "e"), ("g", "f"), ("i", "f"), ("l", "f"), ("l", "m")]


def _train(job: tuple) -> dict:
    """One training (in a worker process with one thread)."""
    train, val, out, seed, iters = job
    import torch

    torch.set_num_threads(1)
    from render.evaluate.runner import evaluate

    r = evaluate([Path(t) for t in train], Path(val), Path(out), seed=seed, iters=iters, overlays=0,
                 log=lambda *_: None)
    return {k: r[k] for k in ("segm", "bbox", "train_images", "train_s")}


class Bench:
    def __init__(self, a):
        self.a = a
        self.work = Path(a.work)
        self.real_train, self.val = Path(a.real) / "train", Path(a.real) / "val"
        self.work.mkdir(parents=True, exist_ok=True)

    def log(self, msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    # ---- data ------------------------------------------------------------------------------
    def few(self, seed: int) -> Path:
        from render.dataset.subset import subset_split

        d = self.work / "data" / f"few_{seed}"
        if not (d / "_annotations.coco.json").exists():
            subset_split(self.real_train, d, self.a.few, seed=1000 + seed)
        return d

    def n_extra(self, reference: Path) -> int:
        """Generated images for a split of real images: `--extra` per real one (4: the cap, 5x the
        real ones in all)."""
        from render.dataset.subset import image_count

        return self.a.extra * image_count(reference)

    def rendered(self, scene: Path, n: int, name: str, seed: int) -> Path:
        from render.cluster import Workers
        from render.config import load_quality, load_scene
        from render.pipeline import render_dataset

        out = self.work / "data" / name
        recipe = load_scene(scene)
        split = out / recipe.name / "train"
        if not (split / "_annotations.coco.json").exists():
            self.log(f"render {n} frames of {scene} -> {split}")
            preset = load_quality("preview", resolution=recipe.camera.resolution or (320, 320), samples=16)
            render_dataset(recipe, preset, n, out, seed, workers=Workers(workers=self.a.jobs))
        return split

    def fitted(self, reference: Path, name: str, seed: int) -> Path:
        import tempfile

        from render.fit import fit_recipe, write_recipe

        path = self.work / "data" / f"{name}.yaml"
        if not path.exists():
            self.log(f"fit {self.a.scene} to {reference}")
            with tempfile.TemporaryDirectory(dir=self.work) as tmp:
                r = fit_recipe(reference, Path(self.a.scene).resolve(), Path(tmp), iterations=2, frames=12,
                               seed=seed, workers=self.a.jobs, log=self.log)
                write_recipe(r, path, reference, Path(self.a.scene))
        return path

    def hybrid(self, reference: Path, scene: Path, n: int, name: str, seed: int,
               transplant: tuple[str, ...] | None = None) -> Path:
        from render.config import load_quality, load_scene
        from render.hybrid import hybrid

        out = self.work / "data" / name
        if not (out / "_annotations.coco.json").exists():
            self.log(f"hybrid {n} images from {reference} with {scene}")
            hybrid(reference, load_scene(scene), n, out, seed=seed, workers=self.a.jobs,
                   backgrounds=Path(self.a.backgrounds) if self.a.backgrounds else None,
                   quality=load_quality("preview", samples=16),
                   carry=tuple(self.a.carry) if transplant is None else (),  # (k) moves every category
                   transplant=tuple(self.a.transplant) if transplant is None else transplant, log=self.log)
        return out

    def transplanted(self, reference: Path, name: str, seed: int) -> Path:
        """`hybrid --transplant` with every category: the reference's real defects moved, nothing rendered."""
        from render.dataset.coco import load_split

        every = tuple(c["name"] for c in load_split(reference)["categories"])
        return self.hybrid(reference, Path(self.a.scene), self.n_extra(reference), name, seed, transplant=every)

    def copy_paste(self, reference: Path, n: int, name: str, seed: int) -> Path:
        from render.dataset.augment import copy_paste

        out = self.work / "data" / name
        if not (out / "_annotations.coco.json").exists():
            copy_paste(reference, out, n, seed=seed)
        return out

    def bases(self, hybrid: Path, reference: Path, name: str) -> Path:
        """The photograph under each of a hybrid split's images, with the photograph's own annotations
        (none for a defect-free background): the hybrid split with nothing rendered."""
        from render.dataset.coco import ANNOTATION_FILE, annotations_by_image, load_split
        from render.files import write_atomic
        from render.spec import dumps

        out = self.work / "data" / name
        if (out / ANNOTATION_FILE).exists():
            return out
        ref = load_split(reference)
        own = annotations_by_image(ref)
        ids = {i["file_name"]: i["id"] for i in ref["images"]}
        dirs = [reference] + ([Path(self.a.backgrounds)] if self.a.backgrounds else [])
        images, annotations = [], []
        out.mkdir(parents=True, exist_ok=True)
        for k, image in enumerate(load_split(hybrid)["images"], start=1):
            src = image["source"]["file_name"]
            path = next(d / src for d in dirs if (d / src).exists())
            name_k = f"base_{k:06d}{path.suffix}"
            if not (out / name_k).exists():
                os.symlink(path.resolve(), out / name_k)
            images.append(dict(id=k, file_name=name_k, width=image["width"], height=image["height"]))
            if path.parent == reference:  # a defect-free background has no annotations
                for a in own.get(ids[src], []):
                    annotations.append(dict(a, id=len(annotations) + 1, image_id=k))
        write_atomic(out / ANNOTATION_FILE, dumps(dict(ref, images=images, annotations=annotations)))
        return out

    def subset(self, split: Path, n: int, name: str, seed: int) -> Path:
        from render.dataset.subset import image_count, subset_split

        out = self.work / "data" / name
        if not (out / "_annotations.coco.json").exists():
            subset_split(split, out, min(n, image_count(split)), seed=seed)
        return out

    def plan(self, arm: str, seed: int) -> list[Path]:
        """The train splits of one arm for one seed (generating them if needed)."""
        if arm == "f":
            return [self.real_train]
        if arm == "i":
            bank = self.rendered(Path(self.a.scene), self.a.bank, "plain", 0)
            return [self.real_train, self.subset(bank, self.n_extra(self.real_train), "plain_all", 0)]
        if arm in "gh":
            fitted = self.fitted(self.real_train, "fitted_all", 0)
            hyb = self.hybrid(self.real_train, fitted, self.n_extra(self.real_train), "hybrid_all", 0)
            return [self.real_train, hyb] if arm == "g" else [hyb]
        if arm in "lm":
            moved = self.transplanted(self.real_train, "transplant_all", 0)
            return [self.real_train, moved if arm == "l" else self.bases(moved, self.real_train, "bases_all")]
        few = self.few(seed)
        n = self.n_extra(few)
        if arm == "a":
            return [few]
        if arm == "b":
            bank = self.rendered(Path(self.a.scene), self.a.bank, "plain", 0)
            return [few, self.subset(bank, n, f"plain_{seed}", seed)]
        if arm == "c":
            fitted = self.fitted(few, f"fitted_{seed}", seed)
            return [few, self.rendered(fitted, n, f"fitted_{seed}", seed)]
        if arm == "d":
            fitted = self.fitted(few, f"fitted_{seed}", seed)
            return [few, self.hybrid(few, fitted, n, f"hybrid_{seed}", seed)]
        if arm == "e":
            return [few, self.copy_paste(few, n, f"cp_{seed}", seed)]
        if arm == "k":
            return [few, self.transplanted(few, f"transplant_{seed}", seed)]
        if arm == "j":
            fitted = self.fitted(few, f"fitted_{seed}", seed)
            return [few, self.bases(self.hybrid(few, fitted, n, f"hybrid_{seed}", seed), few, f"bases_{seed}")]
        raise ValueError(arm)

    # ---- training ----------------------------------------------------------------------------
    def run(self) -> dict:
        """Each training starts as soon as its data is ready, while the next arm's data is made;
        each result is saved as it comes (a training that finished before an interruption, whose
        metrics.json is in eval/, is not run again)."""
        results = self.work / "results"
        results.mkdir(exist_ok=True)
        for arm, seed in [(a, s) for a in self.a.arms for s in self.a.seeds]:
            done = self.work / "eval" / f"{arm}_{seed}" / "metrics.json"
            if done.exists() and not (results / f"{arm}_{seed}.json").exists():
                r = json.loads(done.read_text())
                (results / f"{arm}_{seed}.json").write_text(
                    json.dumps({k: r[k] for k in ("segm", "bbox", "train_images", "train_s")}, indent=1))
        # seed by seed, so that an interrupted run still compares the arms on the same seeds
        todo = [(arm, seed) for seed in self.a.seeds for arm in self.a.arms
                if not (results / f"{arm}_{seed}.json").exists()]
        self.log(f"{len(todo)} trainings to run, {self.a.jobs} at a time")

        def save(future, path):
            r = future.result()
            path.write_text(json.dumps(r, indent=1))
            self.log(f"{path.stem}: segm AP {r['segm']['AP']:.4f}")

        with ProcessPoolExecutor(self.a.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for arm, seed in todo:
                if (results / f"{arm}_{seed}.json").exists():  # another run on the same --work made it
                    continue
                train = self.plan(arm, seed)
                job = ([str(t) for t in train], str(self.val), str(self.work / "eval" / f"{arm}_{seed}"), seed,
                       self.a.iters)
                pool.submit(_train, job).add_done_callback(partial(save, path=results / f"{arm}_{seed}.json"))
        return {p.stem: json.loads(p.read_text()) for p in results.glob("*.json")}


def well_sampled(val: Path, min_instances: int = MIN_VAL_INSTANCES) -> list[str]:
    """The val split's categories with at least `min_instances` instances."""
    from collections import Counter

    from render.dataset.coco import load_split

    data = load_split(val)
    n = Counter(a["category_id"] for a in data["annotations"])
    return [c["name"] for c in data["categories"] if n[c["id"]] >= min_instances]


def steady_ap(result: dict, cats: list[str]) -> float:
    """segm AP averaged over the well-sampled categories only."""
    return float(np.mean([result["segm"]["per_category"].get(c, 0.0) for c in cats])) if cats else float("nan")


def _mean_sd(values, sign: str = "") -> str:
    from render.evaluate.metrics import mean_std

    m, sd = mean_std(values)
    return f"{m:{sign}.4f} ± {sd:.4f}"


def table(results: dict, arms: list[str], seeds: list[int], steady: list[str]) -> str:
    lines = ["| arm | segm AP (mean ± std) | segm AP50 | AP of well-sampled categories | seeds | AP per seed "
             "| train images |", "|---|---|---|---|---|---|---|"]
    for arm in arms:
        rs = [results.get(f"{arm}_{s}") for s in seeds]
        rs = [r for r in rs if r is not None]
        if not rs:
            continue
        ap = [r["segm"]["AP"] for r in rs]
        ap50 = [r["segm"]["AP50"] for r in rs]
        st = [steady_ap(r, steady) for r in rs]
        lines.append(f"| ({arm}) {ARMS[arm]} | {_mean_sd(ap)} | {_mean_sd(ap50)} | {_mean_sd(st)} | "
                     f"{len(ap)} | {', '.join(f'{v:.3f}' for v in ap)} | {rs[0]['train_images']} |")
    return "\n".join(lines)


def gains(results: dict, arms: list[str], seeds: list[int], steady: list[str]) -> str:
    """Per-seed differences against the arm each is meant to beat (the same real images per seed)."""
    lines = ["| arm | against | segm AP gain (mean ± std over seeds) | per seed | gain in AP of well-sampled "
             "categories |", "|---|---|---|---|---|"]
    for arm, base in PAIRS:
        if arm not in arms or base not in arms:
            continue
        pairs = [(results[f"{arm}_{s}"], results[f"{base}_{s}"]) for s in seeds
                 if f"{arm}_{s}" in results and f"{base}_{s}" in results]
        if not pairs:
            continue
        d = [r["segm"]["AP"] - b["segm"]["AP"] for r, b in pairs]
        ds = [steady_ap(r, steady) - steady_ap(b, steady) for r, b in pairs]
        lines.append(f"| ({arm}) | ({base}) | {_mean_sd(d, '+')} ({len(d)} seeds) | "
                     f"{', '.join(f'{v:+.3f}' for v in d)} | {_mean_sd(ds, '+')} |")
    return "\n".join(lines)


def per_category(results: dict, arms: list[str], seeds: list[int]) -> str:
    cats = sorted({c for r in results.values() for c in r["segm"].get("per_category", {})})
    lines = ["| arm | " + " | ".join(cats) + " |", "|---|" + "---|" * len(cats)]
    for arm in arms:
        rs = [results[f"{arm}_{s}"] for s in seeds if f"{arm}_{s}" in results]
        if rs:
            lines.append(f"| ({arm}) | " + " | ".join(
                f"{np.mean([r['segm']['per_category'].get(c, 0.0) for r in rs]):.3f}" for c in cats) + " |")
    return "\n".join(lines)


def matches(results: dict, arms: list[str], seeds: list[int]) -> str:
    """Detections scored >= 0.5 at IoU 0.5, summed over categories, mean over seeds: what an arm's
    model finds (tp), invents (fp) and misses (fn) on the real val images."""
    lines = ["| arm | tp | fp | fn | fp per category |", "|---|---|---|---|---|"]
    for arm in arms:
        rs = [results[f"{arm}_{s}"] for s in seeds if f"{arm}_{s}" in results]
        rs = [r for r in rs if "matches" in r["segm"]]
        if not rs:
            continue
        cats = sorted({c for r in rs for c in r["segm"]["matches"]})
        tot = {k: np.mean([sum(m[k] for m in r["segm"]["matches"].values()) for r in rs]) for k in ("tp", "fp", "fn")}
        fp = ", ".join(f"{c} {np.mean([r['segm']['matches'].get(c, {}).get('fp', 0) for r in rs]):.1f}" for c in cats)
        lines.append(f"| ({arm}) | {tot['tp']:.1f} | {tot['fp']:.1f} | {tot['fn']:.1f} | {fp} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--real", type=Path, required=True, help="dataset dir with train/ and val/")
    p.add_argument("--scene", type=Path, required=True, help="the recipe for this dataset (its categories)")
    p.add_argument("--backgrounds", type=Path, help="defect-free photographs for hybrid images (optional)")
    p.add_argument("--carry", nargs="+", default=[], metavar="CATEGORY",
                   help="categories hybrid images carry by reference photographs instead of rendering them")
    p.add_argument("--transplant", nargs="+", default=[], metavar="CATEGORY",
                   help="categories hybrid images take as real defects moved from the few images, not rendered")
    p.add_argument("--work", type=Path, required=True, help="where generated splits and results are kept")
    p.add_argument("--arms", nargs="+", default=list(ARMS), choices=list(ARMS))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--few", type=int, default=10, help="real train images of the few-real arms")
    p.add_argument("--extra", type=int, default=4, choices=range(1, 5), metavar="{1..4}",
                   help="generated images per real image of an arm (4: the 5x cap); use another --work for each")
    p.add_argument("--bank", type=int, default=100, help="plain synthetic frames rendered once for arms (b) and (i)")
    p.add_argument("--iters", type=int, default=1500)
    p.add_argument("--jobs", type=int, default=2, help="trainings (and render workers) at a time")
    p.add_argument("--summary", action="store_true", help="only print the tables of the results so far")
    a = p.parse_args()
    from render.errors import UserError
    from render.evaluate import require_torch

    try:
        require_torch("bench/downstream.py")
    except UserError as e:
        sys.exit(f"error: {e}")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    t0 = time.perf_counter()
    results = Bench(a).run() if not a.summary else {
        p.stem: json.loads(p.read_text()) for p in (a.work / "results").glob("*.json")}
    steady = well_sampled(a.real / "val")
    print(f"\n{a.real.name}, U-Net proxy, {a.iters} iterations, seeds {a.seeds}; well-sampled categories "
          f"(>= {MIN_VAL_INSTANCES} val instances): {', '.join(steady) or 'none'}\n")
    print(table(results, a.arms, a.seeds, steady))
    print("\npaired gains (same real images per seed):\n")
    print(gains(results, a.arms, a.seeds, steady))
    print("\nsegm AP per category (mean over seeds):\n")
    print(per_category(results, a.arms, a.seeds))
    print("\ndetections scored >= 0.5 at IoU 0.5 (mean over seeds):\n")
    print(matches(results, a.arms, a.seeds))
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
