"""Crack: a branching hairline fracture, random-walk V-grooves (main path and branches) with a
dark interior."""

import math
from dataclasses import dataclass

import numpy as np

from render.defects.base import FOOTPRINT_FRACTION, DefectRecipe, DefectType
from render.defects.curve import curve_local, resample
from render.defects.placing import fit
from render.ranges import IntRange, Range, uniform

TAPER = 0.3  # fraction of each path's length over which its depth fades in and out


class CrackRecipe(DefectRecipe):
    """A thin branching fracture: a random-walk V-groove with branches and a dark interior."""

    category: str = "crack"
    length: Range(0.1, 1000) = (3, 15)  # mm, main path
    width: Range(0.005, 10) = (0.12, 0.35)  # mm at the main path; branches are 0.6x
    depth: Range(0.001, 10) = (0.1, 0.4)  # mm
    wander: Range(0, 90) = (10, 30)  # degrees of heading change per step
    branches: IntRange(0, 10) = (0, 3)
    darken: Range(0, 1) = (0.5, 0.9)  # darkening of the interior


def _walk(rng, start, heading, length, steps, wander_rad) -> np.ndarray:
    ds = length / steps
    h = heading + np.cumsum(rng.normal(0, wander_rad, steps))
    return np.vstack([start, start + np.cumsum(np.column_stack([np.cos(h), np.sin(h)]) * ds, axis=0)])


@dataclass(frozen=True)
class Crack(DefectType):
    type = "crack"
    Recipe = CrackRecipe
    draw_order = 2
    size_keys = ('length', 'width')

    paths: tuple
    widths: tuple
    depth: float
    darken: float

    @classmethod
    def sample(cls, rng, r: CrackRecipe, lo, hi, part) -> "Crack":
        length, width = uniform(rng, r.length), uniform(rng, r.width)
        wander = math.radians(uniform(rng, r.wander))
        main = _walk(rng, np.zeros(2), rng.uniform(0, 2 * math.pi), length, 20, wander)
        paths, widths = [main], [width]
        for _ in range(int(rng.integers(r.branches[0], r.branches[1] + 1))):
            k = int(rng.integers(3, 17))
            seg = main[k + 1] - main[k]
            heading = math.atan2(seg[1], seg[0]) + rng.choice([-1, 1]) * math.radians(rng.uniform(25, 60))
            paths.append(_walk(rng, main[k], heading, length * rng.uniform(0.2, 0.5), 8, wander))
            widths.append(0.6 * width)
        paths = fit(rng, paths, lo, hi)
        return cls(paths=[p.tolist() for p in paths], widths=widths, depth=uniform(rng, r.depth),
                   darken=uniform(rng, r.darken))

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        h = np.zeros(len(uv))
        for points, width in zip(self.paths, self.widths, strict=True):
            dist, taper = curve_local(points, width, uv, TAPER)
            s = dist / (width / 2)
            h = np.minimum(h, np.where(s < 1, -self.depth * taper * (1 - np.minimum(s, 1)), 0.0))
        return h

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        out = np.zeros(len(uv), bool)
        for points, width in zip(self.paths, self.widths, strict=True):
            dist, taper = curve_local(points, width, uv, TAPER)
            out |= (dist < width / 2) & (taper >= FOOTPRINT_FRACTION)
        return out

    def refinement(self, across: float):
        w = min(self.widths)
        skel = np.vstack([resample(np.asarray(p, dtype=float), w / 4)[0] for p in self.paths])
        return skel, max(self.widths) / 2, w / across

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        p = np.vstack([np.asarray(q, dtype=float) for q in self.paths])
        return p.min(0) - max(self.widths), p.max(0) + max(self.widths)
