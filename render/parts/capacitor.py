"""Capacitor: an electrolytic can lying on its side: a printed sleeve (the defect surface, u
around from the seam under it, v along the axis from the bung end), an aluminium top with a
scored vent, a rubber bung and two leads. The sleeve's colour is the frame's material; its
polarity stripe is painted. Its items (render/defects/items.py): the top (a bulge) and the leads
(a bent lead)."""

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import Field

from render.meshing import PartMesh
from render.parts.base import PartRecipe
from render.parts.body import fan
from render.parts.components import Item
from render.parts.pieces import (
    Built,
    Piece,
    disc_outline,
    dome,
    item_pieces,
    prism,
    rotate_about,
    strip,
    tube,
    with_pieces,
)
from render.parts.surface import SurfacePart
from render.ranges import Range, uniform

TOP = (0.75, 0.75, 0.77, 1.0, 0.25)  # aluminium
SCORE = (0.35, 0.35, 0.36, 1.0, 0.5)  # the vent's scored lines
RUBBER = (0.03, 0.03, 0.03, 0.0, 0.7)
LEAD = (0.7, 0.7, 0.72, 1.0, 0.25)  # tinned wire
STRIPE = {"grey": (0.45, 0.45, 0.47, 0.0, 0.35), "white": (0.8, 0.8, 0.8, 0.0, 0.35),
          "gold": (0.6, 0.45, 0.15, 0.0, 0.35)}


class CapacitorRecipe(PartRecipe):
    """Electrolytic capacitor lying on its side; defects go on the sleeve (and its top, its leads)."""

    radius: Range(0.5, 50) = (3, 8)  # mm
    length: Range(1, 200) = (8, 25)  # mm, the can
    lead_length: Range(0, 100) = (6, 20)  # mm
    stripe: Range(0, 0.5) = (0.15, 0.25)  # the polarity stripe's share of the circumference
    stripes: list[Literal[tuple(STRIPE)]] = Field(default=list(STRIPE), min_length=1)
    vents: list[Literal["cross", "k", "y"]] = Field(default=["cross", "k", "y"], min_length=1)


