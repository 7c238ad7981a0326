"""Stain, dirt, rust, contamination: texture only (darker, rougher, optionally its own colour and
patchy), an irregular blob."""

import math
from dataclasses import dataclass

import numpy as np

from render.defects.blob import Blob, Textured, TexturedRecipe, blob_s, sample_texture
from render.defects.placing import place
from render.ranges import Range, uniform
from render.spec import optional


class StainRecipe(TexturedRecipe):
    """Stain, dirt, rust, contamination: texture only (darker, rougher, its own colour), an irregular blob."""

    category: str = "stain"
    radius: Range(0.05, 500) = (1, 5)  # mm
    elongation: Range(1, 10) = (1, 2)
    irregularity: Range(0, 1) = (0.1, 0.5)  # wobble of the outline
    darken: Range(0, 1) = (0.15, 0.5)


def sample_blob(rng, r, lo, hi) -> dict:
    """An irregular blob in the region: centre, radius, elongation, angle, outline and darkening."""
    radius, elongation = uniform(rng, r.radius), uniform(rng, r.elongation)
    irregular = uniform(rng, r.irregularity)
    radius = min(radius, 0.25 * float(np.min(hi - lo)) / elongation) if np.min(hi - lo) > 0 else radius
    reach = radius * elongation * (1 + irregular)
    center = place(rng, np.array([-reach, -reach]), np.array([reach, reach]), lo, hi)
    return {"center": center.tolist(), "radius": radius, "elongation": elongation,
            "angle": float(rng.uniform(0, math.pi)), "wobble": rng.uniform(0, irregular, 4).tolist(),
            "phases": rng.uniform(0, 2 * math.pi, 4).tolist(), "darken": uniform(rng, r.darken)}


@dataclass(frozen=True)
class Stain(Textured, Blob):
    type = "stain"
    Recipe = StainRecipe
    draw_order = 4
    size_keys = ('radius',)
    aspect_key = "elongation"
    overlays = True

    darken: float
    tint: float = optional(0.0)
    tint_color: tuple = optional(())
    mottle: float = optional(0.0)
    mottle_waves: tuple = optional(())

    @classmethod
    def sample(cls, rng, r: StainRecipe, lo, hi, part) -> "Stain":
        return cls(**sample_blob(rng, r, lo, hi), **sample_texture(rng, r))

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        return np.zeros(len(uv))

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return blob_s(self, uv) < self.outline(uv)

    def refinement(self, across: float):
        n = 96
        theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
        reach = self.radius * self.elongation * 1.6
        ring = np.asarray(self.center) + np.column_stack([np.cos(theta), np.sin(theta)]) * reach * 0.5
        return ring, reach * 0.6, self.mottle_spacing(self.radius / 24)
