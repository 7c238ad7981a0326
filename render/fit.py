"""`defectsynth fit`: a recipe whose renders look like the user's real split, in numbers.

The real split is measured once (render.measure). Then a bounded loop renders a few frames of the
recipe, measures them the same way and adjusts the recipe:
- image look, without rendering again: the camera's exposure, the sensor's blur and noise are
  applied on the Python side to the clean renders (frames/*/rgb.png) and searched until the
  median brightness, blur metric and noise of the renders match the real ones;
- defects, from what the renders showed: each category's size keys are scaled so that its median
  mask area in pixels matches the real one, its elongation so that its median aspect matches,
  its weight so that category frequencies match, the number of defects per frame so that
  instances per image match;
- once, before the loop: the real images' median size becomes `camera.resolution`, a grey real
  split makes `camera.grayscale` true, and the categories become the real ones, in their order.
The fitted recipe is the base recipe's YAML with only the fitted keys changed, so it stays a
readable recipe. Every statistic's distance to the real split is reported before and after.
"""

import copy
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import yaml
from pydantic import ValidationError

from render.colour import linear_to_srgb, srgb_to_linear
from render.config import SceneRecipe, _explain, _read_yaml, load_quality
from render.dataset.measure import SplitStats, compare, measure_split
from render.dataset.validate import require_valid
from render.defects.registry import DEFECT_TYPES
from render.errors import UserError
from render.files import write_atomic
from render.ranges import Bounds
from render.sensor import apply_noise, apply_optics
from render.spec import Sensor

MAX_STEP = 3.0  # no key changes by more than this factor in one iteration


@dataclass
class FitResult:
    recipe: dict  # the fitted recipe, as YAML data
    real: SplitStats
    before: SplitStats
    after: SplitStats
    changes: list[str] = field(default_factory=list)
    splits: dict = field(default_factory=dict)  # "before"/"after" -> the rendered split (for a report)

    def distances(self) -> tuple[dict, dict]:
        return compare(self.real, self.before), compare(self.real, self.after)


# ---- the recipe as YAML data ---------------------------------------------------------------
def _validate(data: dict, source: Path, base_dir: Path) -> SceneRecipe:
    try:
        return SceneRecipe.model_validate(data, context={"recipe_dir": base_dir})
    except ValidationError as e:
        raise _explain(source, e) from None


def _entries(data: dict, recipe: SceneRecipe) -> list[tuple[str, dict, object]]:
    """(defect type, its YAML mapping, its validated model) for every defect entry; a type
    given as a single mapping is turned into that mapping in place (lists stay lists)."""
    out = []
    models = iter(recipe.defects.enabled())
    for kind in DEFECT_TYPES:
        v = data["defects"].get(kind)
        for item in (v if isinstance(v, list) else [v] if v is not None else []):
            out.append((kind, item, next(models)[1]))
    return out


def _bounds(model, key: str) -> tuple[float, float]:
    for meta in type(model).model_fields[key].metadata:
        if isinstance(meta, Bounds):
            return meta
    raise KeyError(key)


def _scale_range(item: dict, model, key: str, factor: float) -> None:
    lo, hi = _bounds(model, key)
    a, b = getattr(model, key) if key not in item else item[key]
    item[key] = [float(np.clip(round(a * factor, 4), lo, hi)), float(np.clip(round(b * factor, 4), lo, hi))]


def _section(data: dict, name: str) -> dict:
    data.setdefault(name, {})
    if data[name] is None:
        data[name] = {}
    return data[name]


# ---- image look: exposure, blur, noise searched on the clean renders ----------------------------
def _clean_renders(root: Path, grey: bool, limit: int = 24) -> list[np.ndarray]:
    out = []
    for d in sorted((root / "frames").iterdir())[:limit]:
        img = cv2.imread(str(d / "rgb.png"), cv2.IMREAD_COLOR)
        if img is not None:
            out.append(cv2.cvtColor(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR) if grey else img)
    return out