@dataclass(frozen=True)
class Capacitor(SurfacePart):
    type = "capacitor"
    Recipe = CapacitorRecipe
    draw_order = 7
    periodic_u = True
    brush_angle = math.pi / 2  # moulding marks along the axis

    radius: float
    length: float
    lead_length: float
    stripe_at: float  # u of the stripe's middle
    stripe_width: float  # mm around
    stripe: tuple  # paint
    vent: str

    @classmethod
    def sample(cls, rng, r: CapacitorRecipe) -> "Capacitor":
        radius = uniform(rng, r.radius)
        U = 2 * math.pi * radius
        return cls(radius=radius, length=uniform(rng, r.length), lead_length=uniform(rng, r.lead_length),
                   stripe_at=float(U / 2 + rng.uniform(-0.25, 0.25) * U), stripe_width=uniform(rng, r.stripe) * U,
                   stripe=STRIPE[str(rng.choice(r.stripes))], vent=str(rng.choice(r.vents)))

    # ---- geometry: axis along x at height radius; u = 0 under it, on the table ------------------
    def surface_extent(self) -> tuple[float, float]:
        return 2 * math.pi * self.radius, self.length

    def surface_points(self, uv: np.ndarray, height=0.0) -> np.ndarray:
        h = np.broadcast_to(np.asarray(height, dtype=float), uv[:, 0].shape)
        theta = math.pi - uv[:, 0] / self.radius
        r = self.radius + h
        return np.column_stack([uv[:, 1] - self.length / 2, r * np.sin(theta), self.radius + r * np.cos(theta)])

    def bounding_radius(self) -> float:
        return 0.5 * math.hypot(self.length + 2 * self.lead_length, 2 * self.radius)

    def footprint_radius(self) -> float:
        return self.length / 2 + self.lead_length + 0.5

    def top_height(self) -> float:
        return 2 * self.radius

    def look_span(self) -> tuple[float, float]:
        return self.length, 2 * self.radius

    def domain_edges(self):
        """The rims at both ends."""
        return [(1, 0.0, [0.0, 1.0]), (1, self.length, [0.0, -1.0])]

    def build_body(self, boundary_rings):
        first, last = boundary_rings
        axis = np.array([0.0, 0.0, self.radius])
        return [fan(first, axis - [self.length / 2, 0, 0], np.array([-1.0, 0, 0])),
                fan(last, axis + [self.length / 2, 0, 0], np.array([1.0, 0, 0]))]

    def groove_refinement(self, across: float):
        """The stripe's edges are resolved like a groove's, so its paint has straight edges."""
        out = super().groove_refinement(across)
        step = max(self.radius / 40, 0.02)
        v = np.linspace(0, self.length, max(2, int(self.length / step)))
        for u in self._stripe_edges():
            out.append((np.column_stack([np.full_like(v, u), v]), step, step))
        return out

    def _stripe_edges(self):
        return self.stripe_at - self.stripe_width / 2, self.stripe_at + self.stripe_width / 2

    # ---- items: the top and the leads ---------------------------------------------------------
    @cached_property
    def layout(self) -> tuple[Item, ...]:
        U = 2 * math.pi * self.radius
        pitch = min(0.8 * self.radius, 5.0)
        lead = (0.0, 0.0, -self.lead_length, 0.0)  # along -x from the bung
        return (Item("top", (U / 2, self.length), 0.0, (2 * self.radius, 2 * self.radius, 0.0)),
                Item("leads", (U / 2, 0.0), 0.0, (self.lead_length, pitch, 0.0),
                     leads=(lead, lead) if self.lead_length > 0 else ()))

    def _end(self, sign):
        """Vertices built about the z axis (z up = outward) onto the end of the can at x = sign L/2."""
        turn = rotate_about(np.zeros(3), [0.0, 1.0, 0.0], sign * math.pi / 2)
        return lambda p: turn(p) + [sign * self.length / 2, 0.0, self.radius]

    def build_item(self, k: int) -> Built:
        R = self.radius
        b = Built(meta={"item": self.layout[k]})
        if k == 0:
            out = self._end(1)
            v, f = dome((0.86 * R, 0.86 * R, 0.005), 0.005, 32, 8)  # nearly flat, in rings (it may bulge)
            b.add("top", Piece(out(v), f, paint=TOP, smooth=True))
            for path in self._vent_lines():
                dense = np.vstack([np.linspace(a, c, 8) for a, c in zip(path[:-1], path[1:], strict=True)])
                for v, f in strip(dense, 0.05 * R, 0.0, 0.02):
                    b.add("top", Piece(out(v), f, paint=SCORE))
            b.meta.update(axis=np.array([1.0, 0.0, 0.0]), center=out(np.zeros((1, 3)))[0], radius=0.86 * R)
            return b
        bung = self._end(-1)
        v, f = prism(disc_outline(0.8 * R, 32), 0.0, 0.4)
        b.add("bung", Piece(bung(v), f, paint=RUBBER))
        pitch = self.layout[1].size[1]
        for s in (-1, 1):
            start = np.array([-self.length / 2 - 0.4, s * pitch / 2, R])
            path = start + np.outer(np.linspace(0, self.lead_length, 12), [-1.0, 0, 0])
            b.add("leads", Piece(*tube(path, min(0.3, 0.08 * R + 0.1), 8), paint=LEAD, smooth=True, anchor=start))
        return b

    def _vent_lines(self) -> list[np.ndarray]:
        r = 0.6 * self.radius
        if self.vent == "cross":
            return [np.array([[-r, 0.0], [r, 0.0]]), np.array([[0.0, -r], [0.0, r]])]
        if self.vent == "y":
            return [np.array([[0.0, 0.0], [r * math.cos(a), r * math.sin(a)]]) for a in (math.pi / 2, 7 * math.pi / 6,
                                                                                       11 * math.pi / 6)]
        return [np.array([[0.0, -r], [0.0, r]]), np.array([[0.0, 0.0], [r * 0.7, r * 0.7]]),
                np.array([[0.0, 0.0], [r * 0.7, -r * 0.7]])]  # k

    def build_mesh(self, defects, settings) -> PartMesh:
        mesh = super().build_mesh(defects, settings)
        uv_c = mesh.uv[mesh.faces].mean(1)
        lo, hi = self._stripe_edges()
        stripe = mesh.face_smooth & (uv_c[:, 0] > lo) & (uv_c[:, 0] < hi)
        paint = mesh.face_paint if mesh.face_paint is not None else np.zeros((len(mesh.faces), 6))
        paint[stripe & (paint[:, 5] == 0)] = [*self.stripe, 1.0]
        mesh.face_paint = paint
        return with_pieces(mesh, item_pieces(self, defects))
