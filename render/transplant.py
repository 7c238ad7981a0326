"""Real defects moved onto other photographs, for `hybrid --transplant CATEGORY`.

For a kind of defect that no procedural type draws as it looks (a band of another grinding
texture, a frayed region), a real annotated defect of the category is taken from a reference
photograph, flipped and scaled, and blended into the output image's photograph in the gradient
domain (Perez et al. 2003, "Poisson image editing"), of the log of the pixel values: inside, the
defect keeps its own texture and its contrast relative to its surround (a crack half as bright as
the surface stays half as bright on a darker tile, where a difference of levels would turn it
black); its edge takes the photograph's brightness, so no seam is left for a detector to learn,
and where the moved pixels are less noisy than the photograph, the noise they lack is added (a
smooth patch would be such a cue too).
The mask is the real annotation, moved with it: as exact as the reference's labels.

Where it goes: a defect that touches an image border (a chip out of the part's edge, a band
across the tile) keeps touching that border (after the flips, which mirror the border too), and
one near a border (within 10% of the image's side: a chip on the chamfer along a tile's edge)
keeps its distance to it (scaled with the defect): what lies between it and the part's edge
stays as it was. Along the other axes it goes near its own place, relative to the image size
(give or take 8%), or near the place of another real one of its category when that is taken,
or anywhere when those are too; a defect by the part's edge is never moved into mid-surface,
where the real data has none like it. Flips and scaling keep the
direction of the surface's texture (machining streaks stay as they run); no turn by an odd angle.
It must lie on the part (`surface`: never a near-black backdrop, `usable`, and where the
photographs show a whole part on a backdrop, the part's surface), and it keeps clear of the
photograph's own defects and of those placed before it. What is not the part around a real
defect (backdrop beside a tile's edge, a wire over a plate) is not moved with it.
"""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import spsolve

from render.dataset.coco import annotations_by_image, decode_mask
from render.dataset.measure import noise_sigma

TOUCH = 2  # px: a mask this close to an image border touches it
NEAR = 0.1  # of the image's side: a mask this close to a border keeps its distance to it
BORDERS = ("left", "right", "top", "bottom")
NOISE_SCALES = (0.8, 1.0, 1.25)  # a source photograph's noise is measured resampled by these (SCALE's range)
CONTEXT = 0.15  # of the geometric mean of the defect box's sides (at least 3 px): the surround blended with it
SCALE = (0.8, 1.25)  # size change, log-uniform
JITTER = 0.08  # of the image size, for a defect's place
ON_SURFACE = 0.9  # share of the defect's pixels on the part's surface, where that is known
MIN_AREA = 16  # px: smaller real instances are not moved (their label is a few pixels)
TRIES = 30
# why plan_move found no place: the real one drawn does not fit this photograph (by size, or on
# the part); or it would, but other defects take every such place
NO_FIT, NO_ROOM = "the real one drawn does not fit", "no room"
BACKDROP = 0.25  # of an image's median grey: darker pixels are a black backdrop, not the part
SMOOTH = 1.5  # px: the blend's boundary values are averaged over this (sigma), so noise does not bleed in
RING = 2  # px of the crop beyond the blended surround: its boundary values


@dataclass(frozen=True)
class Source:
    """One real defect: its crop (context included) and where it sat."""

    category: str
    file_name: str
    pixels: np.ndarray  # (h, w, 3) uint8: the crop, CONTEXT (+ RING) around the mask's box
    mask: np.ndarray  # (h, w) bool: the instance in the crop
    context: int  # px of surround in the crop on each side (reflected where past the image), RING included
    relative: tuple[float, float]  # the mask box's centre / image size (x, y)
    part: np.ndarray  # (h, w) bool: the crop's pixels of the part (not backdrop)
    gaps: dict  # border (BORDERS) -> px from the mask's box to it, for the borders it is near (NEAR)
    noise: tuple  # its photograph's relative noise (see relative_noise) once resampled by NOISE_SCALES

    @property
    def touches(self) -> frozenset:
        """The image borders the mask touches."""
        return _touching(self.gaps)


def _touching(gaps: dict) -> frozenset:
    return frozenset(b for b, g in gaps.items() if g <= TOUCH)


@dataclass(frozen=True)
class Move:
    """One real defect to blend into one output image."""

    source: Source
    flip_x: bool
    flip_y: bool
    scale: tuple[float, float]  # x, y
    origin: tuple[int, int]  # px in the output image of the transformed crop's top-left corner

    @property
    def category(self) -> str:
        return self.source.category


