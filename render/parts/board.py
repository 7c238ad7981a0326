"""Board: a printed circuit board (PCB_1, PCB_2) or an assembled module (Electronics).

The defect surface is the board's top (the solder mask, u along x, v along y, as a plate's);
on it lie pieces: copper traces, pads in the mask's openings, vias and holes, silkscreen text and
outlines, and the components (render/parts/components.py) with leads and solder fillets. The
layout is drawn from the board's own `seed` whenever it is needed (the spec stays small), so an
item defect (render/defects/items.py) names an item by its index in the layout.
"""

import colorsys
import math
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import Field

from render.meshing import label_faces
from render.parts.base import PartRecipe
from render.parts.components import (
    FINISHES,
    KINDS,
    LAMINATE,
    PAD_H,
    SILK_H,
    Item,
    body_top,
    build_item,
    make_item,
    trace_height,
    trace_pieces,
    via_pieces,
)
from render.parts.pieces import STEP, Built, Piece, item_pieces, placer, strip, with_pieces
from render.parts.plate import Plate
from render.parts.silkscreen import text_strokes, text_width
from render.ranges import IntRange, Range, uniform

MASKS = {"green": (0.33, 0.85, 0.13), "darkgreen": (0.36, 0.8, 0.05), "blue": (0.6, 0.9, 0.16),
         "red": (0.0, 0.9, 0.22), "black": (0.0, 0.0, 0.012), "white": (0.0, 0.0, 0.75),
         "purple": (0.78, 0.85, 0.14), "yellow": (0.14, 0.95, 0.5)}  # solder mask colours, HSV (linear value)
SILKS = {"white": (0.85, 0.85, 0.82), "yellow": (0.75, 0.58, 0.05), "black": (0.01, 0.01, 0.01)}


class BoardRecipe(PartRecipe):
    """Printed circuit board with components; defects go on its top (and on its items)."""

    width: Range(5, 500) = (40, 90)  # mm, along x
    length: Range(5, 500) = (30, 70)  # mm, along y
    thickness: Range(0.2, 5) = (1.0, 1.6)  # mm
    components: IntRange(0, 500) = (15, 40)  # components placed (fewer where the board is full)
    kinds: dict[Literal[KINDS], float] = {"chip": 4.0, "sot": 1.0, "soic": 1.0, "qfp": 0.3}  # weights
    traces: IntRange(0, 500) = (15, 40)
    vias: IntRange(0, 500) = (5, 25)
    masks: list[Literal[tuple(MASKS)]] = Field(default=["green"], min_length=1)
    mask_roughness: Range(0, 1) = (0.15, 0.45)
    finishes: list[Literal[tuple(FINISHES)]] = Field(default=["tin", "gold"], min_length=1)
    silkscreens: list[Literal[tuple(SILKS)]] = Field(default=["white"], min_length=1)
    exposed: float = Field(0.0, ge=0, le=1)  # chance that traces are bare copper (no mask over them)


