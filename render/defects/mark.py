"""Crack or scratch on a component's housing: a thin dark (crack) or light (scratch) line
wandering across the top of its body; the line is the mask."""

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect
from render.parts.components import body_top
from render.parts.pieces import Piece, strip
from render.ranges import IntRange, Range, uniform

HOUSINGS = ("housing", "connector", "shield", "soic", "qfp", "can")


class MarkRecipe(DefectRecipe):
    """A crack or scratch across a housing's top."""

    category: str = "crack"
    kinds: list[Literal[HOUSINGS]] = Field(default=list(HOUSINGS), min_length=1)
    width: Range(0.01, 2) = (0.06, 0.15)  # mm
    length: Range(0.1, 100) = (0.4, 0.9)  # fraction of the body's length
    wander: Range(0, 90) = (10, 40)  # degrees of heading change per step
    branches: IntRange(0, 5) = (0, 2)
    value: Range(0, 1) = (0.0, 0.05)  # grey level of the line: dark crack (0) .. light scratch (1)


@dataclass(frozen=True)
class Mark(ItemDefect):
    type = "mark"
    Recipe = MarkRecipe
    draw_order = 15

    paths: tuple  # polylines in the item's frame (x, y), on its top
    width: float
    value: float

    @classmethod
    def suits(cls, it, r) -> bool:
        return it.kind in r.kinds

    @classmethod
    def sample(cls, rng, r: MarkRecipe, lo, hi, part) -> "Mark":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        half = np.array(item.size[:2]) / 2 * (0.6 if item.kind == "can" else 0.9)  # a can's top is round
        length = uniform(rng, r.length) * item.size[0]
        wander = math.radians(uniform(rng, r.wander))
        start = rng.uniform(-half, half)
        edge = int(rng.integers(2))
        start[edge] = half[edge] * rng.choice([-1, 1])  # from an edge
        main = _walk(rng, start, math.atan2(-start[1], -start[0]), length, wander, half)
        paths = [main]
        for _ in range(int(rng.integers(r.branches[0], r.branches[1] + 1))):
            p = main[int(rng.integers(1, len(main)))]
            paths.append(_walk(rng, p, rng.uniform(0, 2 * math.pi), 0.4 * length, wander, half))
        return cls(item=k, center=tuple(item.center), reach=float(max(item.size[:2])), paths=tuple(
            tuple(map(tuple, q.tolist())) for q in paths), width=uniform(rng, r.width), value=uniform(rng, r.value))

    def modify(self, built, defect_id: int) -> None:
        item = built.meta["item"]
        z = body_top(item)
        paint = (self.value, self.value, self.value, 0.0, 0.8)
        for path in self.paths:
            for v, f in strip(np.asarray(path), self.width, z, z + 0.006):
                built.add("mark", Piece(built.meta["to_part"](v), f, paint=paint, defect=defect_id))


def _walk(rng, start, heading, length, wander, half, step=0.15) -> np.ndarray:
    """A random walk of `length` mm, kept inside [-half, half]."""
    pts = [np.asarray(start, float)]
    for _ in range(max(2, int(length / step))):
        heading += rng.uniform(-wander, wander)
        p = np.clip(pts[-1] + step * np.array([math.cos(heading), math.sin(heading)]), -half, half)
        pts.append(p)
    return np.array(pts)
