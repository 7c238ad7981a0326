"""`defectsynth hybrid`: procedural defects rendered into the user's real photographs.

Differential rendering (Debevec 1998, "Rendering synthetic objects into real scenes"): for each
defect, a spot of a real image away from its annotated defects is chosen (or any spot of a
defect-free photograph), its surface is taken to be locally flat, with the spot's colour and the
recipe's material, lit from the side its brightness rises towards, with the recipe's light
elevation. That local surface is rendered in Cycles twice under the same camera and light, with
and without the procedural defect, and the real pixels are multiplied (in linear light) by the
ratio of the two renders: shading, shadows and darkening that the defect adds land on the real
texture, and the real image stays untouched elsewhere. The mask is the id pass's footprint of the
defect (spread by the photograph's own blur) where the composite visibly changed, so it is exact
and never marks an invisible defect.

What the real split says sets what is drawn: the category by its frequency, the defect's area in
pixels from that category's areas, its long axis turned as theirs are (the local camera rolls),
its place from that category's positions (an edge defect,
such as a chip, is aligned with the image border nearest to such a position, as real crops put
the part's edge there), the number of defects per image from the real counts, and how strongly
it shows (darker or lighter) from the contrast of that category's real defects. The change is softened by the
photograph's own blur, and noise of its level is added back where the defect darkened it.
"""

import json
import math
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from scipy.ndimage import binary_fill_holes
from tqdm import tqdm

from render import seeding
from render.colour import linear_to_srgb, srgb_to_linear
from render.config import QualityPreset, SceneRecipe
from render.dataset.coco import CocoWriter, annotations_by_image, decode_mask, encode_instance, write_image
from render.dataset.measure import SHARP_STEP, SplitStats, blur_sigma, measure_split, noise_sigma
from render.dataset.validate import require_valid
from render.defects.registry import DEFECT_TYPES
from render.errors import RunFailed, UserError
from render.files import building, check_new_dir
from render.frames import frame_dir
from render.parts.plate import Plate
from render.postprocess import compute_contrast, read_id_passes
from render.sampling.frame import render_settings
from render.sampling.scene import aimed_light, blackbody_rgb, sample_material
from render.spec import (
    SCHEMA_VERSION,
    Camera,
    Defect,
    FrameSpec,
    Ground,
    MeshSettings,
    Sensor,
    World,
)
from render.transplant import Move, apply_move, collect_sources, plan_move, usable

PLATE = 200.0  # mm: the local flat surface (x4, x16 for a defect that overflows it)
THICKNESS = 5.0  # mm
FOCAL, SENSOR = 100.0, 36.0  # a long lens far away: nearly orthographic
MIN_WINDOW, MAX_WINDOW = 48, 640  # px, side of a local render
MARGIN = 8  # px kept between a new defect and any other defect
ON_SURFACE = 0.9  # share of a defect's box that must be the part's surface (where that is known)
SAME_COLOUR = 20.0  # 8-bit Lab distance within which a pixel is the surface a local render stands for
VISIBLE = 3.0  # levels of any channel: a footprint pixel whose composite changed less is not labelled
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
# why plan_defect placed nothing: too large for a local render; not on the part (a whole part's
# surface holds the defect nowhere, or an edge defect, whose image border is not the part's edge);
# no free spot left
# the real defect drawn to move finds no place on the photograph (`--transplant`)
TOO_LARGE, NOT_ON_PART, NO_SPOT, NO_MOVE = "too large", "not on the part", "no spot", "no place for the real one"
CARRIED_WHEN = (TOO_LARGE, NOT_ON_PART, NO_MOVE)  # then a reference photograph of the category carries it
TRANSPLANT = "transplant"  # the defect kind of a drawn defect that a real one stands for


