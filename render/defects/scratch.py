"""Scratch: a groove swept along a smooth random curve (v, u or flat-bottom profile, optional
raised lips, depth fading at the ends); a cluster is several near-parallel strands, one id."""

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from pydantic import Field

from render.defects.base import FOOTPRINT_FRACTION, DefectRecipe, DefectType
from render.defects.curve import CURVE_POINTS, curve_local, resample
from render.defects.placing import place
from render.ranges import IntRange, Range, uniform
from render.spec import Record, optional


class ScratchRecipe(DefectRecipe):
    """A groove swept along a smooth random curve."""

    category: str = "scratch"
    length: Range(0.1, 1000) = (4, 25)  # mm, along the curve
    width: Range(0.01, 20) = (0.2, 0.7)  # mm, groove width at the surface
    depth: Range(0.001, 10) = (0.05, 0.25)  # mm
    curvature: Range(0, 5) = (0.0, 0.15)  # 1/mm, mean bending of the curve
    profiles: list[Literal["v", "u", "flat"]] = Field(default=["v", "u", "flat"], min_length=1)
    lip_probability: float = Field(0.5, ge=0, le=1)  # chance of raised lips along the groove
    lip_height: Range(0, 2) = (0.15, 0.4)  # fraction of the depth
    lip_width: Range(0.05, 3) = (0.3, 0.8)  # fraction of the width, each side
    cluster: IntRange(1, 30) = (1, 1)  # strands per instance (> 1: a cluster from one abrasion)
    spread: Range(0.01, 100) = (0.3, 2)  # mm between neighbouring strands of a cluster


@dataclass(frozen=True)
class Strand(Record):
    """A companion groove of a cluster: its own curve, width and depth; the rest is the scratch's."""

    points: tuple
    width: float
    depth: float


def profile(name: str, s: np.ndarray) -> np.ndarray:
    """Groove depth (0..1) across the width, s = |distance| / half width in [0, 1]."""
    if name == "v":
        return 1 - s
    if name == "u":
        return np.sqrt(np.clip(1 - s * s, 0, 1))
    if name == "flat":
        return np.clip((1 - s) / 0.3, 0, 1)
    raise ValueError(f"unknown scratch profile {name!r}")


@dataclass(frozen=True)
class Scratch(DefectType):
    type = "scratch"
    Recipe = ScratchRecipe
    draw_order = 0
    size_keys = ('length', 'width', 'spread')

    points: tuple
    width: float
    depth: float
    profile: str
    lip_height: float
    lip_width: float
    strands: tuple = optional((), of=Strand)

    @classmethod
    def sample(cls, rng, r: ScratchRecipe, lo, hi, part) -> "Scratch":
        length = uniform(rng, r.length)
        width = uniform(rng, r.width)
        # the curve bends with a smoothly varying curvature; its sign picks the bending side
        kappa = uniform(rng, r.curvature) * rng.choice([-1.0, 1.0])
        wobble, phase = rng.uniform(0, 0.6), rng.uniform(0, 2 * math.pi)
        room = float(np.min(hi - lo))
        length = min(length, 0.95 * max(room, 1e-6) * math.sqrt(2))
        t = np.linspace(0, 1, CURVE_POINTS)
        ds = length / (CURVE_POINTS - 1)
        heading = rng.uniform(0, 2 * math.pi) + np.cumsum(kappa * (1 + wobble * np.sin(2 * math.pi * t + phase)) * ds)
        pts = np.vstack([[0, 0], np.cumsum(np.column_stack([np.cos(heading[:-1]), np.sin(heading[:-1])]) * ds,
                                           axis=0)])
        extent = pts.max(0) - pts.min(0)
        shrink = min(1.0, float(np.min((hi - lo) / np.maximum(extent, 1e-9))))
        pts = pts * shrink
        pts = pts + place(rng, pts.min(0), pts.max(0), lo, hi)
        has_lips = bool(rng.random() < r.lip_probability)
        s = cls(points=pts.tolist(), width=width, depth=uniform(rng, r.depth), profile=str(rng.choice(r.profiles)),
                lip_height=uniform(rng, r.lip_height) if has_lips else 0.0,
                lip_width=uniform(rng, r.lip_width) if has_lips else 0.0)
        if r.cluster[1] > 1:  # drawn only for clusters, so single scratches keep their numbers
            n = int(rng.integers(r.cluster[0], r.cluster[1] + 1))
            if n > 1:
                s = replace(s, strands=_cluster_strands(rng, pts, n, r, s))
        return s

    def _strands(self) -> list["Scratch"]:
        """The scratch's strands as single scratches: itself, plus the others of a cluster."""
        return [self] + [replace(self, points=s.points, width=s.width, depth=s.depth) for s in self.strands]

    def _one_displacement(self, uv: np.ndarray) -> np.ndarray:
        dist, taper = curve_local(self.points, self.width, uv)
        s = dist / (self.width / 2)
        depth = self.depth * taper
        h = np.where(s < 1, -depth * profile(self.profile, np.minimum(s, 1)), 0.0)
        lw = self.lip_width
        if self.lip_height > 0 and lw > 0:
            inside_lip = (s >= 1) & (s < 1 + lw)
            h = h + np.where(inside_lip, self.lip_height * depth * np.sin(np.pi * (s - 1) / lw), 0.0)
        return h

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        """Where strands of a cluster meet, the one that moves the surface most wins."""
        hs = np.stack([s._one_displacement(uv) for s in self._strands()])
        return np.take_along_axis(hs, np.abs(hs).argmax(0)[None], 0)[0]

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        inside = np.zeros(len(uv), bool)
        for s in self._strands():
            dist, taper = curve_local(s.points, s.width, uv)
            reach = 1 + (s.lip_width if s.lip_height > 0 else 0.0)
            inside |= (dist < s.width / 2 * reach) & (taper >= FOOTPRINT_FRACTION)
        return inside

    def refinement(self, across: float):
        strands = self._strands()
        curve = np.vstack([resample(np.asarray(s.points, dtype=float), s.width / 4)[0] for s in strands])
        width = min(s.width for s in strands)
        core = max(s.width for s in strands) / 2 * (1 + self.lip_width)
        return curve, core, width / across

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        strands = self._strands()
        p = np.vstack([np.asarray(s.points, dtype=float) for s in strands])
        pad = max(s.width for s in strands) / 2 * (1 + self.lip_width)
        return p.min(0) - pad, p.max(0) + pad


def _cluster_strands(rng, pts: np.ndarray, n: int, r: ScratchRecipe, s: Scratch) -> list[Strand]:
    """Near-parallel companions of a scratch (one abrasive event): shifted sideways by `spread`
    steps, each a random stretch of the curve, a little narrower or shallower."""
    chord = pts[-1] - pts[0]
    side = np.array([-chord[1], chord[0]]) / max(np.linalg.norm(chord), 1e-9)
    strands, reach = [], {1: 0.0, -1: 0.0}
    for i in range(1, n):
        sign = 1 if i % 2 else -1  # companions alternate sides, each side moving outwards
        reach[sign] += uniform(rng, r.spread)
        shift = side * sign * reach[sign]
        a = int(rng.integers(0, len(pts) // 3))
        b = int(rng.integers(2 * len(pts) // 3, len(pts))) + 1
        strands.append(Strand(points=(pts[a:b] + shift + rng.normal(0, 0.02, 2)).tolist(),
                              width=s.width * rng.uniform(0.5, 1.0), depth=s.depth * rng.uniform(0.4, 1.0)))
    return strands
