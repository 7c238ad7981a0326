"""Machined features of a surface part: parallel grooves (a grooved plate, housing seams, turned
grooves, a helical thread) and button holes (recesses with a rounded rim and a dark inside,
never annotated). They are part of the surface and refined like defects."""

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from render.ranges import IntRange, Range, Strict, uniform
from render.spec import Record, optional


class GroovesRecipe(Strict):
    """Parallel machined grooves across the defect surface (a grooved plate, a thread)."""

    count: IntRange(1, 400) = (3, 8)
    width: Range(0.01, 100) = (0.6, 2)  # mm
    depth: Range(0.01, 50) = (0.2, 1)  # mm
    profiles: list[Literal["v", "u", "flat"]] = Field(default=["v", "u", "flat"], min_length=1)
    probability: float = Field(1.0, ge=0, le=1)  # chance that a frame's part has grooves
    helix: bool = False  # cylinders only: one continuous helical groove (a screw thread), lead = pitch


class HolesRecipe(Strict):
    """Button holes and openings moulded into a panel: recesses with a steep wall and a dark floor."""

    count: IntRange(0, 50) = (1, 4)
    size: Range(0.5, 500) = (4, 12)  # mm, each side (drawn separately; round holes use one)
    shapes: list[Literal["round", "rect"]] = Field(default=["round", "rect"], min_length=1)
    corner: Range(0, 0.5) = (0.1, 0.4)  # rect corner radius, as a fraction of the shorter side
    depth: Range(0.1, 100) = (1.5, 4)  # mm, kept below 0.8 x the plate's thickness
    wall: Range(0.02, 5) = (0.1, 0.3)  # mm, width of the rim's rounded slope
    probability: float = Field(1.0, ge=0, le=1)  # chance that a frame's panel has holes


@dataclass(frozen=True)
class Grooves(Record):
    axis: str  # u: each groove runs along u, at a fixed v
    positions: tuple
    width: float
    depth: float
    profile: str
    lead: float = optional(0.0)  # a helical thread climbs this much in v per turn around u


@dataclass(frozen=True)
class Hole(Record):
    center: tuple
    size: tuple
    corner: float  # corner radius
    wall: float  # width of the rim's slope
    depth: float


def sample_grooves(rng, part, g: GroovesRecipe | None, axis: str) -> Grooves | None:
    """Evenly pitched grooves along `axis` (u: at fixed v), a little jitter in position."""
    if g is None or rng.random() >= g.probability:
        return None
    U, V = part.surface_extent()
    span = V if axis == "u" else U
    n = int(rng.integers(g.count[0], g.count[1] + 1))
    width = min(uniform(rng, g.width), 0.5 * span / (n + 1))
    pitch = span / (n + 1)
    helix = g.helix  # only cylinders' recipes allow it
    jitter = 0.0 if helix else 0.05  # a thread's turns stay evenly pitched so they join up
    positions = (np.arange(1, n + 1) * pitch + rng.uniform(-jitter, jitter, n) * pitch).tolist()
    # a thread's each turn climbs one pitch; it starts and ends at the seam (behind the part)
    return Grooves(axis=axis, positions=positions, width=width, depth=uniform(rng, g.depth),
                   profile=str(rng.choice(g.profiles)), lead=pitch if helix else 0.0)


def sample_holes(rng, part, h: HolesRecipe | None) -> list[Hole]:
    """Button holes on a plate: inside it by a margin, apart from each other and from grooves."""
    if h is None or rng.random() >= h.probability:
        return []
    U, V = part.surface_extent()
    holes = []
    for _ in range(int(rng.integers(h.count[0], h.count[1] + 1))):
        for _try in range(20):
            shape = str(rng.choice(h.shapes))
            w = uniform(rng, h.size)
            size = np.array([w, w]) if shape == "round" else np.array([w, uniform(rng, h.size)])
            margin = 0.05 * np.array([U, V])  # from the panel's edges, per axis (a panel may be long)
            size = np.minimum(size, 0.4 * np.array([U, V]))
            if shape == "round":
                size[:] = size.min()
            corner = size.min() / 2 if shape == "round" else uniform(rng, h.corner) * size.min()
            wall = min(uniform(rng, h.wall), 0.25 * size.min())
            center = rng.uniform(size / 2 + margin, np.array([U, V]) - size / 2 - margin)
            hole = Hole(center=center.tolist(), size=size.tolist(), corner=float(corner), wall=wall,
                        depth=min(uniform(rng, h.depth), 0.8 * part.thickness))
            clear = all(np.any(np.abs(center - o.center) > (size + np.asarray(o.size)) / 2
                               + 2 * max(wall, o.wall)) for o in holes)
            for k, pos, width in part.groove_lines():
                clear &= abs(center[k] - pos) > size[k] / 2 + width / 2 + 2 * wall
            if clear:
                holes.append(hole)
                break
    return holes


def groove_shape(profile: str, s: np.ndarray) -> np.ndarray:
    """Depth (0..1) across a machined groove, s = |distance| / half width."""
    return {"v": 1 - s, "u": np.sqrt(np.clip(1 - s * s, 0, 1)), "flat": np.clip((1 - s) / 0.2, 0, 1)}[profile]


def hole_distance(hole: Hole, uv: np.ndarray) -> np.ndarray:
    """Signed distance (mm, < 0 inside) to a rounded-rectangle hole's outline (a circle when
    its sides are equal and the corner radius is half a side)."""
    half = np.asarray(hole.size) / 2
    r = hole.corner
    q = np.abs(uv - hole.center) - (half - r)
    return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(1), 0) - r


def hole_outline(hole: Hole, step: float) -> np.ndarray:
    """Points along a hole's outline, about `step` apart."""
    half = np.asarray(hole.size) / 2
    r = hole.corner
    # rays from the centre, bisected out to the outline (a rounded rectangle is star-shaped);
    # more rays for a long one, whose long sides they cross at a slant
    n = max(16, int(np.ceil(2 * np.pi * max(half) / step * max(half) / max(min(half), 1e-9))))
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    d = np.column_stack([np.cos(a), np.sin(a)])
    lo, hi = np.zeros(n), np.full(n, float(np.linalg.norm(half)) + r + 1)
    for _ in range(30):
        mid = (lo + hi) / 2
        out = hole_distance(hole, hole.center + d * mid[:, None]) > 0
        hi = np.where(out, mid, hi)
        lo = np.where(out, lo, mid)
    return np.asarray(hole.center) + d * lo[:, None]
