"""Kink (bend): a cable bent sharply sideways where it lies, with a fold around it; the bent
length is the mask. Only for cables (the part's path bends: render/parts/cable.py)."""

from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe, DefectType
from render.errors import UserError
from render.ranges import Range, uniform


class KinkRecipe(DefectRecipe):
    """A sharp bend of a cable."""

    category: str = "kink"
    amplitude: Range(0.1, 10) = (1.0, 2.5)  # sideways, in radii (less where the bend would fold through itself)
    width: Range(1, 20) = (3, 5)  # half the bent length, in radii
    fold: Range(0, 1) = (0.1, 0.3)  # depth of the fold around the bend, in radii


@dataclass(frozen=True)
class Kink(DefectType):
    type = "kink"
    Recipe = KinkRecipe
    draw_order = 20

    at: float  # v of the bend
    amplitude: float  # mm, signed (which side)
    half: float  # mm along the cable
    fold: float  # mm
    circumference: float

    @classmethod
    def applies_to(cls, part, r) -> bool:
        return part.type == "cable"

    @classmethod
    def sample(cls, rng, r: KinkRecipe, lo, hi, part) -> "Kink":
        if part.type != "cable":
            raise UserError(f"kink defects bend a cable's path: not for a {part.type}")
        R = part.radius
        half = uniform(rng, r.width) * R
        # the bend's tip keeps a radius above 1.2 radii (the tube would fold through itself)
        amplitude = min(uniform(rng, r.amplitude) * R, half**2 / (7.2 * R))
        at = float(rng.uniform(max(lo[1], 1.5 * half), max(min(hi[1], part.length - 1.5 * half), 1.5 * half)))
        return cls(at=at, amplitude=float(amplitude * rng.choice([-1, 1])), half=half,
                   fold=uniform(rng, r.fold) * R, circumference=part.surface_extent()[0])

    @property
    def kink(self) -> tuple:
        return (self.at, self.amplitude, self.half)

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        x = (uv[:, 1] - self.at) / (0.25 * self.half)
        return -self.fold * np.exp(-x * x)  # a fold around the cable at the bend's tip

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return np.abs(uv[:, 1] - self.at) < 0.6 * self.half

    def refinement(self, across: float):
        u = np.linspace(0, self.circumference, 48)
        skel = np.vstack([np.column_stack([u, np.full_like(u, self.at + o * self.half)])
                          for o in (-0.6, -0.25, 0.0, 0.25, 0.6)])
        return skel, 0.1 * self.half, 0.05 * self.half

    def bbox(self):
        return np.array([-1.0, self.at - self.half]), np.array([self.circumference + 1, self.at + self.half])