# ---- what the real split says ------------------------------------------------------------------
@dataclass
class SurfaceColours:
    """Where on a colour photograph defects can go, from the colours around the reference's
    annotated defects: a colour's share of the pixels on or near a defect against its share of
    all pixels and of the pixels along the image border, smoothed over a patch; a patch whose
    colours are less than a third as common near defects as overall, or as along the border, is
    not the part's surface. For a whole part on a backdrop the backdrop fills the border (a
    defect at the part's edge puts some backdrop in the ring around it, so the overall share
    alone lets light backdrop through); for close-ups of a surface (the border passes) nothing is
    restricted, nor in grey photographs, where brightness alone (which exposure changes) cannot
    tell part from backdrop. Colours alone let some backdrop through (the greys around a part
    that the rings of its edge defects hold), so the backdrop a fill from the image border
    reaches is taken away too (see `backdrop`)."""

    log_ratio: np.ndarray  # (BINS**3,) per quantised BGR colour

    BINS = 16  # per channel
    NEAR = 0.03  # of the short side: the ring around a defect taken as its surface
    SMOOTH = 0.015  # of the short side: the patch a colour score is averaged over
    THRESHOLD = math.log(1 / 3)  # a patch scoring less is not the part's surface
    BORDER = 0.05  # of the short side: the frame along the image border
    CLOSE_UP = 0.6  # median share of a photograph's border that is surface above which nothing is restricted
    FILL_STEP = 1  # grey levels (per channel, image blurred by FILL_BLUR px) a backdrop fill crosses between neighbours
    FILL_BLUR = 1.5

    @classmethod
    def fit(cls, split_dir: Path, data: dict) -> "SurfaceColours | None":
        n = cls.BINS**3
        near, every, border = np.zeros(n), np.zeros(n), np.zeros(n)
        by_image = annotations_by_image(data)
        paths = [split_dir / info["file_name"] for info in data["images"]]
        for info, path in zip(data["images"], paths, strict=True):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                continue
            h, w = image.shape[:2]
            defects = np.zeros((h, w), np.uint8)
            for a in by_image.get(info["id"], []):
                defects |= decode_mask(a["segmentation"], h, w).astype(np.uint8)
            r = max(1, int(cls.NEAR * min(h, w)))
            close = cv2.dilate(defects, np.ones((2 * r + 1,) * 2, np.uint8)).astype(bool)
            b = cls._bins(image)
            near += np.bincount(b[close], minlength=n)
            every += np.bincount(b.ravel(), minlength=n)
            border += np.bincount(b[cls._frame(h, w)], minlength=n)
        if not near.sum():
            return None
        near, every, border = (v / v.sum() + 1e-6 for v in (near, every, border))
        model = cls(np.minimum(np.log(near / every), np.log(near / border)))
        shares = [float((model.score(image) >= cls.THRESHOLD)[cls._frame(*image.shape[:2])].mean())
                  for image in map(cv2.imread, map(str, paths)) if image is not None]
        return None if np.median(shares) >= cls.CLOSE_UP else model

    @classmethod
    def _frame(cls, h: int, w: int) -> np.ndarray:
        k = max(1, int(cls.BORDER * min(h, w)))
        frame = np.ones((h, w), bool)
        frame[k:-k, k:-k] = False
        return frame

    @classmethod
    def _bins(cls, image: np.ndarray) -> np.ndarray:
        q = image.astype(np.int64) * cls.BINS // 256
        return (q[..., 0] * cls.BINS + q[..., 1]) * cls.BINS + q[..., 2]

    def score(self, image: np.ndarray) -> np.ndarray:
        s = self.log_ratio[self._bins(image)].astype(np.float32)
        return cv2.GaussianBlur(s, (0, 0), max(1.0, self.SMOOTH * min(image.shape[:2])))

    def surface(self, image: np.ndarray) -> np.ndarray:
        """Patches of the part's surface (where a defect may go)."""
        return self._off_backdrop(image, self.score(image) >= self.THRESHOLD)

    def pixels(self, image: np.ndarray) -> np.ndarray:
        """Pixels of the part's surface (what a defect may change: not a wire over it, nor the
        backdrop through a hole)."""
        s = self.log_ratio[self._bins(image)].astype(np.float32)
        return self._off_backdrop(image, cv2.GaussianBlur(s, (0, 0), 1.0) >= self.THRESHOLD)

    def _off_backdrop(self, image: np.ndarray, surface: np.ndarray) -> np.ndarray:
        back = self.backdrop(image, surface)
        # a fill that took most of the surface got onto the part (a smooth one, through a shadow): not used
        return surface if (surface & back).sum() > 0.5 * surface.sum() else surface & ~back

    def backdrop(self, image: np.ndarray, surface: np.ndarray) -> np.ndarray:
        """What a fill from the image border's non-surface pixels reaches through smooth change: a
        backdrop's light gradient and soft shadows let it through, the part's outline stops it."""
        h, w = image.shape[:2]
        smooth = cv2.GaussianBlur(image, (0, 0), self.FILL_BLUR)
        filled = np.zeros((h + 2, w + 2), np.uint8)
        step = (self.FILL_STEP,) * 3
        ys, xs = np.nonzero(self._frame(h, w) & ~surface)
        # a spread of seeds: most are filled by the time they come
        for y, x in zip(ys[::97].tolist(), xs[::97].tolist(), strict=True):
            if not filled[y + 1, x + 1]:
                cv2.floodFill(smooth, filled, (x, y), 0, step, step, 4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8))
        # the blur spreads the outline over a few px that the fill stops short of: they are backdrop too
        return cv2.dilate(filled[1:-1, 1:-1], np.ones((5, 5), np.uint8)).astype(bool)


@dataclass
class RealSplit:
    split_dir: Path
    data: dict
    stats: SplitStats
    grey: bool
    surface: SurfaceColours | None = None  # None: every spot of a photograph is the part's surface

    def part_pixels(self, image: np.ndarray) -> np.ndarray:
        """Pixels of the part in a photograph: not a near-black backdrop, and of the part's surface
        where that is known (what a real defect may be moved with and onto)."""
        part = usable(image)
        return part if self.surface is None else part & self.surface.pixels(image)

    @classmethod
    def load(cls, split_dir: Path) -> "RealSplit":
        data = require_valid(split_dir, "--reference")
        stats = measure_split(split_dir, progress=False)
        if not sum(stats.category_counts().values()):
            raise UserError(f"{split_dir}: the reference has no annotated defect to learn sizes and places from")
        grey = stats.is_grey()
        return cls(Path(split_dir), data, stats, grey, None if grey else SurfaceColours.fit(Path(split_dir), data))


@dataclass
class Background:
    path: Path
    masks: list[tuple[int, np.ndarray]]  # (category id, mask): the image's own annotated defects


