"""`defectsynth report`: one self-contained HTML page (images embedded, no network) of what a split
holds and, with a reference (the real split), how it differs from it: every histogram real vs
synthetic with its distance, and crops of each category side by side.

The numbers come from render.dataset.measure (as for `stats` and `fit`), the pictures from
render.dataset.preview, the plots and HTML from render.dataset.html.
"""

from pathlib import Path

import numpy as np

from render.dataset.html import bar_chart, esc, image_tag, page, stat_figures, table
from render.dataset.measure import IMAGE_STATS, INSTANCE_STATS, SplitStats, compare, measure_split
from render.dataset.preview import contact_sheet, instance_crops, side_by_side
from render.dataset.stats import summarize
from render.files import write_atomic

CROPS, CROP_SIDE = 6, 112  # crops per category and side, on the real vs synthetic sheet
SHEET_IMAGES, SHEET_SIDE = 8, 160  # images per category on the contact sheets


def crops_sheet(reference: Path, split: Path, n: int = CROPS, side: int = CROP_SIDE) -> np.ndarray:
    """Real and synthetic crops of each category side by side (BGR): the report's first picture."""
    return side_by_side({"real": instance_crops(reference, n, side), "synthetic": instance_crops(split, n, side)},
                        n, side)


def _images_holding(s: SplitStats, category: str) -> int:
    return sum(any(c == category for c, _ in boxes) for _, boxes in s.files)


def _overview(measured: dict[str, SplitStats]) -> str:
    sums = {k: summarize(s) for k, s in measured.items()}
    rows = [["images measured", *[v["images"] for v in sums.values()]],
            ["without annotations", *[v["images_without_annotations"] for v in sums.values()]],
            ["instances", *[v["instances"] for v in sums.values()]],
            ["instances per image (mean)", *[f"{v['instances_per_image'].get('mean', 0):.2f}" for v in sums.values()]],
            ["grey or colour", *["grey" if v["grey"] else "colour" for v in sums.values()]],
            ["image sizes", *[", ".join(f"{k} ({n})" for k, n in list(v["image_sizes"].items())[:3])
                              for v in sums.values()]]]
    rows += [[f"{k} (median)", *[f"{v['image'][k].get('p50', float('nan')):.3g}" for v in sums.values()]]
             for k in IMAGE_STATS]
    return "<h2>Overview</h2>" + table(["", *sums], rows)


def _categories(measured: dict[str, SplitStats]) -> str:
    cats = list(dict.fromkeys(c for s in measured.values() for c in s.categories))
    counts = {k: s.category_counts() for k, s in measured.items()}
    shares = {k: s.category_frequencies() for k, s in measured.items()}
    header = ["category"] + [f"{k}: {what}" for k in measured for what in ("instances", "images", "share")]
    rows = [[c, *[v for k, s in measured.items()
                  for v in (counts[k].get(c, 0), _images_holding(s, c) if c in s.instances else 0,
                            f"{shares[k].get(c, 0):.1%}")]] for c in cats]
    chart = bar_chart({k: {c: 100 * v for c, v in sh.items()} for k, sh in shares.items()},
                      "instances per category", "% of instances")
    return f'<h2>Categories</h2><div class="grid">{table(header, rows)}{chart}</div>'


def _distances(real: SplitStats, syn: SplitStats) -> str:
    d = compare(real, syn)

    def cell(v):
        return "" if v is None or not np.isfinite(v) else f"{v:.3g}"

    def median(s, name):
        v = s.values(name)
        return f"{np.median(v):.3g}" if len(v) else ""

    names = [*IMAGE_STATS, "instances_per_image"]
    rows = [[k, cell(d["image." + k if k in IMAGE_STATS else k]), median(real, k), median(syn, k)] for k in names]
    rows.append(["category frequency (total variation)", cell(d["category_frequency"]), "", ""])
    per_cat = [[c, *[cell(d.get(f"{c}.{k}")) for k in INSTANCE_STATS]] for c in real.categories]
    return ("<h2>Distance to the real split</h2><p>1-D Wasserstein distance between the real and the synthetic "
            "values of each statistic, in its unit (log10 for area, aspect and border distance): 0 is the same "
            "distribution; compare a statistic across splits, not statistics with each other.</p>"
            '<div class="grid">' + table(["statistic", "distance", "real median", "synthetic median"], rows)
            + table(["category", *INSTANCE_STATS], per_cat) + "</div>")


def _sheets(splits: dict[str, Path], measured: dict[str, SplitStats]) -> str:
    parts = ["<h2>Contact sheets per category (masks, boxes, labels)</h2>"]
    for c in dict.fromkeys(c for s in measured.values() for c in s.categories):
        parts.append(f"<h3>{esc(c)}</h3>")
        for k, path in splits.items():
            if c in measured[k].instances and _images_holding(measured[k], c):
                sheet = contact_sheet(path, n=SHEET_IMAGES, cols=SHEET_IMAGES, side=SHEET_SIDE, category=c)
                parts.append(f"<figure>{image_tag(sheet, f'{k}: {c}')}<figcaption>{esc(k)}</figcaption></figure>")
    return "\n".join(parts)


def report_html(split: Path, reference: Path | None = None, max_images: int | None = None, seed: int = 0) -> str:
    """The whole page; with `max_images`, each split is measured on that many images drawn with `seed`."""
    split = Path(split)
    splits = {"real": Path(reference), "synthetic": split} if reference is not None else {"split": split}
    measured = {k: measure_split(p, max_images, seed) for k, p in splits.items()}
    intro = f"<p>Split: <code>{esc(split)}</code>"
    if reference is not None:
        intro += f"; reference (real): <code>{esc(reference)}</code>"
    if max_images is not None:
        intro += f"; at most {max_images} images of each measured (drawn with seed {seed})"
    body = [intro + ".</p>", _overview(measured), _categories(measured)]
    if reference is not None:
        body += ["<h2>Real and synthetic crops, same category</h2>",
                 image_tag(crops_sheet(splits["real"], split), "real vs synthetic crops"),
                 _distances(measured["real"], measured["synthetic"])]
    body += [stat_figures(measured, reference="real" if reference is not None else None), _sheets(splits, measured)]
    return page(f"defectsynth report: {split.parent.name}/{split.name}", "\n".join(body))


def write_report(split: Path, out: Path, reference: Path | None = None, max_images: int | None = None,
                 seed: int = 0) -> Path:
    write_atomic(out, report_html(split, reference, max_images, seed))
    return Path(out)
