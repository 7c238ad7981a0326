"""Cylinder: an upright turned shaft or piston (turned grooves, a helical thread); defects go on
the lateral surface, u = arc length from the seam, v = height."""

import math
from dataclasses import dataclass, replace

import numpy as np

from render.parts.base import PartRecipe
from render.parts.body import fan
from render.parts.machining import Grooves, GroovesRecipe, sample_grooves
from render.parts.surface import SurfacePart
from render.ranges import Range, uniform
from render.spec import optional


class CylinderRecipe(PartRecipe):
    """Upright cylinder (turned shaft, piston); defects go on the lateral surface."""

    radius: Range(1, 1000) = (8, 20)  # mm
    height: Range(1, 2000) = (25, 60)  # mm
    grooves: GroovesRecipe | None = None  # around the axis (turned grooves, a thread)


@dataclass(frozen=True)
class Cylinder(SurfacePart):
    type = "cylinder"
    Recipe = CylinderRecipe
    draw_order = 1
    faces_up = False
    periodic_u = True

    radius: float
    height: float
    seam_angle: float  # where u = 0 lies around the axis (set with the camera, behind the part)
    grooves: Grooves | None = optional(of=Grooves)

    @classmethod
    def sample(cls, rng, r: CylinderRecipe) -> "Cylinder":
        shaft = cls(radius=uniform(rng, r.radius), height=uniform(rng, r.height), seam_angle=0.0)
        return replace(shaft, grooves=sample_grooves(rng, shaft, r.grooves, "u"))

    def facing(self, azimuth: float, target: np.ndarray) -> "Cylinder":
        return replace(self, seam_angle=azimuth + math.pi)

    def surface_extent(self) -> tuple[float, float]:
        return 2 * math.pi * self.radius, self.height

    def bounding_radius(self) -> float:
        return math.sqrt(self.radius**2 + (self.height / 2) ** 2)

    def top_height(self) -> float:
        return self.height

    def surface_points(self, uv: np.ndarray, height: np.ndarray | float = 0.0) -> np.ndarray:
        u, v = uv[:, 0], uv[:, 1]
        h = np.broadcast_to(np.asarray(height, dtype=float), u.shape)
        theta = self.seam_angle + u / self.radius
        r = self.radius + h
        return np.column_stack([r * np.cos(theta), r * np.sin(theta), v])

    def build_body(self, boundary_rings):
        first, last = boundary_rings
        return [fan(last, np.array([0, 0, self.height]), np.array([0, 0, 1.0])),
                fan(first, np.zeros(3), np.array([0, 0, -1.0]))]
