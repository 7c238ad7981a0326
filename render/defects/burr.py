"""Burr: a thin raised ridge of material, irregular in height, along an edge or a machined
groove's rim (climbing with a helical thread), or free on the surface."""

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from render.defects.base import FOOTPRINT_FRACTION, DefectRecipe, DefectType
from render.defects.blob import sample_waves, wave_noise
from render.defects.curve import CURVE_POINTS, curve_local, resample
from render.defects.scratch import Scratch, ScratchRecipe
from render.ranges import Range, uniform


class BurrRecipe(DefectRecipe):
    """Burr: a thin raised ridge of material, along an edge or a machined groove or free."""

    category: str = "burr"
    length: Range(0.1, 1000) = (3, 15)  # mm
    width: Range(0.01, 10) = (0.2, 0.6)  # mm at the base
    height: Range(0.001, 5) = (0.05, 0.25)  # mm
    curvature: Range(0, 5) = (0.0, 0.1)  # 1/mm
    edge_probability: float = Field(0.7, ge=0, le=1)  # chance it runs along an edge of the surface


@dataclass(frozen=True)
class Burr(DefectType):
    type = "burr"
    Recipe = BurrRecipe
    draw_order = 7
    on_edge = True
    size_keys = ('length', 'width')

    points: tuple
    width: float
    height: float  # mm, of the ridge
    waves: tuple

    @classmethod
    def sample(cls, rng, r: BurrRecipe, lo, hi, part) -> "Burr":
        width = uniform(rng, r.width)
        if rng.random() < r.edge_probability:
            point, normal, on_groove_rim = part.edge_anchor(rng, lo, hi)
            along = np.array([-normal[1], normal[0]])
            length = uniform(rng, r.length)
            t = np.linspace(-0.5, 0.5, CURVE_POINTS)[:, None] * length
            pts = point + normal * width * 0.6 + along * t
            k = int(np.argmax(np.abs(along)))  # clip to the seen stretch of the edge
            pts[:, k] = np.clip(pts[:, k], lo[k], max(hi[k], lo[k] + width))
            if on_groove_rim:  # climb with a helical thread (no offset on straight grooves)
                pts[:, 1 - k] += part.groove_offset(pts[:, k]) - part.groove_offset(point[k])
            pts = pts[np.concatenate([[True], np.any(np.diff(pts, axis=0) != 0, axis=1)])]
            if len(pts) < 2:
                pts = np.vstack([pts[0], pts[0] + along * width])
        else:
            shape = ScratchRecipe(length=r.length, width=(width, width), curvature=r.curvature)
            pts = np.asarray(Scratch.sample(rng, shape, lo, hi, part).points)
        return cls(points=pts.tolist(), width=width, height=uniform(rng, r.height),
                   waves=sample_waves(rng, max(4 * width, 0.5), 8))

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        dist, taper = curve_local(self.points, self.width, uv)
        s = np.minimum(dist / (self.width / 2), 1)
        irregular = np.clip(1 + 0.6 * wave_noise(self.waves, uv), 0.2, 2.0)
        return self.height * taper * irregular * (1 - s * s) ** 2

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        dist, taper = curve_local(self.points, self.width, uv)
        return (dist < self.width / 2 * 0.8) & (taper >= FOOTPRINT_FRACTION)

    def refinement(self, across: float):
        curve, _ = resample(np.asarray(self.points, dtype=float), self.width / 4)
        return curve, self.width / 2, self.width / across

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        p = np.asarray(self.points, dtype=float)
        pad = self.width / 2
        return p.min(0) - pad, p.max(0) + pad
