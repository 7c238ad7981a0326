"""What a split looks like, in numbers: the statistics that `fit` matches and `report` plots.

Per image: size, grey or colour, brightness and contrast of the grey level, noise (Immerkaer's
estimator over the flattest blocks) and blur (Gaussian sigma at edges, Zhuo and Sim's estimator). Per instance: its
category, mask area in pixels, aspect (long / short axis of the mask's second moments),
orientation of the long axis (degrees, 0 = horizontal, counter-clockwise, 0..180), position
(centroid as a fraction of the image's width and height), distance to the image border (pixels),
and contrast (mean grey inside minus mean grey in a ring around it).
Distances between two splits are 1-D Wasserstein distances per statistic.
"""

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_util
from scipy.stats import wasserstein_distance
from tqdm import tqdm

from render.dataset.coco import annotations_by_image, load_split, segmentation_to_rle
from render.errors import UserError

IMAGE_STATS = ("brightness", "contrast", "noise", "blur")
INSTANCE_STATS = ("area", "aspect", "orientation", "x", "y", "border", "defect_contrast")
UNITS = {"brightness": "grey level", "contrast": "grey levels (std)", "noise": "grey levels (std)",
         "blur": "px (Gaussian sigma at edges)", "area": "px", "aspect": "long / short axis",
         "orientation": "deg", "x": "fraction of width", "y": "fraction of height", "border": "px",
         "defect_contrast": "grey levels", "instances_per_image": "instances", "width": "px", "height": "px"}
# statistics compared on a log scale (they span orders of magnitude)
LOG_STATS = {"area", "aspect", "border"}
SHARP_STEP = 0.8  # px: what blur_sigma reads on a perfectly sharp step (pixels, Sobel, its pre-blur)