@dataclass(frozen=True)
class NoMove:
    """Why plan_move placed nothing (NO_FIT, NO_ROOM), and the real defect it drew (None: there
    was none to draw)."""

    why: str
    source: Source | None


def backdrop_floor(image: np.ndarray) -> float:
    return BACKDROP * float(np.median(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)))


def usable(image: np.ndarray) -> np.ndarray:
    """Pixels that are not a near-black backdrop (where a real defect may be moved to)."""
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) > backdrop_floor(image)


def collect_sources(split_dir: Path, data: dict, categories, part_of=usable) -> dict[str, list[Source]]:
    """category -> its real instances (of at least MIN_AREA px) in the split, for the `categories`
    asked; `part_of(image)` says which pixels of a photograph are the part. The photograph's other
    defects (of any category) are not the part either: they are not moved along unlabelled."""
    names = {c["id"]: c["name"] for c in data["categories"]}
    wanted = set(categories)
    sources: dict[str, list[Source]] = {c: [] for c in categories}
    by_image = annotations_by_image(data)
    for info in data["images"]:
        anns = [a for a in by_image.get(info["id"], []) if names[a["category_id"]] in wanted]
        if not anns:
            continue
        image = cv2.imread(str(Path(split_dir) / info["file_name"]), cv2.IMREAD_COLOR)
        h, w = image.shape[:2]
        masks = [decode_mask(a["segmentation"], h, w) for a in by_image[info["id"]]]
        # less a pixel: resampling blends the part's edge with what lies beyond it
        part = cv2.erode(part_of(image).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        noise = tuple(relative_noise(cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_LINEAR),
                                     cv2.resize(part.astype(np.uint8), None, fx=f, fy=f,
                                                interpolation=cv2.INTER_NEAREST_EXACT) > 0) for f in NOISE_SCALES)
        for a in anns:
            m = decode_mask(a["segmentation"], h, w)
            if m.sum() < MIN_AREA:
                continue
            others = np.zeros((h, w), np.uint8)
            for o in masks:
                others |= (o & ~m).astype(np.uint8)
            others = cv2.dilate(others, np.ones((5, 5), np.uint8)) > 0
            ys, xs = np.nonzero(m)
            x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
            c = max(3, int(round(CONTEXT * np.sqrt((x1 - x0) * (y1 - y0))))) + RING
            pad = cv2.copyMakeBorder(image, c, c, c, c, cv2.BORDER_REFLECT)
            own_part = np.pad(part & ~others, c, mode="symmetric")  # as BORDER_REFLECT pads the pixels
            gaps = {}
            for low, high, side in ((("left", x0), ("right", w - x1), w), (("top", y0), ("bottom", h - y1), h)):
                for (border, g), other in ((low, high[1]), (high, low[1])):  # the nearer, or both when it spans
                    if g <= TOUCH or (g <= NEAR * side and g <= other):
                        gaps[border] = g
            sources[names[a["category_id"]]].append(Source(
                names[a["category_id"]], info["file_name"], pad[y0:y1 + 2 * c, x0:x1 + 2 * c].copy(),
                np.pad(m[y0:y1, x0:x1], c), c, ((x0 + x1) / 2 / w, (y0 + y1) / 2 / h),
                own_part[y0:y1 + 2 * c, x0:x1 + 2 * c].copy(), gaps, noise))
    return sources


def _flipped(gaps: dict, flip_x: bool, flip_y: bool) -> dict:
    swap = {"left": "right", "right": "left"} if flip_x else {}
    swap.update({"top": "bottom", "bottom": "top"} if flip_y else {})
    return {swap.get(b, b): g for b, g in gaps.items()}