def _bisect(f, target: float, lo: float, hi: float, steps: int = 14) -> float:
    """x in [lo, hi] with f(x) ~ target for an increasing f (clamped at the ends)."""
    if f(lo) >= target:
        return lo
    if f(hi) <= target:
        return hi
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return (lo + hi) / 2


def fit_look(clean: list[np.ndarray], real: SplitStats, grey: bool) -> dict:
    """Exposure shift (EV), blur sigma (px) and read-noise sigma (grey levels) that bring the clean
    renders' median brightness, blur and noise to the real split's. Blurs add in squares, so the
    sensor adds sqrt(real^2 - rendered^2); exposure and noise are searched (both monotonic)."""
    from render.dataset.measure import blur_sigma, noise_sigma

    lin = [srgb_to_linear(c.astype(np.float64) / 255) for c in clean]

    def exposed(ev):
        return [np.rint(linear_to_srgb(x * 2.0 ** ev) * 255).astype(np.uint8) for x in lin]

    def brightness(ev):
        return float(np.median([cv2.cvtColor(i, cv2.COLOR_BGR2GRAY).mean() for i in exposed(ev)]))

    ev = _bisect(brightness, float(np.median(real.values("brightness"))), -6.0, 6.0)
    images = exposed(ev)
    rendered = float(np.median([blur_sigma(cv2.cvtColor(i, cv2.COLOR_BGR2GRAY)) for i in images]))
    sigma = float(np.sqrt(max(float(np.median(real.values("blur"))) ** 2 - rendered**2, 0.0)))

    def noise_of(read):
        s = Sensor(blur=sigma, vignetting=0.0, noise=read, shot_noise=0.0, jpeg_quality=100, seed=0)
        return float(np.median([noise_sigma(cv2.cvtColor(apply_noise(apply_optics(i, s), s, grey),
                                                         cv2.COLOR_BGR2GRAY)) for i in images]))

    noise = _bisect(noise_of, float(np.median(real.values("noise"))), 0.0, 30.0, steps=10)
    return {"exposure": float(ev), "blur": sigma, "noise": float(noise)}


# ---- the loop ---------------------------------------------------------------------------------
def _median_or_none(v: np.ndarray) -> float | None:
    return float(np.median(v)) if len(v) else None


def adjust_defects(data: dict, recipe: SceneRecipe, real: SplitStats, syn: SplitStats) -> list[str]:
    """Scale sizes, weights and the count of defects per frame towards the real split (in place)."""
    changes = []
    real_freq, syn_freq = real.category_frequencies(), syn.category_frequencies()
    for kind, item, model in _entries(data, recipe):
        c = model.category
        ra, sa = _median_or_none(real.values("area", c)), _median_or_none(syn.values("area", c))
        if ra is None:
            continue
        size = 2.0 if sa is None else float(np.clip(math.sqrt(ra / sa), 1 / MAX_STEP, MAX_STEP))
        if abs(size - 1) > 0.05:
            for key in DEFECT_TYPES[kind].size_keys:
                _scale_range(item, model, key, size)
            changes.append(f"{kind} ({c}): size keys {', '.join(DEFECT_TYPES[kind].size_keys)} x{size:.2f} "
                           f"(median area real {ra:.0f} px, rendered {sa or 0:.0f} px)")
        key = DEFECT_TYPES[kind].aspect_key
        ras, sas = _median_or_none(real.values("aspect", c)), _median_or_none(syn.values("aspect", c))
        if key and ras and sas and abs(ras / sas - 1) > 0.1:
            lo_b, hi_b = _bounds(model, key)
            a, b = item.get(key, getattr(model, key))
            f = float(np.clip(ras / sas, 1 / MAX_STEP, MAX_STEP))
            # elongation e >= 1 stretches the shape: its aspect grows with e
            item[key] = [float(np.clip(round(max(1.0, a * f), 4), lo_b, hi_b)),
                         float(np.clip(round(max(1.0, b * f), 4), lo_b, hi_b))]
            changes.append(f"{kind} ({c}): {key} x{f:.2f} (median aspect real {ras:.2f}, rendered {sas:.2f})")
        w = float(np.clip(real_freq[c] / max(syn_freq.get(c, 0.0), 1e-3), 1 / MAX_STEP, MAX_STEP))
        if abs(w - 1) > 0.05:
            item["weight"] = round(float(item.get("weight", model.weight)) * w, 4)
            changes.append(f"{kind} ({c}): weight x{w:.2f} (frequency real {real_freq[c]:.2f}, "
                           f"rendered {syn_freq.get(c, 0.0):.2f})")
    real_n, syn_n = real.values("instances_per_image").mean(), syn.values("instances_per_image").mean()
    if syn_n > 0 and abs(real_n / syn_n - 1) > 0.1:
        lo, hi = data["defects"].get("count", recipe.defects.count)
        f = float(np.clip(real_n / syn_n, 1 / MAX_STEP, MAX_STEP))
        new = [max(1, int(round(lo * f))), max(1, int(round(hi * f)))]
        if new != [lo, hi]:
            data["defects"]["count"] = new
            changes.append(f"defects.count {[lo, hi]} -> {new} (instances per image real {real_n:.2f}, "
                           f"rendered {syn_n:.2f})")
    return changes


