"""Dataset statistics: what a split holds, as text, JSON and a plot.

Computed from the annotation file alone (area, bbox), so it is fast on any split, real or
synthetic. Compare a synthetic split's distributions with the real one's before training.
"""

from collections import Counter
from pathlib import Path

import numpy as np

from render.dataset.coco import load_split

PERCENTILES = (0, 10, 50, 90, 100)


def _summary(values) -> dict:
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return {}
    return {"mean": float(v.mean()), **{f"p{p}": float(np.percentile(v, p)) for p in PERCENTILES}}


def compute_stats(split_dir: Path) -> dict:
    data = load_split(split_dir)
    names = {c["id"]: c["name"] for c in data["categories"]}
    per_image = Counter(a["image_id"] for a in data["annotations"])
    areas = {n: [] for n in names.values()}
    aspects = {n: [] for n in names.values()}
    for a in data["annotations"]:
        n = names.get(a["category_id"], f"unknown:{a['category_id']}")
        areas.setdefault(n, []).append(a["area"])
        w, h = a["bbox"][2], a["bbox"][3]
        aspects.setdefault(n, []).append(max(w, h) / max(min(w, h), 1e-9))
    sizes = Counter(f"{i['width']}x{i['height']}" for i in data["images"])
    return {
        "images": len(data["images"]),
        "images_without_annotations": sum(1 for i in data["images"] if per_image[i["id"]] == 0),
        "instances": len(data["annotations"]),
        "instances_per_category": {n: len(v) for n, v in areas.items()},
        "instances_per_image": _summary([per_image[i["id"]] for i in data["images"]]),
        "area_px": {n: _summary(v) for n, v in areas.items()},
        "aspect_ratio": {n: _summary(v) for n, v in aspects.items()},
        "image_sizes": dict(sizes.most_common()),
        "_raw": {"areas": areas, "aspects": aspects, "per_image": [per_image[i["id"]] for i in data["images"]]},
    }


def format_stats(s: dict) -> str:
    lines = [f"images: {s['images']} ({s['images_without_annotations']} without annotations)",
             f"instances: {s['instances']}", "instances per category:"]
    lines += [f"  {n:<24} {c}" for n, c in s["instances_per_category"].items()]
    ipi = s["instances_per_image"]
    if ipi:
        lines.append(f"instances per image: mean {ipi['mean']:.2f}, median {ipi['p50']:.0f}, max {ipi['p100']:.0f}")
    lines.append("instance area (px): p10 / median / p90")
    for n, a in s["area_px"].items():
        if a:
            lines.append(f"  {n:<24} {a['p10']:.0f} / {a['p50']:.0f} / {a['p90']:.0f}")
    lines.append("bbox aspect ratio (long/short side): median / p90")
    for n, a in s["aspect_ratio"].items():
        if a:
            lines.append(f"  {n:<24} {a['p50']:.2f} / {a['p90']:.2f}")
    lines.append("image sizes: " + ", ".join(f"{k} ({v})" for k, v in list(s["image_sizes"].items())[:8]))
    return "\n".join(lines)


def plot_stats(s: dict, out_png: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    raw = s["_raw"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for n, v in raw["areas"].items():
        if v:
            axes[0].hist(np.log10(np.maximum(v, 1)), bins=30, alpha=0.5, label=n)
    axes[0].set(title="instance area", xlabel="log10(area px)", ylabel="instances")
    for n, v in raw["aspects"].items():
        if v:
            axes[1].hist(np.clip(v, 1, 20), bins=30, alpha=0.5, label=n)
    axes[1].set(title="bbox aspect ratio (clipped at 20)", xlabel="long / short side")
    counts = raw["per_image"]
    axes[2].hist(counts, bins=np.arange(0, max(counts, default=0) + 2) - 0.5)
    axes[2].set(title="instances per image", xlabel="instances", ylabel="images")
    for ax in axes[:2]:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_png, dpi=90)
    plt.close(fig)
    return Path(out_png)
