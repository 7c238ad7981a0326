"""Pit, blowhole, porosity: small steep cavities, one or a cluster per instance."""

import math
from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe, DefectType
from render.defects.placing import fit
from render.ranges import IntRange, Range, uniform


class PitRecipe(DefectRecipe):
    """Pits, blowholes, porosity: small steep cavities, one or a cluster per instance."""

    category: str = "pit"
    radius: Range(0.01, 50) = (0.2, 0.8)  # mm, each cavity
    depth: Range(0.001, 20) = (0.2, 0.6)  # mm
    cluster: IntRange(1, 50) = (1, 1)  # cavities per instance
    spread: Range(0, 100) = (1, 3)  # mm, cluster radius
    darken: Range(0, 1) = (0.2, 0.6)


@dataclass(frozen=True)
class Pit(DefectType):
    type = "pit"
    Recipe = PitRecipe
    draw_order = 3
    size_keys = ('radius', 'spread')

    centers: tuple
    radii: tuple
    depth: float
    darken: float

    @classmethod
    def sample(cls, rng, r: PitRecipe, lo, hi, part) -> "Pit":
        n = int(rng.integers(r.cluster[0], r.cluster[1] + 1))
        spread = uniform(rng, r.spread) if n > 1 else 0.0
        radii = [uniform(rng, r.radius) for _ in range(n)]
        ang, rad = rng.uniform(0, 2 * math.pi, n), spread * np.sqrt(rng.uniform(0, 1, n))
        centers = np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
        centers[0] = 0.0
        pad = max(radii)
        (centers,) = fit(rng, [centers], lo + pad, np.maximum(hi - pad, lo + pad))
        return cls(centers=centers.tolist(), radii=radii, depth=uniform(rng, r.depth), darken=uniform(rng, r.darken))

    def _s(self, uv: np.ndarray) -> np.ndarray:
        """Distance to the nearest pit centre in units of that pit's radius."""
        c = np.asarray(self.centers, dtype=float)
        r = np.asarray(self.radii, dtype=float)
        return (np.linalg.norm(uv[:, None, :] - c[None], axis=2) / r[None]).min(axis=1)

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        s = self._s(uv)
        # steep walls, rounded bottom: 1 - s^4
        return np.where(s < 1, -self.depth * (1 - np.minimum(s, 1) ** 4), 0.0)

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return self._s(uv) < 1

    def refinement(self, across: float):
        r = min(self.radii)
        return np.asarray(self.centers, dtype=float), max(self.radii), r / (across + 2)

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        c = np.asarray(self.centers, dtype=float)
        r = max(self.radii)
        return c.min(0) - r, c.max(0) + r
