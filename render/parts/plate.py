"""Plate: a machined flat plate (or a housing panel with seams and button holes); defects go on
the top face, u along x, v along y."""

import math
from dataclasses import dataclass, replace

import numpy as np
from pydantic import model_validator

from render.parts.base import PartRecipe
from render.parts.body import fan, wall
from render.parts.machining import Grooves, GroovesRecipe, Hole, HolesRecipe, sample_grooves, sample_holes
from render.parts.surface import SurfacePart
from render.ranges import Range, uniform
from render.spec import optional


class PlateRecipe(PartRecipe):
    """Machined flat plate; defects go on the top face."""

    width: Range(1, 2000) = (40, 80)  # mm, along x
    length: Range(1, 2000) = (30, 60)  # mm, along y
    thickness: Range(0.5, 500) = (3, 8)  # mm
    grooves: GroovesRecipe | None = None  # along x or y (seams of a housing, a grooved plate)
    holes: HolesRecipe | None = None  # button holes (a housing panel)

    @model_validator(mode="after")
    def _no_thread(self):
        if self.grooves is not None and self.grooves.helix:
            raise ValueError("grooves.helix makes a screw thread: it is for cylinders, not plates")
        return self


@dataclass(frozen=True)
class Plate(SurfacePart):
    type = "plate"
    Recipe = PlateRecipe
    draw_order = 0
    brush_angle = None  # marks across the plate at a random angle

    width: float
    length: float
    thickness: float
    grooves: Grooves | None = optional(of=Grooves)
    holes: tuple = optional((), of=Hole)

    @classmethod
    def sample(cls, rng, r: PlateRecipe) -> "Plate":
        plate = cls(width=uniform(rng, r.width), length=uniform(rng, r.length), thickness=uniform(rng, r.thickness))
        axis = str(rng.choice(["u", "v"]))
        plate = replace(plate, grooves=sample_grooves(rng, plate, r.grooves, axis))
        return replace(plate, holes=sample_holes(rng, plate, r.holes))

    def surface_extent(self) -> tuple[float, float]:
        return self.width, self.length

    def bounding_radius(self) -> float:
        return 0.5 * math.sqrt(self.width**2 + self.length**2 + self.thickness**2)

    def top_height(self) -> float:
        return self.thickness

    def surface_points(self, uv: np.ndarray, height: np.ndarray | float = 0.0) -> np.ndarray:
        u, v = uv[:, 0], uv[:, 1]
        h = np.broadcast_to(np.asarray(height, dtype=float), u.shape)
        return np.column_stack([u - self.width / 2, v - self.length / 2, self.thickness + h])

    def build_body(self, boundary_rings):
        return walled_down(boundary_rings)


def walled_down(boundary_rings):
    """Walls from the top face's boundary ring down to the table, and the bottom."""
    (top,) = boundary_rings
    bottom = top.copy()
    bottom[:, 2] = 0.0
    center = np.zeros(3)
    return [wall(top, bottom, center), fan(bottom, center, np.array([0, 0, -1.0]))]
