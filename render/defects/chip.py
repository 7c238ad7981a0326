"""Chip: material broken off at an edge of the surface, a rough scoop through the part's boundary
(the part's walls follow the displaced boundary, so the notch shows in silhouette)."""

import math
from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe
from render.defects.blob import Blob, blob_grid, blob_s, sample_outline, sample_waves, wave_noise
from render.ranges import Range, uniform


class ChipRecipe(DefectRecipe):
    """Material broken off at an edge of the defect surface: a rough scoop through the edge."""

    category: str = "chip"
    radius: Range(0.05, 100) = (1, 3)  # mm, half the extent along the edge
    elongation: Range(1, 10) = (1, 2)
    depth: Range(0.01, 50) = (0.4, 1.5)  # mm
    irregularity: Range(0, 1) = (0.1, 0.4)  # wobble of the outline
    rough: Range(0, 1) = (0.1, 0.4)  # relief of the break surface, fraction of the depth
    bump: Range(0.01, 10) = (0.2, 0.6)  # mm, size of the break surface's facets
    darken: Range(0, 1) = (0.0, 0.3)


@dataclass(frozen=True)
class Chip(Blob):
    type = "chip"
    Recipe = ChipRecipe
    draw_order = 5
    on_edge = True
    size_keys = ('radius', 'depth')
    aspect_key = "elongation"

    depth: float
    rough: float
    bump: float
    waves: tuple
    darken: float

    @classmethod
    def sample(cls, rng, r: ChipRecipe, lo, hi, part) -> "Chip":
        point, normal, _ = part.edge_anchor(rng, lo, hi)
        radius, elongation = uniform(rng, r.radius), uniform(rng, r.elongation)
        bump = uniform(rng, r.bump)
        # the long axis runs along the edge; the centre sits a little outside so the scoop is open
        angle = math.atan2(normal[1], normal[0]) + math.pi / 2
        center = point - normal * radius * rng.uniform(0.0, 0.3)
        return cls(center=center.tolist(), radius=radius, elongation=elongation, angle=angle,
                   **sample_outline(rng, uniform(rng, r.irregularity)), depth=uniform(rng, r.depth),
                   rough=uniform(rng, r.rough), bump=bump, waves=sample_waves(rng, bump),
                   darken=uniform(rng, r.darken))

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        s = blob_s(self, uv)
        profile = np.sqrt(np.clip(1 - s * s, 0, 1))
        return -self.depth * profile * np.clip(1 + self.rough * wave_noise(self.waves, uv), 0.2, 2.0)

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return blob_s(self, uv) < 0.99

    def refinement(self, across: float):
        spacing = min(self.radius / 24, self.bump / 4)
        return blob_grid(self, spacing), 0.0, spacing
