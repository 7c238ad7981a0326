"""Uneven / unfinished surface: a patch of coarser relief (band-limited bumps) with a slightly
different look."""

from dataclasses import dataclass

import numpy as np

from render.defects.blob import (
    Blob,
    Textured,
    TexturedRecipe,
    blob_grid,
    blob_s,
    sample_texture,
    sample_waves,
    wave_noise,
)
from render.defects.stain import sample_blob
from render.ranges import Range, uniform
from render.spec import optional


class UnevenRecipe(TexturedRecipe):
    """Uneven / unfinished surface: a patch of coarser relief (bumps) with a slightly different look."""

    category: str = "uneven"
    radius: Range(0.1, 500) = (2, 6)  # mm
    elongation: Range(1, 10) = (1, 2.5)
    irregularity: Range(0, 1) = (0.1, 0.5)
    bump: Range(0.02, 20) = (0.2, 0.6)  # mm, size of the bumps
    bump_height: Range(0.0005, 5) = (0.01, 0.04)  # mm
    darken: Range(0, 1) = (0.0, 0.2)


@dataclass(frozen=True)
class Uneven(Textured, Blob):
    type = "uneven"
    Recipe = UnevenRecipe
    draw_order = 9
    size_keys = ('radius',)
    aspect_key = "elongation"

    darken: float
    bump: float
    bump_height: float
    waves: tuple
    tint: float = optional(0.0)
    tint_color: tuple = optional(())
    mottle: float = optional(0.0)
    mottle_waves: tuple = optional(())

    @classmethod
    def sample(cls, rng, r: UnevenRecipe, lo, hi, part) -> "Uneven":
        blob = sample_blob(rng, r, lo, hi)
        bump = uniform(rng, r.bump)
        return cls(**blob, bump=bump, bump_height=uniform(rng, r.bump_height), waves=sample_waves(rng, bump, 16),
                   **sample_texture(rng, r))

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        s = blob_s(self, uv)
        fade = np.clip((1 - s) / 0.2, 0, 1)
        return self.bump_height * fade * wave_noise(self.waves, uv)

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return blob_s(self, uv) < 0.95 * self.outline(uv)

    def refinement(self, across: float):
        spacing = self.mottle_spacing(max(self.bump / 4, self.radius * self.elongation / 60))
        return blob_grid(self, spacing), 0.0, spacing
