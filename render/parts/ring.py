"""Ring: a turned ring or washer lying flat; defects go on the top face (an annulus), u = arc
length around the mid circle from the seam, v = radial distance inward from the outer edge."""

import math
from dataclasses import dataclass, replace

import numpy as np
from pydantic import model_validator

from render.parts.base import PartRecipe, seam_opposite
from render.parts.body import wall, zip_rings
from render.parts.surface import SurfacePart
from render.ranges import Range, uniform


class RingRecipe(PartRecipe):
    """Ring / washer lying flat; defects go on the top face (an annulus)."""

    outer_radius: Range(1, 1000) = (12, 30)  # mm
    width: Range(0.5, 1000) = (4, 10)  # mm, outer minus inner radius (kept below the outer radius)
    thickness: Range(0.3, 500) = (2, 5)  # mm

    @model_validator(mode="after")
    def _hole(self):
        if self.width[1] >= self.outer_radius[0]:
            raise ValueError(f"width {self.width[1]} must stay below outer_radius {self.outer_radius[0]}")
        return self


@dataclass(frozen=True)
class Ring(SurfacePart):
    type = "ring"
    Recipe = RingRecipe
    draw_order = 3
    periodic_u = True

    outer_radius: float
    width: float
    thickness: float
    seam_angle: float  # where u = 0 lies around the axis (set with the camera)

    @classmethod
    def sample(cls, rng, r: RingRecipe) -> "Ring":
        return cls(outer_radius=uniform(rng, r.outer_radius), width=uniform(rng, r.width),
                   thickness=uniform(rng, r.thickness), seam_angle=0.0)

    def close_up_target(self, rng, target: np.ndarray, spread: float) -> np.ndarray:
        """Close-ups look at the annulus, not into the hole."""
        target = target.copy()
        a = rng.uniform(0, 2 * math.pi)
        r_mid = self.outer_radius - self.width / 2
        target[:2] += r_mid * min(1.0, 2 * spread) * np.array([math.cos(a), math.sin(a)])
        target[2] = self.top_height()
        return target

    def facing(self, azimuth: float, target: np.ndarray) -> "Ring":
        return replace(self, seam_angle=seam_opposite(azimuth, target))

    def surface_extent(self) -> tuple[float, float]:
        return 2 * math.pi * (self.outer_radius - self.width / 2), self.width

    def bounding_radius(self) -> float:
        return math.sqrt(self.outer_radius**2 + (self.thickness / 2) ** 2)

    def top_height(self) -> float:
        return self.thickness

    def look_span(self) -> tuple[float, float]:
        return 2 * self.outer_radius, 2 * self.outer_radius

    def surface_points(self, uv: np.ndarray, height: np.ndarray | float = 0.0) -> np.ndarray:
        u, v = uv[:, 0], uv[:, 1]
        h = np.broadcast_to(np.asarray(height, dtype=float), u.shape)
        r_mid = self.outer_radius - self.width / 2
        theta = self.seam_angle + u / r_mid
        r = self.outer_radius - v
        return np.column_stack([r * np.cos(theta), r * np.sin(theta), self.thickness + h])

    def build_body(self, boundary_rings):
        """v = 0 is the outer edge, v = V the inner one."""
        first, last = boundary_rings
        outer_bottom, inner_bottom = first.copy(), last.copy()
        outer_bottom[:, 2] = inner_bottom[:, 2] = 0.0
        center = np.zeros(3)
        inner_verts, inner_faces = wall(last, inner_bottom, center)
        return [wall(first, outer_bottom, center), (inner_verts, inner_faces[:, ::-1]),
                zip_rings(inner_bottom, outer_bottom, down=True)]
