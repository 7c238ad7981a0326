"""`defectsynth stats`: the statistics of render.dataset.measure, summarised as text, JSON and a plot.

Compare a synthetic split's distributions with the real one's before training (`defectsynth
report --reference` shows both overlaid).
"""

from collections import Counter
from pathlib import Path

import numpy as np

from render.dataset.measure import IMAGE_STATS, INSTANCE_STATS, SplitStats

PERCENTILES = (0, 10, 50, 90, 100)


def _summary(values) -> dict:
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return {}
    return {"mean": float(v.mean()), **{f"p{p}": float(np.percentile(v, p)) for p in PERCENTILES}}


def summarize(s: SplitStats) -> dict:
    """Counts, and mean and percentiles of every statistic (per category for instances)."""
    per_image = s.values("instances_per_image")
    sizes = Counter(f"{w}x{h}" for w, h in zip(s.images["width"], s.images["height"], strict=True))
    return {
        "images": len(per_image),
        "images_without_annotations": int((per_image == 0).sum()),
        "instances": int(per_image.sum()),
        "instances_per_category": s.category_counts(),
        "instances_per_image": _summary(per_image),
        "grey": s.is_grey(),
        "image": {k: _summary(s.values(k)) for k in IMAGE_STATS},
        "instance": {c: {k: _summary(s.values(k, c)) for k in INSTANCE_STATS} for c in s.categories},
        "image_sizes": dict(sizes.most_common()),
    }


def format_stats(s: dict) -> str:
    lines = [f"images: {s['images']} ({s['images_without_annotations']} without annotations), "
             f"{'grey' if s['grey'] else 'colour'}", f"instances: {s['instances']}", "instances per category:"]
    lines += [f"  {n:<24} {c}" for n, c in s["instances_per_category"].items()]
    ipi = s["instances_per_image"]
    if ipi:
        lines.append(f"instances per image: mean {ipi['mean']:.2f}, median {ipi['p50']:.0f}, max {ipi['p100']:.0f}")
    lines.append("image: median (p10 .. p90)")
    for k, v in s["image"].items():
        if v:
            lines.append(f"  {k:<24} {v['p50']:.3g} ({v['p10']:.3g} .. {v['p90']:.3g})")
    lines.append("instance area (px), aspect (long/short axis): median (p10 .. p90)")
    for n, v in s["instance"].items():
        a, r = v["area"], v["aspect"]
        if a:
            lines.append(f"  {n:<24} {a['p50']:.0f} ({a['p10']:.0f} .. {a['p90']:.0f}), "
                         f"{r['p50']:.2f} ({r['p10']:.2f} .. {r['p90']:.2f})")
    lines.append("image sizes: " + ", ".join(f"{k} ({v})" for k, v in list(s["image_sizes"].items())[:8]))
    return "\n".join(lines)


def plot_stats(s: SplitStats, out_png: Path) -> Path:
    """One panel per statistic: image statistics, instances per image, instance statistics by category."""
    from render.dataset.html import draw_histogram, pyplot

    plt = pyplot()
    names = [*IMAGE_STATS, "instances_per_image", *INSTANCE_STATS]
    fig, axes = plt.subplots(3, 4, figsize=(16, 10))
    for ax, name in zip(axes.ravel(), names, strict=True):
        if name in INSTANCE_STATS:
            series = {c: s.values(name, c) for c in s.categories}
        else:
            series = {"images": s.values(name)}
        draw_histogram(ax, name, series, {}, name)
    fig.tight_layout()
    fig.savefig(out_png, dpi=80)
    plt.close(fig)
    return Path(out_png)