def adjust_look(data: dict, recipe: SceneRecipe, look: dict) -> list[str]:
    camera, sensor = _section(data, "camera"), _section(data, "sensor")
    lo, hi = camera.get("exposure", recipe.camera.exposure)
    camera["exposure"] = [round(lo + look["exposure"], 3), round(hi + look["exposure"], 3)]
    # the found value becomes the middle of a range +-30%, keeping some variety between frames
    sensor["blur"] = [round(0.7 * look["blur"], 3), round(1.3 * look["blur"], 3)]
    sensor["noise"] = [round(0.7 * look["noise"], 3), round(1.3 * look["noise"], 3)]
    sensor["shot_noise"] = [0.0, 0.0]
    return [f"camera.exposure {[lo, hi]} -> {camera['exposure']}", f"sensor.blur -> {sensor['blur']}",
            f"sensor.noise -> {sensor['noise']} (shot_noise 0: the measured noise is all read noise)"]


def _render(recipe: SceneRecipe, n: int, seed: int, out: Path, quality: str, samples: int, workers: int):
    from render.cluster import Workers
    from render.pipeline import render_dataset

    preset = load_quality(quality, resolution=recipe.camera.resolution, samples=samples)
    split, _ = render_dataset(recipe, preset, n, out, seed, workers=Workers(workers=workers))
    return split


