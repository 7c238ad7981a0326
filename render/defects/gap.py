"""Gap / misalignment: a straight seam across the whole surface, too wide or with one side
standing proud of the other."""

from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe, DefectType
from render.ranges import Range, uniform


class GapRecipe(DefectRecipe):
    """Gap / misalignment: a straight seam across the whole surface, too wide or stepped."""

    category: str = "gap"
    width: Range(0.01, 20) = (0.3, 1.2)  # mm
    depth: Range(0.01, 50) = (0.5, 2)  # mm
    step: Range(0, 10) = (0.0, 0.3)  # mm, height offset of one side (misalignment)
    darken: Range(0, 1) = (0.4, 0.8)  # dark seam interior


@dataclass(frozen=True)
class Gap(DefectType):
    type = "gap"
    Recipe = GapRecipe
    draw_order = 8
    size_keys = ('width',)

    axis: str  # u: the seam runs along v at u = position; v: along u at v = position
    position: float
    width: float
    extent: tuple  # the surface's (U, V): the seam crosses all of it
    depth: float
    step: float
    darken: float

    @classmethod
    def sample(cls, rng, r: GapRecipe, lo, hi, part) -> "Gap":
        U, V = part.surface_extent()
        axis = "v" if part.periodic_u else str(rng.choice(["u", "v"]))  # a cylinder's seam runs around it
        k = 0 if axis == "u" else 1
        width = uniform(rng, r.width)
        position = rng.uniform(lo[k] + width, max(hi[k] - width, lo[k] + width))
        return cls(axis=axis, position=float(position), width=width, extent=[U, V], depth=uniform(rng, r.depth),
                   step=uniform(rng, r.step), darken=uniform(rng, r.darken))

    def _x(self, uv: np.ndarray) -> np.ndarray:
        return uv[:, 0 if self.axis == "u" else 1] - self.position

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        x = self._x(uv)
        half = self.width / 2
        s = np.abs(x) / half
        groove = np.where(s < 1, -self.depth * np.clip((1 - s) / 0.15, 0, 1), 0.0)  # steep walls, flat bottom
        return groove + np.where(x >= half, self.step, 0.0)

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return np.abs(self._x(uv)) < self.width / 2

    def refinement(self, across: float):
        U, V = self.extent
        length = V if self.axis == "u" else U
        t = np.linspace(0, length, max(2, int(np.ceil(length / (self.width / 4)))))
        half = self.width / 2
        walls = [np.column_stack([np.full_like(t, self.position + o), t]) for o in (-half, half)]
        pts = np.vstack(walls)
        return (pts if self.axis == "u" else pts[:, ::-1]), self.width / 2, self.width / across

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        """The seam and the whole side that stands proud of the other."""
        k = 0 if self.axis == "u" else 1
        lo, hi = np.zeros(2), np.asarray(self.extent, dtype=float)
        lo[k] = self.position - self.width / 2
        if self.step == 0:
            hi[k] = self.position + self.width / 2
        return lo, hi
