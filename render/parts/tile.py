"""Tile: a curved tile (magnetic tile, shell segment); defects go on the convex top, u = arc
length across the axis, v along the axis (y); edges at height `thickness`, the crown higher."""

import math
from dataclasses import dataclass

import numpy as np
from pydantic import model_validator

from render.parts.base import PartRecipe
from render.parts.plate import walled_down
from render.parts.surface import SurfacePart
from render.ranges import Range, uniform


class TileRecipe(PartRecipe):
    """Curved tile (magnetic tile, shell segment); defects go on the convex top."""

    radius: Range(1, 5000) = (20, 40)  # mm, curvature radius of the top
    width: Range(1, 2000) = (15, 30)  # mm of arc across the axis (must stay below pi * radius)
    length: Range(1, 2000) = (20, 50)  # mm along the axis
    thickness: Range(0.5, 500) = (3, 6)  # mm at the edges

    @model_validator(mode="after")
    def _arc(self):
        if self.width[1] >= 3.0 * self.radius[0]:
            raise ValueError(f"width {self.width[1]} is too large for radius {self.radius[0]} "
                             "(keep width < 3 x radius)")
        return self


@dataclass(frozen=True)
class Tile(SurfacePart):
    type = "tile"
    Recipe = TileRecipe
    draw_order = 2
    brush_angle = math.pi / 2  # marks along the tile's axis

    radius: float
    width: float
    length: float
    thickness: float

    @classmethod
    def sample(cls, rng, r: TileRecipe) -> "Tile":
        return cls(radius=uniform(rng, r.radius), width=uniform(rng, r.width), length=uniform(rng, r.length),
                   thickness=uniform(rng, r.thickness))

    def _half_angle(self) -> float:
        return self.width / (2 * self.radius)

    def surface_extent(self) -> tuple[float, float]:
        return self.width, self.length

    def bounding_radius(self) -> float:
        crown = self.radius * (1 - math.cos(self._half_angle()))
        return 0.5 * math.sqrt(self.width**2 + self.length**2 + (self.thickness + crown) ** 2)

    def top_height(self) -> float:
        return self.thickness + self.radius * (1 - math.cos(self._half_angle()))

    def surface_points(self, uv: np.ndarray, height: np.ndarray | float = 0.0) -> np.ndarray:
        u, v = uv[:, 0], uv[:, 1]
        h = np.broadcast_to(np.asarray(height, dtype=float), u.shape)
        a = self._half_angle()
        theta = u / self.radius - a
        r = self.radius + h
        axis_z = self.thickness - self.radius * math.cos(a)
        return np.column_stack([r * np.sin(theta), v - self.length / 2, axis_z + r * np.cos(theta)])

    def build_body(self, boundary_rings):
        return walled_down(boundary_rings)