def _transformed(move: Move) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(pixels, mask, blend region, part) of the move's crop, flipped and scaled: the region is the
    mask grown by the context (less what is not the part), where the Poisson blend takes the crop's
    gradients."""
    s = move.source
    px, m, part = s.pixels, s.mask.astype(np.uint8), s.part.astype(np.uint8)
    if move.flip_x:
        px, m, part = px[:, ::-1], m[:, ::-1], part[:, ::-1]
    if move.flip_y:
        px, m, part = px[::-1], m[::-1], part[::-1]
    h, w = m.shape
    size = (max(1, round(w * move.scale[0])), max(1, round(h * move.scale[1])))
    px = cv2.resize(np.ascontiguousarray(px), size, interpolation=cv2.INTER_LINEAR)
    # sampled at pixel centres, as INTER_LINEAR samples the pixels (INTER_NEAREST is half a pixel off)
    m = cv2.resize(np.ascontiguousarray(m), size, interpolation=cv2.INTER_NEAREST_EXACT).astype(bool)
    part = cv2.resize(np.ascontiguousarray(part), size, interpolation=cv2.INTER_NEAREST_EXACT).astype(bool)
    c = max(1, round((s.context - RING) * min(move.scale)))
    region = cv2.dilate(m.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * c + 1,) * 2)) > 0
    region &= m | part
    region[:1], region[-1:], region[:, :1], region[:, -1:] = False, False, False, False  # the crop's ring is outside
    return px, m, region, part


def plan_move(rng, sources: list[Source], shape: tuple[int, int], occupied: np.ndarray,
              surface: np.ndarray | None = None) -> Move | NoMove:
    """A real defect of one category and where it goes in an image of `shape` (h, w), clear of
    `occupied` and on `surface` (bool, where it may go: see `usable`), marked in `occupied`; or
    why there is none (NO_FIT, NO_ROOM) and the defect drawn. The defect, its flips and its size
    change are drawn once and only its place is tried again: redrawing the defect until one fits
    would favour small ones."""
    if not sources:
        return NoMove(NO_FIT, None)
    h, w = shape
    s = sources[int(rng.integers(len(sources)))]
    fx, fy = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
    k = float(np.exp(rng.uniform(*np.log(SCALE))))
    mh, mw = s.mask.shape[0] - 2 * s.context, s.mask.shape[1] - 2 * s.context
    gaps = _flipped(s.gaps, fx, fy)
    touches = _touching(gaps)
    sx = w / mw if {"left", "right"} <= touches else k  # a band across the image spans this one too
    sy = h / mh if {"top", "bottom"} <= touches else k
    if not (0.5 <= sx / sy <= 2) or mw * sx > w + 1e-6 or mh * sy > h + 1e-6:
        return NoMove(NO_FIT, s)
    _, mask, region, _ = _transformed(Move(s, fx, fy, (sx, sy), (0, 0)))
    bx, by, bw, bh = cv2.boundingRect(mask.astype(np.uint8))  # the mask's box, as the output will hold it
    # a border it touches or is near pins it at its (scaled) distance from that border
    pin_x = _pinned(gaps, "left", "right", sx, w - bw)
    pin_y = _pinned(gaps, "top", "bottom", sy, h - bh)
    why = NO_FIT
    for attempt in range(TRIES):
        if attempt < 2 * TRIES // 3:  # near its own place, then where another real one of the category sat
            rx, ry = (s if attempt < TRIES // 3 else sources[int(rng.integers(len(sources)))]).relative
            cx = ((1 - rx) if fx else rx) * w + rng.normal(0, JITTER * w)  # mirrored with the flips
            cy = ((1 - ry) if fy else ry) * h + rng.normal(0, JITTER * h)
        else:  # those places are taken: anywhere along a border that pins it, or on the surface
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        x0 = pin_x if pin_x is not None else int(np.clip(round(cx - bw / 2), 0, w - bw))
        y0 = pin_y if pin_y is not None else int(np.clip(round(cy - bh / 2), 0, h - bh))
        move = Move(s, fx, fy, (sx, sy), (x0 - bx, y0 - by))
        full_region, full_mask = _place(region, move.origin, shape), _place(mask, move.origin, shape)
        if full_mask.sum() < MIN_AREA or surface is not None and (surface[full_region]).mean() < ON_SURFACE:
            continue
        if (full_region & occupied).any():
            why = NO_ROOM
            continue
        occupied |= full_region
        return move
    return NoMove(why, s)


def _pinned(gaps: dict, low: str, high: str, scale: float, room: int) -> int | None:
    """The box's start on one axis when a border of it (`low`: left/top, `high`: right/bottom)
    pins it, the gap scaled like the defect; `room`: the largest start that keeps the box inside."""
    border = low if low in gaps else high if high in gaps else None
    if border is None:
        return None
    g = 0 if gaps[border] <= TOUCH else min(round(gaps[border] * scale), room)
    return int(g if border == low else room - g)


def _place(a: np.ndarray, origin: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """`a` (bool) put at `origin` (x, y) in an array of `shape`, cut where it runs past."""
    out = np.zeros(shape, bool)
    x, y = origin
    h, w = a.shape
    ox0, oy0, ox1, oy1 = max(0, x), max(0, y), min(shape[1], x + w), min(shape[0], y + h)
    if ox1 > ox0 and oy1 > oy0:
        out[oy0:oy1, ox0:ox1] = a[oy0 - y:oy1 - y, ox0 - x:ox1 - x]
    return out


def membrane(boundary: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The harmonic function inside `region` (bool, not touching the array's edge) that equals
    `boundary` (h, w, k) on the pixels next to it: what Poisson cloning adds to the source's values
    so that they meet the destination's at the region's edge."""
    h, w = region.shape
    index = -np.ones((h, w), np.int64)
    ys, xs = np.nonzero(region)
    index[ys, xs] = np.arange(len(ys))
    rows, cols, rhs = [np.arange(len(ys))], [np.arange(len(ys))], np.zeros((len(ys), boundary.shape[2]))
    vals = [np.full(len(ys), 4.0)]
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        ny, nx = ys + dy, xs + dx
        inner = region[ny, nx]
        rows.append(np.nonzero(inner)[0])
        cols.append(index[ny[inner], nx[inner]])
        vals.append(-np.ones(int(inner.sum())))
        rhs[~inner] += boundary[ny[~inner], nx[~inner]]
    a = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                   shape=(len(ys), len(ys))).tocsc()
    solved = spsolve(a, rhs)
    out = np.zeros(boundary.shape)
    out[ys, xs] = solved.reshape(len(ys), -1)
    return out