def noise_sigma(grey: np.ndarray, block: int = 16, flattest: float = 0.25) -> float:
    """Std of additive noise, grey levels: Immerkaer's (1996) estimator, "Fast noise variance
    estimation", over the flattest quarter of the image's blocks (least structure after a blur),
    so that fine texture (grinding marks, grain) is not taken for noise."""
    g = grey.astype(np.float64)
    if min(g.shape) < 3:
        return 0.0
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float64)
    r = np.abs(cv2.filter2D(g, -1, kernel, borderType=cv2.BORDER_REFLECT))
    structure = cv2.GaussianBlur(g, (0, 0), 2.0)
    h, w = (d // block * block for d in g.shape)
    if h < block or w < block:
        return float(np.sqrt(np.pi / 2) * r.mean() / 6)

    def blocks(a):
        return a[:h, :w].reshape(h // block, block, w // block, block).swapaxes(1, 2).reshape(-1, block * block)

    flat = np.argsort(blocks(structure).std(1))[:max(1, int(flattest * (h // block) * (w // block)))]
    return float(np.sqrt(np.pi / 2) * blocks(r)[flat].mean() / 6)


def blur_sigma(grey: np.ndarray, reblur: float = 1.0) -> float:
    """Gaussian blur of the image at its edges, px: Zhuo & Sim (2011), "Defocus map estimation from
    a single image". At a step edge blurred by s the gradient peak falls as 1/s, so reblurring by
    s0 divides it by R = sqrt(s^2 + s0^2) / s: s = s0 / sqrt(R^2 - 1), the median over the
    strongest edges."""
    g = cv2.GaussianBlur(grey.astype(np.float64), (0, 0), 0.5)  # tames pixel noise
    if min(g.shape) < 8:
        return 0.0

    def gradient(a):
        return np.hypot(cv2.Sobel(a, -1, 1, 0), cv2.Sobel(a, -1, 0, 1))

    m1, m2 = gradient(g), gradient(cv2.GaussianBlur(g, (0, 0), reblur))
    peak = (m1 >= cv2.dilate(m1, np.ones((3, 3)))) & (m1 > np.percentile(m1, 95)) & (m1 > 0)
    if not peak.any():
        return 0.0
    ratio = m1[peak] / np.maximum(m2[peak], 1e-9)
    s = reblur / np.sqrt(np.maximum(ratio**2 - 1, 1e-6))
    # a sharp step reads SHARP_STEP; blurs add up in squares above it
    return float(np.median(np.clip(s, 0, 10)))


def instance_shape(mask: np.ndarray) -> dict:
    """Area, aspect, orientation, centroid and border distance of one mask."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    cy, cx = ys.mean(), xs.mean()
    if len(xs) > 1:
        cov = np.cov(np.stack([xs, ys]).astype(np.float64)) + np.eye(2) / 12  # a pixel is a unit square
    else:
        cov = np.eye(2) / 12
    evals, evecs = np.linalg.eigh(cov)
    major = evecs[:, 1]
    angle = float(np.degrees(np.arctan2(-major[1], major[0])) % 180)  # image y points down
    border = int(min(xs.min(), ys.min(), w - 1 - xs.max(), h - 1 - ys.max()))
    return {"area": int(len(xs)), "aspect": float(np.sqrt(evals[1] / max(evals[0], 1e-12))),
            "orientation": angle, "x": float((cx + 0.5) / w), "y": float((cy + 0.5) / h), "border": border}


@dataclass
class SplitStats:
    """Raw per-image and per-instance values of one split (lists, so they can be plotted)."""

    categories: list[str]
    images: dict[str, list] = field(default_factory=lambda: {k: [] for k in (*IMAGE_STATS, "width", "height")})
    grey: list[bool] = field(default_factory=list)
    instances_per_image: list[int] = field(default_factory=list)
    instances: dict[str, dict[str, list]] = field(default_factory=dict)  # category -> stat -> values
    files: list[tuple[str, list]] = field(default_factory=list)  # (image path, [(category, bbox)])

    def category_counts(self) -> dict[str, int]:
        return {c: len(self.instances[c]["area"]) for c in self.categories}

    def category_frequencies(self) -> dict[str, float]:
        counts = self.category_counts()
        total = max(sum(counts.values()), 1)
        return {c: n / total for c, n in counts.items()}

    def is_grey(self) -> bool:
        return bool(self.grey) and float(np.mean(self.grey)) > 0.5

    def values(self, name: str, category: str | None = None) -> np.ndarray:
        if category is not None:
            return np.asarray(self.instances[category][name], float)
        if name == "instances_per_image":
            return np.asarray(self.instances_per_image, float)
        if name in self.images:
            return np.asarray(self.images[name], float)
        return np.asarray([v for c in self.categories for v in self.instances[c][name]], float)


def is_grey(image: np.ndarray) -> bool:
    """A BGR image whose channels agree (JPEG may leave them a level apart)."""
    b, g, r = (image[..., k].astype(np.int16) for k in range(3))
    return float(np.abs(b - g).mean() + np.abs(g - r).mean()) < 1.0


def _grey_of(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def measure_split(split_dir: Path, max_images: int | None = None, seed: int = 0, progress: bool = True) -> SplitStats:
    """Statistics of a split (all images, or `max_images` drawn with `seed`)."""
    split_dir = Path(split_dir)
    data = load_split(split_dir)
    names = {c["id"]: c["name"] for c in data["categories"]}
    stats = SplitStats([c["name"] for c in data["categories"]])
    stats.instances = {n: {k: [] for k in INSTANCE_STATS} for n in stats.categories}
    images = data["images"]
    if max_images is not None and len(images) > max_images:
        pick = np.sort(np.random.default_rng(seed).choice(len(images), max_images, replace=False))
        images = [images[i] for i in pick]
    by_image = annotations_by_image(data)
    ring_kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    for img in tqdm(images, desc=f"measure {split_dir.name}", unit="image", disable=not progress):
        path = split_dir / img["file_name"]
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise UserError(f"cannot read image {path}")
        h, w = image.shape[:2]
        grey = _grey_of(image)
        stats.grey.append(is_grey(image))
        anns = [a for a in by_image.get(img["id"], []) if not a.get("iscrowd", 0)]
        union = np.zeros((h, w), bool)
        boxes = []
        for a in anns:
            m = mask_util.decode(segmentation_to_rle(a["segmentation"], h, w)).astype(bool)
            if not m.any():
                continue
            cat = names[a["category_id"]]
            shape = instance_shape(m)
            ring = cv2.dilate(m.astype(np.uint8), ring_kernel, iterations=2).astype(bool) & ~m
            shape["defect_contrast"] = float(grey[m].mean() - grey[ring].mean()) if ring.any() else 0.0
            for k, v in shape.items():
                stats.instances[cat][k].append(v)
            union |= m
            boxes.append((cat, [float(v) for v in a["bbox"]]))
        stats.instances_per_image.append(len(boxes))
        surface = grey[~union] if (~union).any() else grey.ravel()
        for k, v in (("brightness", float(surface.mean())), ("contrast", float(surface.std())),
                     ("noise", noise_sigma(grey)), ("blur", blur_sigma(grey)), ("width", w), ("height", h)):
            stats.images[k].append(v)
        stats.files.append((str(path), boxes))
    return stats


def distance(a: np.ndarray, b: np.ndarray, name: str) -> float:
    """1-D Wasserstein distance (log10 for scale-like statistics); NaN if either side is empty."""
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    if name in LOG_STATS:
        a, b = np.log10(np.maximum(a, 1e-3)), np.log10(np.maximum(b, 1e-3))
    return float(wasserstein_distance(a, b))


def compare(real: SplitStats, synthetic: SplitStats) -> dict[str, float]:
    """Distance per statistic: image statistics, instances per image, category frequencies
    (total variation), and every instance statistic per category that both splits have."""
    out = {f"image.{k}": distance(real.values(k), synthetic.values(k), k) for k in IMAGE_STATS}
    out["instances_per_image"] = distance(real.values("instances_per_image"),
                                          synthetic.values("instances_per_image"), "instances_per_image")
    fr, fs = real.category_frequencies(), synthetic.category_frequencies()
    out["category_frequency"] = 0.5 * sum(abs(fr[c] - fs.get(c, 0.0)) for c in real.categories)
    for c in real.categories:
        if c not in synthetic.instances:
            continue
        for k in INSTANCE_STATS:
            out[f"{c}.{k}"] = distance(real.values(k, c), synthetic.values(k, c), k)
    return out