@dataclass(frozen=True)
class Board(Plate):
    type = "board"
    Recipe = BoardRecipe
    draw_order = 6
    brush_angle = 0.0

    seed: int = 0  # of the layout
    components: int = 0
    kinds: tuple = ()
    weights: tuple = ()
    traces: int = 0
    vias: int = 0
    mask: tuple = ()  # rgb, roughness
    finish: str = "tin"
    silkscreen: tuple = ()  # rgb
    exposed: bool = False

    @classmethod
    def sample(cls, rng, r: BoardRecipe) -> "Board":
        h, s, v = MASKS[r.masks[int(rng.integers(len(r.masks)))]]
        rgb = colorsys.hsv_to_rgb(h, s * rng.uniform(0.85, 1.0), v * rng.uniform(0.7, 1.3))
        return cls(width=uniform(rng, r.width), length=uniform(rng, r.length), thickness=uniform(rng, r.thickness),
                   seed=int(rng.integers(2**31)), components=int(rng.integers(r.components[0], r.components[1] + 1)),
                   kinds=tuple(r.kinds), weights=tuple(r.kinds.values()),
                   traces=int(rng.integers(r.traces[0], r.traces[1] + 1)),
                   vias=int(rng.integers(r.vias[0], r.vias[1] + 1)),
                   mask=(*map(float, rgb), uniform(rng, r.mask_roughness)),
                   finish=str(rng.choice(r.finishes)), silkscreen=SILKS[str(rng.choice(r.silkscreens))],
                   exposed=bool(rng.random() < r.exposed))

    @cached_property
    def layout(self) -> tuple[Item, ...]:
        return make_layout(self)

    def top_height(self) -> float:
        return self.thickness + max([body_top(it) for it in self.layout] + [PAD_H])

    def bounding_radius(self) -> float:
        return 0.5 * math.sqrt(self.width**2 + self.length**2 + self.top_height() ** 2)

    def close_up_target(self, rng, target, spread):
        target = super().close_up_target(rng, target, spread)
        target[2] = self.thickness  # close-ups look at the board, not at the tallest part
        return target

    def to_part(self, item: Item):
        """Item frame -> part frame."""
        return placer([item.center[0] - self.width / 2, item.center[1] - self.length / 2, self.thickness], item.angle)

    def copper_paint(self) -> tuple:
        """Traces: bare copper (exposed), or the mask over copper (lighter than the mask alone)."""
        if self.exposed:
            return FINISHES[self.finish]
        r, g, b, rough = self.mask
        return (min(1.0, r * 1.8 + 0.01), min(1.0, g * 1.8 + 0.01), min(1.0, b * 1.8 + 0.01), 0.0, rough)

    def build_item(self, k: int) -> Built:
        item = self.layout[k]
        if item.kind == "trace":
            xy = np.asarray(item.path) - [self.width / 2, self.length / 2]
            height = trace_height(item, self.exposed)
            b = Built(meta={"item": item, "path": xy, "z": self.thickness, "height": height,
                            "paint": self.copper_paint()})
            b.add("copper", *(p.moved(lambda v: v + [0, 0, self.thickness])
                              for p in trace_pieces(xy, item.size[1], self.copper_paint(), height)))
            return b
        if item.kind in ("via", "hole", "fiducial"):
            b = Built(meta={"item": item, "to_part": self.to_part(item)})
            if item.kind == "fiducial":
                parts = via_pieces((0.0, 0.0), 1e-3, item.size[0] / 2, FINISHES[self.finish], plugged=True)
            else:
                parts = via_pieces((0.0, 0.0), item.size[1] / 2, item.size[0] / 2, FINISHES[self.finish])
            for role, pieces in parts.items():
                b.add(role, *(p.moved(self.to_part(item)) for p in pieces))
            return b
        return build_item(item, FINISHES[self.finish], self.to_part(item))

    def silkscreen_pieces(self) -> list[Piece]:
        paint = (*self.silkscreen, 0.0, 0.6)
        z0, z1 = self.thickness, self.thickness + SILK_H
        out = []
        height = float(np.clip(min(self.width, self.length) / 60, 0.6, 1.2))
        lines = []
        for item in self.layout:
            if item.kind in ("trace", "via", "hole", "fiducial"):
                continue
            half = item.extent() + 0.3
            c = np.asarray(item.center)
            corners = c + half * np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]])
            lines.append(corners)
            label_at = c + [-text_width(item.label, height) / 2, half[1] + 0.3]
            if label_at[1] + height < self.length - 0.5 and label_at[0] > 0.5:
                lines += text_strokes(item.label, height, label_at)
        title = f"PCB-{self.seed % 9000 + 1000} REV{'ABCD'[self.seed % 4]}"
        lines += text_strokes(title, 1.5 * height, (1.0, 1.0))
        stroke = 0.15 * max(height, 1.0)
        for k, line in enumerate(lines):
            uv = np.asarray(line, float)
            if (uv.min(0) < 0).any() or (uv.max(0) > [self.width, self.length]).any():
                continue
            xy = uv - [self.width / 2, self.length / 2]
            out += [Piece(v, f, paint=paint) for v, f in strip(xy, stroke, z0, z1, (k % 8) * 1.5 * STEP)]
        return out

    def build_mesh(self, defects, settings):
        mesh = super().build_mesh(defects, settings)  # the top and its edges; item defects' footprints
        pieces = item_pieces(self, defects) + self.silkscreen_pieces()
        pieces = self.overlaid(pieces, defects)
        for d in defects:
            if hasattr(d.shape, "pieces"):
                pieces += d.shape.pieces(self, d.id)
        return with_pieces(mesh, pieces, surface_paint=(*self.mask[:3], 0.0, self.mask[3]), body_paint=LAMINATE)

    def overlaid(self, pieces: list, defects) -> list:
        """Stains lie over the flat pieces (pads, traces, silkscreen) as over the mask."""
        over = [d for d in defects if getattr(d.shape, "overlays", False)]
        if not over:
            return pieces
        out = []
        for p in pieces:
            z = p.verts[:, 2]
            if p.defect or not len(z) or z.max() - z.min() > 0.05:
                out.append(p)
                continue
            uv = p.verts[p.faces].mean(1)[:, :2] + [self.width / 2, self.length / 2]
            ids, darken, tint, mottle = label_faces(over, uv)
            if not ids.any():
                out.append(p)
                continue
            out.append(replace(p, look=(ids, darken, tint, mottle)))
        return out


