"""Self-contained HTML pages (images embedded as data URIs, no network): fit and report pages."""

import base64
import html
import io

import cv2
import numpy as np

from render.dataset.measure import LOG_STATS, UNITS, SplitStats

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:8px}.grid figure{margin:0}figcaption{font-size:12px;color:#555}
img{max-width:100%}.better{color:#070}.worse{color:#a00}
"""
COLORS = {"real": "#1f77b4", "synthetic": "#ff7f0e", "before": "#ff7f0e", "after": "#2ca02c"}


def esc(text) -> str:
    return html.escape(str(text))


def image_tag(image: np.ndarray, alt: str, quality: int = 85) -> str:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("cannot encode an image for the report")
    return f'<img alt="{esc(alt)}" src="data:image/jpeg;base64,{base64.b64encode(buf.tobytes()).decode()}">'


def figure_tag(fig, alt: str) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display); imported only where a plot is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw_histogram(ax, name: str, series: dict[str, np.ndarray], distances: dict[str, float], title: str) -> None:
    """The series' histograms on shared bins, normalised, with their distances in the legend."""
    values = {k: np.asarray(v, float) for k, v in series.items() if len(v)}
    log = name in LOG_STATS
    if values:
        allv = np.concatenate([np.log10(np.maximum(v, 1e-3)) if log else v for v in values.values()])
        lo, hi = float(np.min(allv)), float(np.max(allv))
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 25)
        for k, v in values.items():
            d = distances.get(k)
            label = f"{k} (n={len(v)})" + (f", W={d:.3g}" if d is not None and np.isfinite(d) else "")
            ax.hist(np.log10(np.maximum(v, 1e-3)) if log else v, bins=bins, density=True, histtype="step",
                    linewidth=1.6, color=COLORS.get(k), label=label)
        ax.legend(fontsize=6)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(("log10 " if log else "") + UNITS.get(name, ""), fontsize=8)
    ax.tick_params(labelsize=7)


def histograms(name: str, series: dict[str, np.ndarray], distances: dict[str, float], title: str) -> str:
    """One small figure of draw_histogram, as HTML; the distances also as text below it."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(3.6, 2.5))
    draw_histogram(ax, name, series, distances, title)
    fig.tight_layout()
    caption = ", ".join(f"{k}: W={d:.3g}" for k, d in distances.items() if np.isfinite(d))
    return f"<figure>{figure_tag(fig, title)}<figcaption>{esc(caption)}</figcaption></figure>"


def positions(splits: dict[str, SplitStats], category: str) -> str:
    """Where a category's instances sit: centroids in the unit image (y down), one colour per split."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(2.5, 2.5))
    for k, s in splits.items():
        if category in s.instances:
            ax.scatter(s.values("x", category), s.values("y", category), s=6, alpha=0.6, color=COLORS.get(k), label=k)
    ax.set(xlim=(0, 1), ylim=(1, 0), aspect="equal")
    ax.set_title(f"{category}: position", fontsize=9)
    ax.tick_params(labelsize=7)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=6)
    fig.tight_layout()
    return f"<figure>{figure_tag(fig, category + ': position')}</figure>"


def bar_chart(counts: dict[str, dict[str, float]], title: str, ylabel: str) -> str:
    """Grouped bars: one group per category, one bar per series (e.g. real, synthetic)."""
    plt = pyplot()
    cats = list(dict.fromkeys(c for v in counts.values() for c in v))
    fig, ax = plt.subplots(figsize=(max(3.6, 0.9 * len(cats) + 1.5), 2.6))
    width = 0.8 / max(len(counts), 1)
    for i, (k, v) in enumerate(counts.items()):
        ax.bar(np.arange(len(cats)) + i * width, [v.get(c, 0) for c in cats], width, color=COLORS.get(k), label=k)
    ax.set_xticks(np.arange(len(cats)) + width * (len(counts) - 1) / 2, cats, fontsize=7, rotation=20)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6)
    fig.tight_layout()
    return f"<figure>{figure_tag(fig, title)}</figure>"


def stat_figures(splits: dict[str, SplitStats], reference: str | None = None) -> str:
    """Every statistic of the splits overlaid: image statistics, instances per image, and each
    instance statistic per category (every category of any split); with a reference, each
    series' distance to it."""
    from render.dataset.measure import IMAGE_STATS, INSTANCE_STATS, distance

    def block(name, category=None):
        series = {k: s.values(name, category) if category is None or category in s.instances else np.zeros(0)
                  for k, s in splits.items()}
        d = {}
        if reference is not None:
            d = {k: distance(series[reference], v, name) for k, v in series.items() if k != reference}
        return histograms(name, series, d, f"{category + ': ' if category else ''}{name}")

    parts = ['<h2>Images</h2><div class="grid">']
    parts += [block(k) for k in (*IMAGE_STATS, "instances_per_image")]
    parts.append("</div>")
    for c in dict.fromkeys(c for s in splits.values() for c in s.categories):
        parts.append(f'<h2>Instances: {esc(c)}</h2><div class="grid">')
        parts += [block(k, c) for k in INSTANCE_STATS] + [positions(splits, c)]
        parts.append("</div>")
    return "\n".join(parts)


def table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c if str(c).startswith('<') else esc(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{esc(title)}</h1>\n{body}\n</body></html>\n")
