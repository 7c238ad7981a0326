"""Collision / impact mark: a dent with a raised rim of pushed-up material, often at an edge."""

import math
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from render.defects.base import FOOTPRINT_FRACTION, DefectRecipe
from render.defects.dent import Dent, ellipse_s2, sample_ellipse
from render.ranges import Range, uniform


class CollisionRecipe(DefectRecipe):
    """Collision / impact mark: a dent with a raised rim of pushed-up material, often near an edge."""

    category: str = "collision"
    radius: Range(0.1, 100) = (0.8, 3)  # mm, minor semi-axis of the dent
    depth: Range(0.001, 20) = (0.15, 0.6)
    falloff: Range(0.5, 8) = (1, 2)
    elongation: Range(1, 10) = (1, 2)
    rim_height: Range(0, 2) = (0.2, 0.5)  # fraction of the depth
    rim_width: Range(0.05, 2) = (0.2, 0.5)  # fraction of the radius
    edge_probability: float = Field(0.5, ge=0, le=1)  # chance it sits at an edge of the surface


@dataclass(frozen=True)
class Collision(Dent):
    """A dent and its rim."""

    type = "collision"
    Recipe = CollisionRecipe
    draw_order = 6
    on_edge = True
    size_keys = ('radius',)
    aspect_key = "elongation"

    rim_height: float
    rim_width: float

    @classmethod
    def sample(cls, rng, r: CollisionRecipe, lo, hi, part) -> "Collision":
        d = sample_ellipse(rng, r, lo, hi)
        d.update(rim_height=uniform(rng, r.rim_height), rim_width=uniform(rng, r.rim_width))
        if rng.random() < r.edge_probability:
            point, normal, _ = part.edge_anchor(rng, lo, hi)
            reach = d["radius"] * (1 + d["rim_width"])  # just inside the edge, rim included
            d["center"] = (point + normal * reach * rng.uniform(1.0, 1.5)).tolist()
            d["angle"] = math.atan2(normal[1], normal[0]) + math.pi / 2
        return cls(**d)

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        s = np.sqrt(ellipse_s2(self, uv))
        rw = self.rim_width
        h = np.where(s < 1, -self.depth * np.clip(1 - s * s, 0, 1) ** self.falloff, 0.0)
        rim = (s >= 1) & (s < 1 + rw)
        return h + np.where(rim, self.rim_height * self.depth * np.sin(np.pi * (s - 1) / rw), 0.0)

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        s2 = ellipse_s2(self, uv)
        inner = np.clip(1 - s2, 0, 1) ** self.falloff >= FOOTPRINT_FRACTION
        s = np.sqrt(s2)
        rim = (s >= 1) & (s < 1 + self.rim_width) & (np.sin(np.pi * (s - 1) / self.rim_width) >= FOOTPRINT_FRACTION)
        return inner | rim

    def refinement(self, across: float):
        spacing = self.radius * min(1.0, self.rim_width) / 8
        reach = self.radius * self.elongation * (1 + self.rim_width)
        n = min(int(np.ceil(2 * reach / spacing)) + 1, 400)
        g = np.linspace(-reach, reach, n)
        grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2) + np.asarray(self.center)
        return grid[np.sqrt(ellipse_s2(self, grid)) <= 1 + self.rim_width], 0.0, spacing

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        r = self.radius * self.elongation * (1 + self.rim_width)
        c = np.asarray(self.center, dtype=float)
        return c - r, c + r
