"""Dent: a smooth elliptic depression."""

import math
from dataclasses import dataclass

import numpy as np

from render.defects.base import FOOTPRINT_FRACTION, DefectRecipe, DefectType
from render.defects.placing import place
from render.ranges import Range, uniform


class DentRecipe(DefectRecipe):
    """A smooth depression, optionally elongated."""

    category: str = "dent"
    radius: Range(0.1, 200) = (1.5, 5)  # mm, minor semi-axis
    depth: Range(0.001, 50) = (0.15, 0.6)  # mm at the centre
    falloff: Range(0.5, 8) = (1.5, 3)  # exponent of the (1 - r^2)^falloff profile
    elongation: Range(1, 10) = (1, 2.5)  # major / minor semi-axis


def sample_ellipse(rng, r, lo, hi) -> dict:
    """Centre, radius, depth, falloff, elongation and angle of an elliptic depression in the region."""
    radius = uniform(rng, r.radius)
    elongation = uniform(rng, r.elongation)
    # a dent never grows beyond half the visible region
    radius = min(radius, 0.25 * float(np.min(hi - lo)) / elongation) if np.min(hi - lo) > 0 else radius
    reach = radius * elongation
    center = place(rng, np.array([-reach, -reach]), np.array([reach, reach]), lo, hi)
    return {"center": center.tolist(), "radius": radius, "depth": uniform(rng, r.depth),
            "falloff": uniform(rng, r.falloff), "elongation": elongation, "angle": float(rng.uniform(0, math.pi))}


def ellipse_s2(d, uv: np.ndarray) -> np.ndarray:
    """Squared radius in units of the ellipse (< 1 inside); d has center, radius, elongation, angle."""
    c, s = np.cos(d.angle), np.sin(d.angle)
    rel = uv - np.asarray(d.center, dtype=float)
    x = rel[:, 0] * c + rel[:, 1] * s
    y = -rel[:, 0] * s + rel[:, 1] * c
    return (x / (d.radius * d.elongation)) ** 2 + (y / d.radius) ** 2


@dataclass(frozen=True)
class Dent(DefectType):
    type = "dent"
    Recipe = DentRecipe
    draw_order = 1
    size_keys = ('radius',)
    aspect_key = "elongation"

    center: tuple
    radius: float
    depth: float
    falloff: float
    elongation: float
    angle: float

    @classmethod
    def sample(cls, rng, r: DentRecipe, lo, hi, part) -> "Dent":
        return cls(**sample_ellipse(rng, r, lo, hi))

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        s2 = ellipse_s2(self, uv)
        return np.where(s2 < 1, -self.depth * np.clip(1 - s2, 0, 1) ** self.falloff, 0.0)

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return np.clip(1 - ellipse_s2(self, uv), 0, 1) ** self.falloff >= FOOTPRINT_FRACTION

    def refinement(self, across: float):
        # a dent is smooth: ~12 edges across its minor radius resolve its shading
        spacing = self.radius / 12
        r_major = self.radius * self.elongation
        n = int(np.ceil(2 * r_major / spacing)) + 1
        g = np.linspace(-r_major, r_major, n)
        grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2) + np.asarray(self.center)
        return grid[ellipse_s2(self, grid) <= 1], 0.0, spacing

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        r = self.radius * self.elongation
        c = np.asarray(self.center, dtype=float)
        return c - r, c + r
