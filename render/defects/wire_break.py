"""Break: a cable severed, a length of it gone; the two ends show the cut insulation and the
copper strands splaying out of it. The ends are the mask. Only for cables."""

import math
from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe, DefectType
from render.defects.cut import METALS
from render.errors import UserError
from render.parts.pieces import Piece, annulus, disc_outline, prism, tube
from render.ranges import IntRange, Range, uniform


class BreakRecipe(DefectRecipe):
    """A cable severed."""

    category: str = "break"
    gap: Range(0.1, 20) = (0.5, 2)  # the missing length, in radii
    core: Range(0.1, 0.95) = (0.55, 0.8)  # the conductor's radius, in radii
    strands: IntRange(0, 60) = (8, 20)  # loose strands sticking out of each end


@dataclass(frozen=True)
class Break(DefectType):
    type = "break"
    Recipe = BreakRecipe
    draw_order = 21

    start: float  # v where the gap starts
    end: float
    core: float  # mm
    strands: tuple  # (end 0/1, angle around, radius fraction, length mm, splay rad) each
    radius: float
    circumference: float

    @classmethod
    def applies_to(cls, part, r) -> bool:
        return part.type == "cable"

    @classmethod
    def sample(cls, rng, r: BreakRecipe, lo, hi, part) -> "Break":
        if part.type != "cable":
            raise UserError(f"break defects sever a cable: not for a {part.type}")
        R = part.radius
        gap = uniform(rng, r.gap) * R
        start = float(rng.uniform(max(lo[1], 2 * R), max(min(hi[1], part.length - 2 * R) - gap, 2 * R)))
        n = int(rng.integers(r.strands[0], r.strands[1] + 1))
        strands = [(int(rng.integers(2)), float(rng.uniform(0, 2 * math.pi)), float(np.sqrt(rng.uniform(0, 1))),
                    float(rng.uniform(0.2, 0.6) * gap), float(rng.uniform(0, 0.6))) for _ in range(n)]
        return cls(start=start, end=start + gap, core=uniform(rng, r.core) * R, strands=tuple(strands), radius=R,
                   circumference=part.surface_extent()[0])

    @property
    def gap(self) -> tuple:
        return (self.start, self.end)

    def _edge(self) -> float:
        return 0.25 * self.radius  # the insulation's frayed rim on either side

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        return np.zeros(len(uv))

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return (uv[:, 1] > self.start - self._edge()) & (uv[:, 1] < self.end + self._edge())

    def refinement(self, across: float):
        u = np.linspace(0, self.circumference, 64)
        skel = np.vstack([np.column_stack([u, np.full_like(u, v)]) for v in
                          (self.start - self._edge(), self.start, self.end, self.end + self._edge())])
        return skel, 0.05 * self.radius, 0.04 * self.radius

    def bbox(self):
        return np.array([-1.0, self.start - self.radius]), np.array([self.circumference + 1, self.end + self.radius])

    def pieces(self, part, defect_id: int) -> list[Piece]:
        """Each end: the insulation's cut face, the conductor's, and loose strands."""
        copper = METALS["copper"]
        c, t, side = part.frame(np.array([self.start, self.end]))
        out = []
        for e, sign in ((0, 1.0), (1, -1.0)):  # the gap lies ahead (+t) of the first end, behind the second
            ahead = sign * t[e]
            up = np.array([0.0, 0.0, 1.0])
            basis = np.column_stack([sign * side[e], up, ahead])  # local x, y, z (z into the gap), right-handed
            place = lambda v, e=e, basis=basis: v @ basis.T + c[e]  # noqa: E731
            v, f = annulus(self.core, self.radius, -0.02, 0.0, 32)
            out.append(Piece(place(v), f, defect=defect_id))  # the insulation's colour: the frame's material
            v, f = prism(disc_outline(self.core, 24), -0.02, 0.01)
            out.append(Piece(place(v), f, paint=copper, defect=defect_id))
            for end, a, rr, length, splay in self.strands:
                if end != e:
                    continue
                root = np.array([rr * self.core * math.cos(a), rr * self.core * math.sin(a), 0.0])
                out_dir = np.array([math.cos(a) * math.sin(splay), math.sin(a) * math.sin(splay), math.cos(splay)])
                path = root + np.outer(np.linspace(0, length, 5), out_dir)
                v, f = tube(path, 0.08 * self.core + 0.03, 5)
                out.append(Piece(place(v), f, paint=copper, smooth=True, defect=defect_id))
        return out
