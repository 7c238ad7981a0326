"""Dome: a spherical cap (a hemisphere, a polished dome, a lens) standing on its flat base;
defects go on the cap, u = arc length around the base circle from the seam, v = meridian arc
length from the base towards the pole (which is closed by a tiny cap)."""

import math
from dataclasses import dataclass, replace

import numpy as np

from render.parts.base import PartRecipe, seam_opposite
from render.parts.body import fan
from render.parts.surface import SurfacePart
from render.ranges import Range, uniform

POLE = 0.03  # rad: the surface stops this short of the pole (a tiny flat cap)


class DomeRecipe(PartRecipe):
    """Dome / hemisphere (a spherical cap standing on its flat base); defects go on the cap."""

    radius: Range(1, 1000) = (10, 25)  # mm, sphere radius
    height: Range(0.1, 1) = (0.6, 1.0)  # cap height as a fraction of the radius (1 = hemisphere)


@dataclass(frozen=True)
class Dome(SurfacePart):
    type = "dome"
    Recipe = DomeRecipe
    draw_order = 4
    periodic_u = True

    radius: float
    height: float  # fraction of the radius
    seam_angle: float  # where u = 0 lies around the axis (set with the camera)

    @classmethod
    def sample(cls, rng, r: DomeRecipe) -> "Dome":
        return cls(radius=uniform(rng, r.radius), height=uniform(rng, r.height), seam_angle=0.0)

    def facing(self, azimuth: float, target: np.ndarray) -> "Dome":
        return replace(self, seam_angle=seam_opposite(azimuth, target))

    def _base_angle(self) -> float:
        """Polar angle of the base circle (pi/2 for a hemisphere)."""
        return math.acos(1 - self.height)

    def surface_extent(self) -> tuple[float, float]:
        a = self._base_angle()
        return 2 * math.pi * self.radius * math.sin(a), self.radius * (a - POLE)

    def bounding_radius(self) -> float:
        base = self.radius * math.sin(self._base_angle())
        return math.sqrt(base**2 + (self.radius * self.height / 2) ** 2)

    def top_height(self) -> float:
        return self.radius * self.height

    def look_span(self) -> tuple[float, float]:
        r = self.radius * math.sin(self._base_angle())
        return 2 * r, 2 * r

    def surface_points(self, uv: np.ndarray, height: np.ndarray | float = 0.0) -> np.ndarray:
        u, v = uv[:, 0], uv[:, 1]
        h = np.broadcast_to(np.asarray(height, dtype=float), u.shape)
        R, a = self.radius, self._base_angle()
        theta = self.seam_angle + u / (R * math.sin(a))
        phi = a - v / R
        r = R + h
        center_z = R * (self.height - 1)
        return np.column_stack([r * np.sin(phi) * np.cos(theta), r * np.sin(phi) * np.sin(theta),
                                center_z + r * np.cos(phi)])

    def domain_edges(self):
        """Only the base circle: v = V is the tiny cap at the pole, not an edge."""
        return [(1, 0.0, [0.0, 1.0])]

    def build_body(self, boundary_rings):
        """v = 0 is the base circle on the table, v = V the small circle at the pole."""
        first, last = boundary_rings
        pole = np.array([0.0, 0.0, self.top_height()])
        return [fan(first, np.zeros(3), np.array([0, 0, -1.0])), fan(last, pole, np.array([0, 0, 1.0]))]