def relative_noise(image: np.ndarray, part: np.ndarray) -> float:
    """A photograph's noise (Immerkaer's estimate, grey levels) over the median grey of its part:
    the std of the noise in the log of the pixel values, where the blend works."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    level = float(np.median(grey[part])) if part.any() else float(np.median(grey))
    return noise_sigma(grey) / max(level, 1.0)


def apply_move(image: np.ndarray, move: Move, part: np.ndarray | None = None,
               rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The image (BGR uint8) with the moved defect blended in, and its mask (what the label says);
    `part`: the image's pixels of the part (default `usable`), where the blend's edge values come from.
    With `rng`, a moved defect less noisy than the photograph (a longer exposure, or smoothed by
    enlarging) gets the noise it lacks: else its smoothness alone marks it, which real defects lack."""
    px, mask, region, src_part = _transformed(move)
    h, w = image.shape[:2]
    ph, pw = mask.shape
    x, y = move.origin
    pads = (max(0, -y), max(0, y + ph - h), max(0, -x), max(0, x + pw - w))  # the crop may run past the image
    dst = cv2.copyMakeBorder(image, *pads, cv2.BORDER_REFLECT)
    dst_part = cv2.copyMakeBorder((usable(image) if part is None else part).astype(np.uint8), *pads,
                                  cv2.BORDER_REFLECT)
    ox, oy = max(0, x), max(0, y)
    under_px = dst[oy:oy + ph, ox:ox + pw]
    region = region & (mask | (dst_part[oy:oy + ph, ox:ox + pw] > 0))  # nothing but the defect off the part
    under, src = np.log1p(under_px.astype(np.float64)), np.log1p(px.astype(np.float64))
    # boundary values from surface pixels of both, averaged over a few pixels (no backdrop, no noise)
    valid = (src_part & (dst_part[oy:oy + ph, ox:ox + pw] > 0)).astype(np.float64)
    weight = cv2.GaussianBlur(valid, (0, 0), SMOOTH)
    diff = cv2.GaussianBlur((under - src) * valid[..., None], (0, 0), SMOOTH).reshape(under.shape)
    fallback = ((under - src) * valid[..., None]).sum((0, 1)) / max(valid.sum(), 1.0)
    diff = np.where(weight[..., None] > 1e-3, diff / np.maximum(weight, 1e-3)[..., None], fallback)
    blended = src + membrane(diff, region)
    if rng is not None:
        # the source's noise once resampled as the move does (enlarging smooths it)
        own = np.interp(np.log(np.sqrt(move.scale[0] * move.scale[1])), np.log(NOISE_SCALES), move.source.noise)
        lacking = np.sqrt(max(relative_noise(image, usable(image) if part is None else part) ** 2 - own**2, 0.0))
        grey = np.array_equal(image[..., 0], image[..., 1]) and np.array_equal(image[..., 1], image[..., 2])
        grain = rng.standard_normal(blended.shape[:2] + ((1,) if grey else (blended.shape[2],)))
        blended = blended + lacking * grain * region[..., None]  # in the log: noise scales with brightness
    patch = np.where(region[..., None], np.expm1(blended), dst[oy:oy + ph, ox:ox + pw])
    dst[oy:oy + ph, ox:ox + pw] = np.clip(np.round(patch), 0, 255).astype(np.uint8)
    top, left = max(0, -y), max(0, -x)
    return dst[top:top + h, left:left + w], _place(mask, move.origin, (h, w))