def fit_recipe(reference: Path, scene: Path, work_dir: Path, iterations: int = 3, frames: int = 24,
               seed: int = 0, quality: str = "preview", samples: int = 16, workers: int = 0,
               max_images: int = 400, log=print) -> FitResult:
    """Fit `scene` to the real split `reference` (see the module's docstring). Renders go to
    `work_dir`; the base and final splits are kept there (`before/`, `after/`) for a report."""
    scene, work_dir = Path(scene), Path(work_dir)
    data = _read_yaml(scene, "scene recipe")
    base = _validate(data, scene, scene.resolve().parent)
    require_valid(reference, "--reference")
    real = measure_split(reference, max_images=max_images, seed=seed)
    missing = [c for c in real.categories if c not in base.categories]
    extra = [c for c in base.categories if c not in real.categories]
    if missing or extra:
        raise UserError(f"{scene}: categories {base.categories} do not match the reference's {real.categories}"
                        + (f"; missing {missing}" if missing else "") + (f"; not in the reference {extra}"
                                                                         if extra else ""))
    without = [c for c in real.categories if c not in {m.category for _, m in base.defects.enabled()}]
    if without:
        raise UserError(f"{scene}: no defect type renders the reference's categories {without}; give each a type")

    def render(recipe: SceneRecipe, name: str) -> Path:
        return _render(recipe, frames, seed, work_dir / name, quality, samples, workers)

    fitted = copy.deepcopy(data)
    camera = _section(fitted, "camera")
    w, h = (int(8 * round(np.median(real.values(k)) / 8)) for k in ("width", "height"))
    camera["resolution"] = [max(w, 8), max(h, 8)]
    # "before" is the base recipe at the real images' size, so that pixel sizes compare
    log(f"fit: rendering {frames} frames of the base recipe at {w}x{h}")
    before_split = render(_validate({**data, "camera": {**(data.get("camera") or {}), "resolution": [w, h]}},
                                    scene, scene.resolve().parent), "before")
    before = measure_split(before_split, progress=False)
    camera["grayscale"] = real.is_grey()
    fitted["categories"] = list(real.categories)
    changes = [f"camera.resolution -> {camera['resolution']} (median real image size), "
               f"camera.grayscale -> {camera['grayscale']}, categories in the reference's order"]
    for it in range(1, iterations + 1):
        recipe = _validate(fitted, scene, scene.resolve().parent)
        log(f"fit: iteration {it}/{iterations}, rendering {frames} frames")
        split = render(recipe, f"iteration{it}")
        # the look is searched on this step's clean renders; the defects follow what they showed
        look = fit_look(_clean_renders(split.parent, recipe.camera.grayscale), real, recipe.camera.grayscale)
        step = adjust_look(fitted, recipe, look)
        step += adjust_defects(fitted, recipe, real, measure_split(split, progress=False))
        changes += [f"[{it}] {c}" for c in step]
        shutil.rmtree(work_dir / f"iteration{it}")
    final = _validate(fitted, scene, scene.resolve().parent)
    log(f"fit: rendering {frames} frames of the fitted recipe")
    after_split = render(final, "after")
    after = measure_split(after_split, progress=False)
    return FitResult(fitted, real, before, after, changes, {"before": before_split, "after": after_split})


def write_recipe(result: FitResult, path: Path, reference: Path, scene: Path) -> None:
    before, after = result.distances()
    header = [f"Fitted by `defectsynth fit` to {reference} from {scene}.",
              "Changed keys (the rest is the base recipe):", *[f"  {c}" for c in result.changes],
              "Distance to the real split per statistic (before -> after fitting):",
              *[f"  {k}: {before[k]:.3g} -> {after[k]:.3g}" for k in before if k in after]]
    text = "".join(f"# {line}\n" for line in header)
    text += yaml.safe_dump(result.recipe, sort_keys=False, default_flow_style=None, width=100)
    write_atomic(path, text)


def fit_report_html(result: FitResult, reference: Path, scene: Path) -> str:
    """The fit report: distances before/after, what changed, every distribution, sample images."""
    from render.dataset.html import esc, image_tag, page, stat_figures, table
    from render.dataset.preview import contact_sheet

    before, after = result.distances()
    rows = []
    for k in before:
        b, a = before[k], after.get(k, float("nan"))
        verdict = "" if not (np.isfinite(a) and np.isfinite(b)) else (
            '<span class="better">closer</span>' if a < b else '<span class="worse">farther</span>')
        rows.append([k, f"{b:.4g}", f"{a:.4g}", verdict])
    body = [f"<p>Reference: {esc(reference)} ({len(result.real.instances_per_image)} images). Base recipe: "
            f"{esc(scene)}. Distances are 1-D Wasserstein distances per statistic (log10 for area, aspect, "
            "border distance; total variation for category frequencies).</p>",
            "<h2>Distance to the real split</h2>", table(["statistic", "before", "after", ""], rows),
            "<h2>What the fit changed</h2><ul>" + "".join(f"<li>{esc(c)}</li>" for c in result.changes) + "</ul>",
            stat_figures({"real": result.real, "before": result.before, "after": result.after}, reference="real"),
            "<h2>Images</h2>"]
    for name, split in (("real", Path(reference)), ("before", result.splits.get("before")),
                        ("after", result.splits.get("after"))):
        if split is not None:
            body.append(f"<h3>{name}</h3>" + image_tag(contact_sheet(split, n=12, cols=6, side=200), name))
    return page("defectsynth fit", "\n".join(body))