def list_backgrounds(real: RealSplit, backgrounds: Path | None) -> list[tuple[Path, int | None]]:
    """(image path, image id in the reference or None) of every photograph to draw a base from."""
    if backgrounds is None:
        return [(real.split_dir / i["file_name"], i["id"]) for i in real.data["images"]]
    backgrounds = Path(backgrounds)
    if not backgrounds.is_dir():
        raise UserError(f"--backgrounds {backgrounds}: not a directory")
    files = sorted(p for p in backgrounds.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise UserError(f"--backgrounds {backgrounds}: no image files ({', '.join(IMAGE_EXTENSIONS)})")
    return [(p, None) for p in files]


def load_background(real: RealSplit, path: Path, image_id: int | None) -> tuple[np.ndarray, Background]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise UserError(f"cannot read image {path}")
    h, w = image.shape[:2]
    masks = []
    if image_id is not None:
        for a in annotations_by_image(real.data).get(image_id, []):
            masks.append((a["category_id"], decode_mask(a["segmentation"], h, w)))
    return image, Background(path, masks)


# ---- one defect's local render ------------------------------------------------------------------
@dataclass
class Placement:
    """One defect to render into one output image."""

    category: str
    origin: tuple[int, int]  # px in the base image of the window's top-left corner (may lie outside)
    window: int  # px, side of the local render
    border: str | None  # image border an edge defect sits on: left, right, top, bottom
    rotation: int  # quarter turns (np.rot90) from the render to the image
    contrast: float  # grey levels inside minus around, drawn from the category's real defects
    spec: FrameSpec  # with the defect; the one without differs only in `defects`


BORDER_INWARD = {"left": (1, 0), "right": (-1, 0), "top": (0, 1), "bottom": (0, -1)}  # image x right, y down


def _rot(v: tuple[float, float], k: int) -> tuple[float, float]:
    """A vector in image coordinates after np.rot90(., k) of the image."""
    x, y = v
    for _ in range(k % 4):
        x, y = y, -x
    return x, y


def _edge_normal(shape, plate: Plate) -> np.ndarray | None:
    """Inward normal (u, v) of the plate edge an edge defect sits on; None for an inner defect."""
    if not shape.on_edge:
        return None
    lo, hi = (np.asarray(x, float) for x in shape.bbox())
    size = max(float((hi - lo).max()), 1e-6)
    width = plate.width
    gaps = {(0, -1.0): lo[0], (1, -1.0): lo[1], (0, 1.0): width - hi[0], (1, 1.0): width - hi[1]}
    (axis, side), gap = min(gaps.items(), key=lambda kv: kv[1])
    if gap > 0.05 * size:
        return None
    n = np.zeros(2)
    n[axis] = -side  # the low edge's inside is +, the high edge's is -
    return n


def footprint_moments(shape, n: int = 96, plate: float = PLATE
                      ) -> tuple[float, float, np.ndarray, float, np.ndarray]:
    """(area mm^2, orientation of its long axis in degrees counter-clockwise from +u, middle (u, v),
    radius mm of the circle about the middle that holds it, its points (k, 2) relative to the
    middle) of the defect's footprint on the plate (`plate` mm a side), on a grid over its bbox
    (which can be far looser than the footprint: a blob's is its largest outline at any angle)."""
    lo, hi = (np.asarray(x, float) for x in shape.bbox())
    lo, hi = np.maximum(lo, 0.0), np.minimum(hi, plate)
    t = (np.arange(n) + 0.5) / n
    g = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    uv = lo + g * (hi - lo)
    inside = shape.footprint(uv)
    area = float(inside.mean() * np.prod(hi - lo))
    if inside.sum() < 3:
        corners = np.array([[lo[0], lo[1]], [lo[0], hi[1]], [hi[0], lo[1]], [hi[0], hi[1]]]) - (lo + hi) / 2
        return area, 0.0, (lo + hi) / 2, float(np.hypot(*(hi - lo))) / 2, corners
    points = uv[inside]
    centre = (points.min(0) + points.max(0)) / 2
    step = (hi - lo) / n  # a grid point stands for a cell: its corners count too
    points = np.concatenate([points - centre + step / 2 * c for c in ((1, 1), (1, -1), (-1, 1), (-1, -1))])
    radius = float(np.linalg.norm(points, axis=1).max())
    _, evecs = np.linalg.eigh(np.cov(uv[inside].T))
    return area, float(np.degrees(np.arctan2(evecs[1, 1], evecs[0, 1])) % 180), centre, radius, points


def light_azimuth(grey: np.ndarray, x0: int, y0: int, size: int, rng) -> float:
    """Azimuth (radians, image x = 0, counter-clockwise as seen, y up) that the spot's brightness
    rises towards: a flat surface is brighter on the side of the light. Random if it is flat."""
    h, w = grey.shape
    crop = grey[max(0, y0):min(h, y0 + size), max(0, x0):min(w, x0 + size)].astype(np.float64)
    if min(crop.shape) < 8:
        return float(rng.uniform(0, 2 * math.pi))
    smooth = cv2.GaussianBlur(crop, (0, 0), max(2.0, min(crop.shape) / 6))
    gy, gx = np.gradient(smooth)
    mx, my = float(gx.mean()), float(gy.mean())
    if math.hypot(mx, my) * min(crop.shape) < 2.0:  # under ~2 grey levels across the spot
        return float(rng.uniform(0, 2 * math.pi))
    return math.atan2(-my, mx)


def _choose_spot(rng, real: RealSplit, category: str, w: int, h: int, occupied: np.ndarray, half: tuple[int, int],
                 window: int, edge: bool, surface: np.ndarray | None) -> tuple[int, int, str | None] | str | None:
    """(x, y, border) of the defect's centre: near where this category's real defects are, clear of
    every other defect (the defect's box: `half` px each way in x and y, margin included); an edge
    defect's centre lies on the border nearest to that place. Where
    the part's `surface` is known (a whole part on a backdrop, whose place differs from photograph
    to photograph), any free spot of the surface instead, or NOT_ON_PART."""
    hx, hy = half
    if surface is not None:
        return NOT_ON_PART if edge else _spot_on_surface(rng, surface, occupied, half)
    xs, ys = real.stats.values("x", category), real.stats.values("y", category)
    for _ in range(30):
        k = int(rng.integers(len(xs)))
        x = int(np.clip((xs[k] + rng.normal(0, 0.08)) * w, 0, w - 1))
        y = int(np.clip((ys[k] + rng.normal(0, 0.08)) * h, 0, h - 1))
        border = None
        if edge:
            border = min({"left": x, "right": w - 1 - x, "top": y, "bottom": h - 1 - y}.items(), key=lambda t: t[1])[0]
            x, y = {"left": (0, y), "right": (w, y), "top": (x, 0), "bottom": (x, h)}[border]
            if window > (h if border in ("left", "right") else w):
                continue
        # a defect larger than half the photograph may run past its border (cropped, as real ones are)
        elif not (min(hx, w // 4) <= x < w - min(hx, w // 4) and min(hy, h // 4) <= y < h - min(hy, h // 4)):
            continue
        x0, x1, y0, y1 = max(0, x - hx), min(w, x + hx), max(0, y - hy), min(h, y + hy)
        if x1 > x0 and y1 > y0 and not occupied[y0:y1, x0:x1].any():
            return x, y, border
    return None


def _spot_on_surface(rng, surface: np.ndarray, occupied: np.ndarray, half: tuple[int, int]
                     ) -> tuple[int, int, None] | str | None:
    """A centre drawn evenly from those whose box (`half` px each way in x, y) is clear of other
    defects and at least ON_SURFACE the part's surface; NOT_ON_PART if no box is, free or not."""
    box = (2 * half[0] + 1, 2 * half[1] + 1)
    on = cv2.boxFilter(surface.astype(np.float32), -1, box, borderType=cv2.BORDER_CONSTANT) >= ON_SURFACE
    if not on.any():
        return NOT_ON_PART
    free = ~cv2.dilate(occupied.astype(np.uint8), np.ones(box[::-1], np.uint8)).astype(bool)
    ys, xs = np.nonzero(on & free)
    if not len(xs):
        return None
    k = int(rng.integers(len(xs)))
    return int(xs[k]), int(ys[k]), None


def plan_defect(rng, real: RealSplit, recipe: SceneRecipe, kind: str, entry, image: np.ndarray,
                occupied: np.ndarray, index: int, root_seed: int, quality: QualityPreset,
                surface: np.ndarray | None = None) -> "Placement | str":
    """One defect of the category `entry.category` for this image, or why there is none: TOO_LARGE
    (for a local render), NOT_ON_PART or NO_SPOT (no free place that fits)."""
    h, w = image.shape[:2]
    for side in (PLATE, 4 * PLATE, 16 * PLATE):  # an inner defect larger than the plate gets a larger one
        plate = Plate(width=side, length=side, thickness=THICKNESS)
        lo, hi = np.array([0.1 * side] * 2), np.array([0.9 * side] * 2)
        shape = DEFECT_TYPES[kind].sample(rng, entry, lo, hi, plate)
        b_lo, b_hi = (np.asarray(x, float) for x in shape.bbox())
        if shape.on_edge or (b_lo.min() >= 0 and b_hi.max() <= side):
            break
    else:
        return TOO_LARGE
    normal = _edge_normal(shape, plate)
    area_mm, angle, middle, reach, points = footprint_moments(shape, plate=side)
    if area_mm <= 0:
        return NO_SPOT
    areas = real.stats.values("area", entry.category)
    target = float(areas[int(rng.integers(len(areas)))]) * math.exp(rng.normal(0, 0.15))
    px_per_mm = math.sqrt(target / area_mm)
    roll = 0.0
    if normal is not None:  # an edge defect's bbox reaches past the edge: half of it shows
        extent = float((b_hi - b_lo).max()) * px_per_mm / 2
        box = (extent / 2, extent / 2)
    else:  # the camera rolls so that the long axis lies as a real defect's of the category does
        orientations = real.stats.values("orientation", entry.category)
        want = float(orientations[int(rng.integers(len(orientations)))]) + rng.normal(0, 5)
        roll = math.radians(angle - want)  # a roll r turns the image content by -r
        extent = 2 * reach * px_per_mm  # any roll keeps it inside
        t = math.radians(want - angle)  # its box in the image, turned (the render's mirror of v keeps it)
        box = tuple(np.abs(points @ np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])).max(0)
                    * px_per_mm)
    window = max(int(round(extent * 1.4 + 24)), MIN_WINDOW)
    if window > min(MAX_WINDOW, 2 * min(h, w)):  # the render would cut the defect, or dwarf the photograph
        return TOO_LARGE
    half_x, half_y = int(box[0]) + 1, int(box[1]) + 1
    spot = _choose_spot(rng, real, entry.category, w, h, occupied, (half_x + MARGIN, half_y + MARGIN), window,
                        normal is not None, surface)
    if spot is None or isinstance(spot, str):
        return spot or NO_SPOT
    x, y, border = spot
    # the render's image: x along +u, y along -v; an edge defect is turned so that the plate's
    # inside points into the image from its border
    rotation = 0
    centre_uv = middle.copy() if normal is None else (b_lo + b_hi) / 2
    if normal is not None:
        inward = (float(normal[0]), -float(normal[1]))
        rotation = next(k for k in range(4) if np.allclose(_rot(inward, k), BORDER_INWARD[border]))
        axis = int(np.argmax(np.abs(normal)))
        centre_uv[axis] = 0.0 if normal[axis] > 0 else side  # the window's centre line is the edge
    half = window // 2
    origin = (x - half, y - half)
    # the surface under the defect (the window may reach past the part)
    spot_px = image[max(0, y - half_y):min(h, y + half_y), max(0, x - half_x):min(w, x + half_x)].reshape(-1, 3)
    colour = srgb_to_linear(spot_px.mean(0)[::-1] / 255.0) if len(spot_px) else np.full(3, 0.2)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    azimuth_image = light_azimuth(grey, origin[0], origin[1], window, rng)
    spec = local_spec(rng, recipe, plate, entry.category, shape, centre_uv, window / px_per_mm, window,
                      np.clip(colour, 0.02, 0.9), azimuth_image, rotation, roll, index, root_seed, quality)
    occupied[max(0, y - half_y - MARGIN):y + half_y + MARGIN, max(0, x - half_x - MARGIN):x + half_x + MARGIN] = True
    contrasts = real.stats.values("defect_contrast", entry.category)
    contrast = float(contrasts[int(rng.integers(len(contrasts)))])
    return Placement(entry.category, origin, window, border, rotation, contrast, spec)


def local_spec(rng, recipe: SceneRecipe, plate: Plate, category: str, shape, centre_uv: np.ndarray,
               window_mm: float, window: int, colour: np.ndarray, azimuth_image: float, rotation: int,
               roll: float, index: int, root_seed: int, quality: QualityPreset) -> FrameSpec:
    """The local render of one defect: the flat plate seen from straight above, `window_mm` wide,
    rolled by `roll`, lit from the side the real spot brightens towards (turned back from the
    image into the render: a roll r shows a plate direction b at b - r in the image)."""
    distance = window_mm * FOCAL / SENSOR
    look = plate.surface_points(centre_uv[None])[0]
    lx, ly = _rot((math.cos(azimuth_image), -math.sin(azimuth_image)), -rotation)
    azimuth = math.atan2(-ly, lx) + roll
    lr = recipe.lights
    elevation = math.radians(rng.uniform(*lr.elevation))
    dist = max(float(rng.uniform(*lr.distance)), 3 * distance)
    loc = look + dist * np.array([math.cos(elevation) * math.cos(azimuth), math.cos(elevation) * math.sin(azimuth),
                                  math.sin(elevation)])
    light = aimed_light(loc, look, float(rng.uniform(*lr.size)), float(rng.uniform(*lr.radiance)), blackbody_rgb(6500))
    material = replace(sample_material(rng, recipe, plate), base_color=[float(c) for c in colour], brushing=0.0,
                       grain=0.0)
    seed = seeding.frame_seed(root_seed, index)
    return FrameSpec(
        schema_version=SCHEMA_VERSION, scene="hybrid", frame_index=index, root_seed=root_seed, seed=seed,
        render=replace(render_settings(quality, seed, lights=1), width=window, height=window, view_transform="Standard",
                       color_depth=16),
        mesh=MeshSettings(**quality.mesh.model_dump()),
        part=plate,
        camera=Camera(location=(look + [0, 0, distance]).tolist(), look_at=look.tolist(), up=[0.0, 1.0, 0.0],
                      focal_length=FOCAL, sensor_width=SENSOR, short_side=1.0, azimuth=0.0, fill=1.0,
                      exposure=0.0, roll=roll, grayscale=False, f_stop=0.0, focus_distance=distance,
                      clip_start=distance * 0.5, clip_end=distance * 2 + 1000.0),
        defects=(Defect(id=1, category=category, shape=shape),),
        material=material, lights=(light,),
        world=World(strength=float(rng.uniform(*recipe.world.strength)), rotation=0.0),
        ground=Ground(color=[0.0, 0.0, 0.0], roughness=1.0),
        sensor=Sensor(blur=0.0, vignetting=0.0, noise=0.0, shot_noise=0.0, jpeg_quality=100, seed=0),
        categories={category: 1},
    )


# ---- compositing ------------------------------------------------------------------------------
def _read_linear(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise RuntimeError(f"cannot read the render {path}")
    scale = 65535.0 if img.dtype == np.uint16 else 255.0
    return srgb_to_linear(img[..., :3].astype(np.float64) / scale)


def read_local_render(work: Path, p: Placement) -> tuple[np.ndarray, np.ndarray]:
    """(ratio with / without in linear light (H, W, 3, BGR as OpenCV reads it, like the
    photographs), the defect's footprint (H, W) bool), turned into the image's orientation."""
    with_dir, without_dir = frame_dir(work, p.spec.frame_index), frame_dir(work, p.spec.frame_index + 1)
    lit, bare = _read_linear(with_dir / "rgb.png"), _read_linear(without_dir / "rgb.png")
    manifest = json.loads((with_dir / "manifest.json").read_text(encoding="utf-8"))
    ids, obj = read_id_passes(with_dir / manifest["files"]["ids"], manifest["id_channels"])
    footprint = (ids == 1) & (obj == manifest["part_pass_index"])
    ratio = np.where(bare > 1e-4, lit / np.maximum(bare, 1e-4), 1.0)
    ratio = np.clip(ratio, 0.0, 8.0)
    return np.rot90(ratio, p.rotation), np.rot90(footprint, p.rotation)


def _same_surface(lab: np.ndarray, surface: np.ndarray, footprint: np.ndarray, origin: tuple[int, int],
                  crop: tuple[int, int, int, int]) -> np.ndarray:
    """Where in a local render's window the photograph shows the surface the render stands for:
    surface pixels of about the colour that most of the footprint has (a wire across the part, or
    the backdrop through a hole, is another material: the render's ratio does not apply there)."""
    (x0, y0), (ix0, iy0, ix1, iy1) = origin, crop
    on = np.zeros_like(footprint)
    on[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = surface[iy0:iy1, ix0:ix1]
    colours = np.zeros(footprint.shape + (3,), np.float32)
    colours[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = lab[iy0:iy1, ix0:ix1]
    under = colours[footprint & on]
    if len(under) < 3:
        return on
    distance = np.linalg.norm(colours - np.median(under, 0), axis=-1)
    return on & (distance < max(SAME_COLOUR, 3 * float(np.median(distance[footprint & on]))))


def composite(image: np.ndarray, placements: list[tuple[Placement, np.ndarray, np.ndarray]], grey: bool, rng,
              min_area: int, min_contrast: float, surface: np.ndarray | None = None) -> tuple[np.ndarray, list, int]:
    """The image with every visible defect multiplied in, their (category, mask)s, and how many
    defects were dropped (too small or too faint once composited: left out of the image too).

    The change is softened by the photograph's own blur at its edges (beyond what a sharp render
    has), and its strength and sign are matched to a contrast the real defects of its category
    have: the log of the ratio is scaled (x0.25..4, negated where the real defect is lighter and
    the render darker, or the reverse) so that the mean grey change inside the defect equals it.
    Noise of the photograph's level is added back where the defect darkened it. Where the part's
    `surface` pixels are known, nothing else changes (the ratio is the render's surface's)."""
    h, w = image.shape[:2]
    grey_image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    lin = srgb_to_linear(image.astype(np.float64) / 255.0)
    noise = noise_sigma(grey_image)
    blur = math.sqrt(max(blur_sigma(grey_image) ** 2 - SHARP_STEP**2, 0.0))
    out, dropped = [], 0
    for p, ratio, footprint in placements:
        x0, y0 = p.origin
        ix0, iy0, ix1, iy1 = max(0, x0), max(0, y0), min(w, x0 + p.window), min(h, y0 + p.window)
        if ix1 <= ix0 or iy1 <= iy0:
            dropped += 1
            continue
        if surface is not None:
            footprint = footprint & _same_surface(lab, surface, footprint, (x0, y0), (ix0, iy0, ix1, iy1))
        inside = footprint[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0]
        if not inside.any():
            dropped += 1
            continue
        if grey:
            ratio = np.repeat(ratio.mean(-1, keepdims=True), 3, -1)
        # only the footprint changes (feathered by a pixel): a visible change must be labelled
        keep = cv2.GaussianBlur(cv2.dilate(footprint.astype(np.float32), np.ones((3, 3), np.uint8)), (0, 0), 0.7)
        ratio = 1 + (ratio - 1) * keep[..., None]
        reach = keep
        if blur > 0:
            ratio = cv2.GaussianBlur(np.ascontiguousarray(ratio), (0, 0), blur)
            reach = cv2.GaussianBlur(keep, (0, 0), blur)
        r = np.maximum(ratio[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0], 1e-3)
        spot = lin[iy0:iy1, ix0:ix1]
        srgb_before = linear_to_srgb(spot) * 255
        before = srgb_before.mean(-1)
        c1 = float(((linear_to_srgb(spot * r) * 255).mean(-1) - before)[inside].mean())
        if abs(c1) >= 1 and abs(p.contrast) >= 1:
            # a real defect of this category that is lighter than its surround (a rough, uneven
            # patch) turns a darkening render into a lightening one: the change's sign follows too
            # (the brightness part of the log ratio turns; its colour part keeps its hue)
            k = p.contrast / c1
            log_r = np.log(r)
            brightness = log_r.mean(-1, keepdims=True)
            scale = float(np.clip(abs(k), 0.25, 4.0))
            r = np.exp(brightness * scale * float(np.sign(k)) + (log_r - brightness) * scale)
        # visible in any channel: a change of hue at equal brightness is seen too
        change = np.abs(linear_to_srgb(spot * r) * 255 - srgb_before).max(-1)
        mask = np.zeros((h, w), bool)
        # the photograph's blur spreads the defect past its footprint; a visible halo is labelled too
        spread = reach[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] > 0.02
        # a mottled stain fades in places inside: a hole of the footprint is a hole of the mask,
        # not a pixel that changed a little less
        visible = spread & (change > VISIBLE)
        mask[iy0:iy1, ix0:ix1] = binary_fill_holes(visible) & spread
        candidate = lin.copy()
        candidate[iy0:iy1, ix0:ix1] = spot * r
        after = np.clip(np.rint(linear_to_srgb(candidate) * 255), 0, 255).astype(np.uint8)
        if mask.sum() < min_area or compute_contrast(after, mask) < min_contrast:
            dropped += 1
            continue
        lin = candidate
        # the real noise was scaled down with the light: add back what a darker spot lost
        lost = np.sqrt(np.clip(1 - r.mean(-1) ** 2, 0, 1))
        srgb = linear_to_srgb(lin[iy0:iy1, ix0:ix1]) * 255
        grain = rng.standard_normal(lost.shape)[..., None] * (noise * lost)[..., None]
        lin[iy0:iy1, ix0:ix1] = srgb_to_linear(np.clip(srgb + grain, 0, 255) / 255)
        out = [(c, m & ~mask) for c, m in out] + [(p.category, mask)]
    result = np.clip(np.rint(linear_to_srgb(lin) * 255), 0, 255).astype(np.uint8)
    if grey:
        result = cv2.cvtColor(cv2.cvtColor(result, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    return result, out, dropped


# ---- the command ------------------------------------------------------------------------------
def hybrid(reference: Path, recipe: SceneRecipe, n: int, out: Path, seed: int = 0, backgrounds: Path | None = None,
           quality: QualityPreset | None = None, workers: int = 0, max_factor: float = 5.0,
           carry: tuple[str, ...] = (), transplant: tuple[str, ...] = (), log=print) -> dict:
    """Write a split of `n` real photographs with rendered defects to `out` (see the module's docstring).

    `carry`: categories never rendered: a drawn defect of one makes the image's base a reference
    photograph that has it (its annotations kept), for kinds of defect the recipe cannot draw
    as they look. `transplant`: categories never rendered either: a drawn defect of one is a real
    one of the reference moved onto the image's photograph (render/transplant.py)."""
    from render.cluster import Workers, run_frames
    from render.config import load_quality

    reference, out = Path(reference), check_new_dir(Path(out))
    quality = quality or load_quality("preview", samples=32)
    real = RealSplit.load(reference)
    n_real = len(real.data["images"])
    if n < 1:
        raise UserError(f"--n must be at least 1, got {n}")
    if n > max_factor * n_real:
        raise UserError(f"{n} images exceed the cap of {int(max_factor * n_real)} = {max_factor:g} x {n_real} "
                        "real train images")
    entries = entries_by_category(recipe)
    counts = real.stats.category_counts()
    for flag, names in (("--carry", carry), ("--transplant", transplant)):
        bad = [c for c in names if c not in real.stats.categories]
        if bad:
            raise UserError(f"{flag} {bad[0]}: not a category of {reference} (its categories: "
                            f"{', '.join(real.stats.categories)})")
    both = sorted(set(carry) & set(transplant))
    if both:
        raise UserError(f"--carry and --transplant both name {both[0]}: a category is carried or transplanted")
    # a category without annotated defects is never drawn: nothing of it to carry (or render)
    missing = [c for c in real.stats.categories
               if counts[c] and c not in entries and c not in carry and c not in transplant]
    if missing:
        raise UserError(f"the recipe has no defect type for the reference's categories {missing} "
                        "(or carry them with --carry, or move real ones with --transplant)")
    sources = collect_sources(reference, real.data, transplant, real.part_pixels)
    plans, unplaced, carried = plan_images(real, recipe, entries, list_backgrounds(real, backgrounds), n, seed,
                                           quality, carry, sources)
    specs = [s for _, _, ps in plans for p in ps if isinstance(p, Placement)
             for s in (p.spec, replace(p.spec, frame_index=p.spec.frame_index + 1, defects=()))]
    log(f"hybrid: {len(specs) // 2} defects in {n} images; rendering {len(specs)} local views")
    if unplaced:
        # the categories a detector then sees less often than in the real split: say so
        log("hybrid: drawn but not placed (no free spot; or larger than a local render of at most "
            f"{MAX_WINDOW} px or twice the photograph's short side, or than the part, or an edge defect on a "
            "whole part, or a real one to transplant that finds no place, with no reference photograph of it to "
            "carry it): "
            + ", ".join(f"{c} {k}" for c, k in sorted(unplaced.items())))
    if carried:
        log("hybrid: drawn and carried by a reference photograph of the category instead of rendered (--carry, "
            "too large for a local render or the part, or an edge defect on a whole part, or, with its own "
            "photograph, a real one to transplant that finds no place; its own annotations kept): "
            + ", ".join(f"{c} {k}" for c, k in sorted(carried.items())))
    work = out.parent / f".{out.name}.hybrid"  # kept until the split is written: a rerun renders only what is missing
    outcome = run_frames(work, specs, quality.batch_size, Workers(workers=workers), desc="hybrid render")
    if outcome.failed:
        raise RunFailed(f"{len(outcome.failed)} local renders failed (logs in {work / 'logs'}); run again to retry")
    with building(out) as tmp:
        result = write_split(tmp, real, recipe, plans, work, seed, quality)
        result["unplaced"], result["carried"] = unplaced, carried
    if transplant:
        log("hybrid: real defects transplanted (--transplant): "
            + ", ".join(f"{c} {k}" for c, k in sorted(result["transplanted"].items())))
    shutil.rmtree(work, ignore_errors=True)
    return result


def entries_by_category(recipe: SceneRecipe) -> dict[str, list]:
    """category -> the recipe's (defect type, entry) pairs that draw it."""
    entries: dict[str, list] = {}
    for kind, entry in recipe.defects.enabled():
        entries.setdefault(entry.category, []).append((kind, entry))
    return entries


def plan_images(real: RealSplit, recipe: SceneRecipe, entries: dict, bases: list, n: int, seed: int,
                quality: QualityPreset, carry: tuple[str, ...] = (), sources: dict | None = None
                ) -> tuple[list[tuple[Path, Background, list[Placement | Move]]], dict[str, int], dict[str, int]]:
    """For each output image: its photograph and the defects to render (or real ones to move: a
    category of `sources`, category -> render/transplant.Source list) into it; per category, the
    drawn defects that found no place (too large for a local render, or no free spot); and per
    category, the drawn defects that a reference photograph of that category carries instead.

    When a drawn defect is too large for a local render, the image's photograph becomes one of the
    reference's train images that carry its category (their annotations are kept) and the image's
    other defects are placed on that: each category keeps its share of the output's defects,
    instead of the images without it diluting it. A drawn defect of a `carry` category does the
    same without being tried. A real defect to move that finds no place on the photograph brings its own
    photograph: the large ones, which find a place less often, keep their share of the category."""
    counts = real.stats.category_counts()
    cats = [c for c in real.stats.categories if counts[c]]
    freq = np.array([counts[c] for c in cats], float)
    per_image = real.stats.values("instances_per_image")
    per_image = per_image[per_image > 0].astype(int)
    names = {c["id"]: c["name"] for c in real.data["categories"]}
    carrying: dict[str, list] = {}  # category -> reference images that have it
    files = {i["id"]: i["file_name"] for i in real.data["images"]}
    by_file = {name: (real.split_dir / name, image_id) for image_id, name in files.items()}
    own_cats = {image_id: {names[a["category_id"]] for a in anns}
                for image_id, anns in annotations_by_image(real.data).items()}
    for image_id, cats_here in sorted(own_cats.items()):
        for cat in sorted(cats_here):
            carrying.setdefault(cat, []).append((real.split_dir / files[image_id], image_id))
    plans, index, unplaced, carried = [], 1, {}, {}
    for k in tqdm(range(1, n + 1), desc="hybrid plan", unit="image"):
        rng = seeding.stream(seeding.frame_seed(seed, k), "hybrid")
        path, image_id = bases[int(rng.integers(len(bases)))]
        drawn = []
        for _ in range(int(per_image[int(rng.integers(len(per_image)))])):
            cat = cats[int(rng.choice(len(cats), p=freq / freq.sum()))]
            if cat in carry:
                drawn.append((cat, None, None))
                continue
            if sources is not None and cat in sources:
                drawn.append((cat, TRANSPLANT, sources[cat]))
                continue
            options = entries[cat]
            wts = np.array([e.weight for _, e in options])
            drawn.append((cat, *options[int(rng.choice(len(options), p=wts / wts.sum()))]))
        to_carry, unmoved = [cat for cat, *_ in drawn if cat in carry], []
        if not to_carry:
            bg, placements, failed, index = _place(rng, real, recipe, path, image_id, drawn, index, seed, quality)
            to_carry = [cat for cat, why, _ in failed if why in CARRIED_WHEN and cat in carrying]
            unmoved = [source for _, why, source in failed if why == NO_MOVE and source is not None]
        if unmoved:  # the real defect's own photograph
            path, image_id = by_file[unmoved[0].file_name]
        elif to_carry:
            # a photograph with as many of the categories to carry as any has
            most = max(len(set(to_carry) & own_cats[i]) for _, i in carrying[to_carry[0]])
            options = [(pth, i) for pth, i in carrying[to_carry[0]] if len(set(to_carry) & own_cats[i]) == most]
            path, image_id = options[int(rng.integers(len(options)))]
        if to_carry:
            own = own_cats[image_id]
            for cat, *_ in drawn:
                if cat in own:
                    carried[cat] = carried.get(cat, 0) + 1
            rest = [d for d in drawn if d[0] not in own]
            bg, placements, failed, index = _place(rng, real, recipe, path, image_id,
                                                   [d for d in rest if d[0] not in carry], index, seed, quality)
            failed += [(cat, TOO_LARGE, None) for cat, *_ in rest if cat in carry]
        for cat, *_ in failed:
            unplaced[cat] = unplaced.get(cat, 0) + 1
        plans.append((path, bg, placements))
    return plans, unplaced, carried


def _place(rng, real: RealSplit, recipe: SceneRecipe, path: Path, image_id: int | None, drawn: list, index: int,
           seed: int, quality: QualityPreset) -> tuple[Background, list[Placement], list, int]:
    """Plan the drawn (category, kind, entry) defects on one photograph: (its background, the
    placements (a Move for a TRANSPLANT kind, whose entry is the category's real sources),
    (category, why, the real defect drawn or None) of each drawn defect that found no place, the
    next frame index)."""
    image, bg = load_background(real, path, image_id)
    occupied = np.zeros(image.shape[:2], bool)
    for _, m in bg.masks:
        occupied |= m
    occupied = cv2.dilate(occupied.astype(np.uint8), np.ones((2 * MARGIN + 1,) * 2, np.uint8)).astype(bool)
    placements, failed = [], []
    surface = real.surface.surface(image) if real.surface is not None and drawn else None
    part = None  # where a real defect may be moved to, once one is
    for cat, kind, entry in drawn:
        if kind == TRANSPLANT:
            if part is None:
                part = real.part_pixels(image) & (True if surface is None else surface)
            move = plan_move(rng, entry, image.shape[:2], occupied, part)
            if isinstance(move, Move):
                placements.append(move)
            else:  # brings its own photograph: else the large ones, which find room less often, thin out
                failed.append((cat, NO_MOVE, move.source))
            continue
        for _try in range(4):
            p = plan_defect(rng, real, recipe, kind, entry, image, occupied, index, seed, quality, surface)
            if isinstance(p, Placement):
                placements.append(p)
                index += 2
                break
        else:
            failed.append((cat, p, None))
    return bg, placements, failed, index


def write_split(tmp: Path, real: RealSplit, recipe: SceneRecipe, plans: list, work: Path, seed: int,
                quality: QualityPreset) -> dict:
    """Composite every planned image into `tmp` and write its annotations (the photograph's own,
    minus what a new defect covers, and the new ones): real defects moved in first, then the
    rendered ones."""
    coco = CocoWriter(tmp, real.data["categories"], {"description": f"hybrid: {recipe.name} into {real.split_dir}",
                                                     "root_seed": seed})
    cat_ids = {c["name"]: c["id"] for c in real.data["categories"]}
    kept, dropped, moved = {c: 0 for c in real.stats.categories}, 0, {}
    for k, (path, bg, placements) in enumerate(tqdm(plans, desc="hybrid composite", unit="image"), start=1):
        rng = seeding.stream(seeding.frame_seed(seed, k), "hybrid_noise")
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        rendered = [(p, *read_local_render(work, p)) for p in placements if isinstance(p, Placement)]
        surface = real.surface.pixels(image) if real.surface is not None and rendered else None
        transplanted = []
        part = real.part_pixels(image) if any(isinstance(p, Move) for p in placements) else None
        grain = seeding.stream(seeding.frame_seed(seed, k), "transplant_noise")
        for mv in (p for p in placements if isinstance(p, Move)):
            image, m = apply_move(image, mv, part, grain)
            transplanted.append((mv.category, m))
            moved[mv.category] = moved.get(mv.category, 0) + 1
        result, masks, lost = composite(image, rendered, real.grey, rng, quality.min_area, quality.min_contrast,
                                        surface)
        masks = transplanted + masks
        dropped += lost
        jpeg = path.suffix.lower() in (".jpg", ".jpeg")  # as the photographs were stored
        name = f"hybrid_{k:06d}{'.jpg' if jpeg else '.png'}"
        write_image(tmp / name, result, [cv2.IMWRITE_JPEG_QUALITY, 95] if jpeg else None)
        image_id = coco.add_image(name, result.shape[1], result.shape[0], source={"file_name": path.name})
        new = np.zeros(result.shape[:2], bool)
        for _, m in masks:
            new |= m
        for cid, m in bg.masks:
            enc = encode_instance(m & ~new, "rle")
            if enc is not None:
                coco.add_annotation(image_id, cid, *enc)
        for cat, m in masks:
            enc = encode_instance(m, "rle")
            if enc is not None:
                coco.add_annotation(image_id, cat_ids[cat], *enc)
                kept[cat] += 1
    coco.close()
    return {"images": len(plans), "instances": kept, "dropped": dropped, "transplanted": moved}
