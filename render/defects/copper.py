"""Spurious copper: a short (a sliver of copper from a trace to its neighbour), a spur (a
sliver sticking out of a trace's edge) or a stray blob near a trace; the copper is the mask."""

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect
from render.parts.components import PAD_H
from render.parts.pieces import Piece, prism
from render.ranges import Range, uniform


class CopperRecipe(DefectRecipe):
    """Copper where there should be none."""

    category: str = "short"
    shapes: list[Literal["short", "spur", "blob"]] = Field(default=["short"], min_length=1)
    width: Range(0.02, 5) = (0.1, 0.3)  # mm (a blob's diameter: 3x)
    length: Range(0.05, 20) = (0.4, 1.5)  # mm, a spur's (a short reaches its neighbour, up to 4 mm)


def _points(path, step=0.1) -> np.ndarray:
    path = np.asarray(path, float)
    out = [path[0]]
    for a, b in zip(path[:-1], path[1:], strict=True):
        n = max(1, int(np.linalg.norm(b - a) / step))
        out += list(a + np.outer(np.arange(1, n + 1) / n, b - a))
    return np.array(out)


@dataclass(frozen=True)
class Copper(ItemDefect):
    type = "copper"
    Recipe = CopperRecipe
    draw_order = 17

    outline: tuple  # polygon (u, v)

    @classmethod
    def suits(cls, it, r) -> bool:
        return it.kind == "trace"

    @classmethod
    def sample(cls, rng, r: CopperRecipe, lo, hi, part) -> "Copper":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        pts = _points(item.path)
        seen = np.nonzero(np.all((pts[1:-1] >= lo) & (pts[1:-1] <= hi), axis=1))[0] + 1
        j = int(rng.choice(seen)) if len(seen) else int(rng.integers(1, len(pts) - 1))
        p, d = pts[j], pts[j + 1] - pts[j - 1]
        d /= np.linalg.norm(d)
        n = np.array([-d[1], d[0]]) * rng.choice([-1.0, 1.0])
        w, half_trace = uniform(rng, r.width), item.size[1] / 2
        shape = str(rng.choice(r.shapes))
        if shape == "blob":
            radius = 1.5 * w
            c = p + n * (half_trace + radius + rng.uniform(0.1, 0.4))
            a = np.linspace(0, 2 * math.pi, 12, endpoint=False)
            rr = radius * (1 + 0.25 * np.sin(3 * a + rng.uniform(0, 6)) + rng.uniform(-0.1, 0.1, 12))
            outline = c + np.column_stack([rr * np.cos(a), rr * np.sin(a)])
        else:
            start = p + n * half_trace * 0.5
            end = start + n * uniform(rng, r.length)
            if shape == "short":  # to the nearest other copper ahead, if any lies near
                traces = [_points(it.path) for q, it in enumerate(part.layout) if it.kind == "trace" and q != k]
                other = np.vstack(traces or [np.zeros((0, 2))])
                ahead = other[(other - p) @ n > half_trace]
                if len(ahead):
                    near = ahead[np.argmin(np.linalg.norm(ahead - p, axis=1))]
                    if np.linalg.norm(near - p) < 4.0:
                        end = near
            axis = end - start
            across = np.array([-axis[1], axis[0]]) / max(np.linalg.norm(axis), 1e-9)
            t = np.linspace(0, 1, 6)
            wob = 1 + rng.uniform(-0.25, 0.25, 6)
            taper = 1 - 0.6 * t if shape == "spur" else np.ones(6)
            left = start + np.outer(t, axis) + np.outer(w / 2 * wob * taper, across)
            right = start + np.outer(t, axis) - np.outer(w / 2 * wob[::-1] * taper, across)
            outline = np.vstack([left, right[::-1]])
        c = outline.mean(0)
        return cls(item=k, center=tuple(c.tolist()), reach=float(np.linalg.norm(outline - c, axis=1).max()),
                   outline=tuple(map(tuple, outline.tolist())))

    def pieces(self, part, defect_id: int) -> list[Piece]:
        xy = part.surface_points(np.asarray(self.outline))[:, :2]
        v, f = prism(xy, 0.0, PAD_H)
        return [Piece(v + [0, 0, part.thickness], f, paint=part.copper_paint(), defect=defect_id)]
