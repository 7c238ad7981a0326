"""Cut or torn insulation (a cable's sheath, a capacitor's sleeve): a ragged opening through the
cover down to what lies under it (copper strands or braid, the aluminium can), painted as that
metal; the opening is the mask."""

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from render.defects.base import DefectRecipe
from render.defects.blob import Blob, blob_grid, blob_s, sample_outline
from render.defects.stain import sample_blob
from render.ranges import Range, uniform

METALS = {"copper": (0.85, 0.42, 0.26, 1.0, 0.35), "tin": (0.7, 0.7, 0.72, 1.0, 0.3),
          "aluminium": (0.75, 0.75, 0.77, 1.0, 0.3)}
WALL = 0.2  # fraction of the radius over which the opening's wall drops


class CutRecipe(DefectRecipe):
    """An opening through a cover down to the metal under it."""

    category: str = "cut"
    radius: Range(0.05, 100) = (0.8, 2.5)  # mm (across; along by elongation)
    elongation: Range(1, 10) = (1.5, 4)
    irregularity: Range(0, 1) = (0.2, 0.6)  # a torn outline is ragged
    depth: Range(0.005, 20) = (0.2, 0.6)  # mm, the cover's thickness
    metal: list[Literal[tuple(METALS)]] = Field(default=["copper"], min_length=1)
    pattern: list[Literal["strands", "braid", "plain"]] = Field(default=["strands"], min_length=1)
    strand: Range(0.02, 5) = (0.15, 0.35)  # mm, a strand's (or braid wire's) diameter
    darken: Range(0, 1) = (0.0, 0.2)  # the opening's shade


@dataclass(frozen=True)
class Cut(Blob):
    type = "cut"
    Recipe = CutRecipe
    draw_order = 19
    size_keys = ('radius',)

    darken: float
    depth: float
    metal: str
    pattern: str
    strand: float

    @classmethod
    def sample(cls, rng, r: CutRecipe, lo, hi, part) -> "Cut":
        blob = sample_blob(rng, r, lo, hi)
        # along the part's length (v) more often than across: cable cuts and sleeve tears run so
        blob["angle"] = float(math.pi / 2 + rng.normal(0, 0.3)) if rng.random() < 0.7 else blob["angle"]
        blob.update(sample_outline(rng, uniform(rng, r.irregularity)))
        return cls(**blob, depth=uniform(rng, r.depth), metal=str(rng.choice(r.metal)),
                   pattern=str(rng.choice(r.pattern)), strand=uniform(rng, r.strand))

    def _floor(self, uv: np.ndarray) -> np.ndarray:
        """0..1: how far down the wall a point lies (1 on the floor)."""
        return np.clip((1 - blob_s(self, uv)) / WALL, 0, 1)

    def _relief(self, uv: np.ndarray) -> np.ndarray:
        """Strands run along v (the cable's length); braid crosses at 45 degrees."""
        k = math.pi / self.strand
        u, v = uv[:, 0], uv[:, 1]
        if self.pattern == "strands":
            return np.abs(np.sin(k * u))
        if self.pattern == "braid":
            return np.maximum(np.abs(np.sin(k * (u + v) / math.sqrt(2))), np.abs(np.sin(k * (u - v) / math.sqrt(2))))
        return np.zeros(len(uv))

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        t = self._floor(uv)
        return -self.depth * t * t * (3 - 2 * t) + 0.4 * min(self.strand, self.depth) * t * self._relief(uv)

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return blob_s(self, uv) < 1

    def refinement(self, across: float):
        spacing = min(self.strand / 5, self.radius / 12)
        return blob_grid(self, spacing), 0.0, spacing

    def face_paint(self, uv: np.ndarray) -> np.ndarray:
        """The metal on the opening's floor and lower wall; the cut cover above keeps its own."""
        paint = np.tile([*METALS[self.metal], 1.0], (len(uv), 1))
        paint[self._floor(uv) < 0.5] = 0.0
        return paint