# ---- layout ------------------------------------------------------------------------------
def make_layout(board: Board) -> tuple[Item, ...]:
    """Mounting holes, components (not overlapping), traces between pads, vias, fiducials."""
    rng = np.random.default_rng(board.seed)
    size = np.array([board.width, board.length])
    items, boxes = [], []

    def free(lo, hi):
        return (lo >= 0.5).all() and (hi <= size - 0.5).all() and all(
            (hi <= b_lo).any() or (lo >= b_hi).any() for b_lo, b_hi in boxes)

    r = min(1.6, 0.04 * size.min())
    if size.min() > 15:
        for corner in ([1, 1], [-1, 1], [-1, -1], [1, -1]):
            c = np.where(np.array(corner) > 0, 3 * r, size - 3 * r)
            items.append(Item("hole", tuple(c), 0.0, (3.2 * r, 2 * r, 0.0)))
            boxes.append((c - 2 * r, c + 2 * r))
    weights = np.asarray(board.weights, float)
    counts = {}
    for _ in range(board.components if len(weights) else 0):
        kind = board.kinds[int(rng.choice(len(weights), p=weights / weights.sum()))]
        item = replace(make_item(rng, kind), angle=float(rng.integers(4)) * math.pi / 2)
        half = item.extent() + 0.4
        for _try in range(15):
            c = rng.uniform(half + 0.5, np.maximum(size - half - 0.5, half + 0.5))
            if free(c - half, c + half):
                counts[item.label] = counts.get(item.label, 0) + 1
                items.append(replace(item, center=tuple(c.tolist()), label=f"{item.label}{counts[item.label]}"))
                boxes.append((c - half, c + half))
                break
    pads = [(k, it.to_board([[x, y]])[0], _outward(it, x, y)) for k, it in enumerate(items)
            for x, y, _, _ in it.pads[:len(it.leads) or None]]
    vias = []
    for _ in range(board.vias):
        d = float(rng.choice([0.6, 0.8, 1.0]))
        for _try in range(10):
            c = rng.uniform(d, size - d)
            if free(c - d * 0.7, c + d * 0.7):
                items.append(Item("via", tuple(c.tolist()), 0.0, (d, d * 0.45, 0.0)))
                boxes.append((c - d * 0.7, c + d * 0.7))
                vias.append((len(items) - 1, c, np.array(rng.choice([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]))))
                break
    ends = pads + vias  # traces join pads and vias, so that they spread over the whole board
    for _ in range(board.traces if len(ends) > 1 else 0):
        k, a, da = ends[int(rng.integers(len(ends)))]
        others = sorted((p for p in ends if p[0] != k), key=lambda p: np.linalg.norm(p[1] - a))
        _, b, db = others[int(rng.integers(min(4, len(others))))]
        path = _route(rng, a, da, b, db)
        # size: (unused, width, lift above the other traces: see components.trace_height)
        items.append(Item("trace", tuple(path.mean(0).tolist()), 0.0,
                          (0.0, float(rng.uniform(0.2, 0.4)), float(rng.uniform(0, 10)) * STEP),
                          path=tuple(map(tuple, path.tolist()))))
    for _ in range(2):
        c = rng.uniform(3, np.maximum(size - 3, 3.1))
        if free(c - 1.2, c + 1.2):
            items.append(Item("fiducial", tuple(c.tolist()), 0.0, (1.0, 0.0, 0.0)))
            boxes.append((c - 1.2, c + 1.2))
    return tuple(items)


def _outward(item: Item, x: float, y: float) -> np.ndarray:
    """Direction (board frame) in which a trace leaves the pad at (x, y) of the item."""
    d = np.array([np.sign(x), 0.0]) if abs(x) >= abs(y) else np.array([0.0, np.sign(y) or 1.0])
    c, s = math.cos(item.angle), math.sin(item.angle)
    return np.array([c * d[0] - s * d[1], s * d[0] + c * d[1]])


def _route(rng, a, da, b, db) -> np.ndarray:
    """Pad a to pad b: out of each pad, then along x and y with a 45° corner."""
    p1, p3 = a + da * 1.0, b + db * 1.0
    corner = np.array([p3[0], p1[1]]) if rng.random() < 0.5 else np.array([p1[0], p3[1]])
    d_in, d_out = corner - p1, p3 - corner
    cut = min(0.5 * np.linalg.norm(d_in), 0.5 * np.linalg.norm(d_out), 1.5)
    pts = [a, p1]
    if cut > 1e-3:
        pts += [corner - d_in / np.linalg.norm(d_in) * cut, corner + d_out / np.linalg.norm(d_out) * cut]
    pts += [p3, b]
    pts = np.array(pts)
    keep = np.concatenate([[True], np.linalg.norm(np.diff(pts, axis=0), axis=1) > 1e-6])
    return pts[keep]
