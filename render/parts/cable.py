"""Cable: an insulated wire or a sheathed cable lying on the table along a smooth random path,
maybe with more wires beside it. The defect surface is the (first) wire's insulation: u around
it from the seam under it, v along it. A kink (render/defects/kink.py) bends the path where it
lies; a break (render/defects/wire_break.py) takes a length out of it."""

import math
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import Field

from render.meshing import PartMesh
from render.parts.base import PartRecipe
from render.parts.body import fan
from render.parts.pieces import Piece, tube, with_pieces
from render.parts.surface import SurfacePart
from render.ranges import IntRange, Range, uniform
from render.spec import optional

COLOURS = {"black": (0.015, 0.015, 0.015), "grey": (0.25, 0.25, 0.25), "white": (0.75, 0.75, 0.72),
           "red": (0.5, 0.02, 0.02), "blue": (0.02, 0.06, 0.4), "yellow": (0.6, 0.45, 0.02),
           "green": (0.03, 0.25, 0.05), "brown": (0.15, 0.06, 0.02)}
STEPS = 400  # points along the path


class CableRecipe(PartRecipe):
    """Insulated wires or a sheathed cable lying on the table; defects go on the first one."""

    radius: Range(0.2, 50) = (1.5, 4)  # mm
    length: Range(2, 5000) = (60, 150)  # mm
    wires: IntRange(1, 8) = (1, 1)  # wires side by side
    curvature: Range(0, 2) = (0.0, 0.03)  # 1/mm, how much the path bends (at most 1 / (2 radius))
    colours: list[Literal[tuple(COLOURS)]] = Field(default=list(COLOURS), min_length=1)  # of the other wires


@dataclass(frozen=True)
class Cable(SurfacePart):
    type = "cable"
    Recipe = CableRecipe
    draw_order = 9
    periodic_u = True
    brush_angle = math.pi / 2  # extrusion marks along the cable

    radius: float
    length: float
    bend: float  # curvature amplitude, 1/mm
    waves: tuple  # (wavelength mm, phase) of the curvature's two components
    heading: float  # of the path's start
    others: tuple = ()  # (offset mm, r, g, b) of each other wire, beside the first
    kinks: tuple = optional(())  # (v, amplitude, half width): set from kink defects when meshing
    gaps: tuple = optional(())  # (v0, v1): lengths taken out by breaks, when meshing

    @classmethod
    def sample(cls, rng, r: CableRecipe) -> "Cable":
        radius = uniform(rng, r.radius)
        n = int(rng.integers(r.wires[0], r.wires[1] + 1))
        gap = radius * rng.uniform(2.0, 2.3)
        others = tuple((float(k * gap), *COLOURS[str(rng.choice(r.colours))]) for k in range(1, n))
        return cls(radius=radius, length=uniform(rng, r.length), bend=min(uniform(rng, r.curvature), 0.5 / radius),
                   waves=tuple((float(rng.uniform(30, 120)), float(rng.uniform(0, 2 * math.pi))) for _ in range(2)),
                   heading=float(rng.uniform(0, 2 * math.pi)), others=others)

    # ---- the path ----------------------------------------------------------------------------
    @cached_property
    def path(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(s, centre line points (x, y), unit tangents) at STEPS points; centred on the origin."""
        s = np.linspace(0, self.length, STEPS)
        kappa = sum(self.bend * np.sin(2 * math.pi * s / lam + ph) for lam, ph in self.waves) / len(self.waves)
        heading = self.heading + np.concatenate([[0.0], np.cumsum((kappa[1:] + kappa[:-1]) / 2 * np.diff(s))])
        t = np.column_stack([np.cos(heading), np.sin(heading)])
        p = np.vstack([[0.0, 0.0], np.cumsum((t[1:] + t[:-1]) / 2 * np.diff(s)[:, None], axis=0)])
        p -= (p.min(0) + p.max(0)) / 2
        for v0, amp, w in self.kinks:  # a sharp local bend sideways
            x = np.clip(np.abs(s - v0) / w, 0, 1)
            side = np.column_stack([-t[:, 1], t[:, 0]])
            p = p + side * (amp * (1 - x) ** 2 * (1 + 2 * x))[:, None]
        if self.kinks:
            t = np.gradient(p, s, axis=0)
            t /= np.linalg.norm(t, axis=1, keepdims=True)
        return s, p, t

    def frame(self, v: np.ndarray):
        """Centre (3D), tangent and sideways unit vectors of the first wire at arc lengths v."""
        s, p, t = self.path
        c = np.column_stack([np.interp(v, s, p[:, 0]), np.interp(v, s, p[:, 1]), np.full(len(v), self.radius)])
        tan = np.column_stack([np.interp(v, s, t[:, 0]), np.interp(v, s, t[:, 1]), np.zeros(len(v))])
        tan /= np.linalg.norm(tan, axis=1, keepdims=True)
        side = np.column_stack([-tan[:, 1], tan[:, 0], np.zeros(len(v))])
        return c, tan, side

    # ---- surface -----------------------------------------------------------------------------
    def surface_extent(self) -> tuple[float, float]:
        return 2 * math.pi * self.radius, self.length

    def surface_points(self, uv: np.ndarray, height=0.0) -> np.ndarray:
        h = np.broadcast_to(np.asarray(height, dtype=float), uv[:, 0].shape)
        c, _, side = self.frame(uv[:, 1])
        theta = uv[:, 0] / self.radius  # from under the wire, up its right side
        r = (self.radius + h)[:, None]
        return c + r * (np.sin(theta)[:, None] * side - np.cos(theta)[:, None] * [0.0, 0.0, 1.0])

    def bounding_radius(self) -> float:
        s, p, _ = self.path
        spread = max([o[0] for o in self.others] + [0.0]) + self.radius
        return float(np.linalg.norm(p, axis=1).max() + spread)

    def footprint_radius(self) -> float:
        return self.bounding_radius()

    def top_height(self) -> float:
        return 2 * self.radius

    def look_span(self) -> tuple[float, float]:
        _, p, _ = self.path
        return tuple((p.max(0) - p.min(0)).tolist())

    def close_up_target(self, rng, target, spread):
        """Close-ups look at a point of the cable, not of its bounding box."""
        v = rng.uniform(0.2, 0.8) * self.length
        c, _, _ = self.frame(np.array([v]))
        return target + (c[0] - target) * min(1.0, spread * 4) * [1.0, 1.0, 0.0]

    def domain_edges(self):
        return [(1, 0.0, [0.0, 1.0]), (1, self.length, [0.0, -1.0])]

    def build_body(self, boundary_rings):
        first, last = boundary_rings
        c, t, _ = self.frame(np.array([0.0, self.length]))
        return [fan(first, c[0], -t[0]), fan(last, c[1], t[1])]

    # ---- mesh ----------------------------------------------------------------------------------
    def build_mesh(self, defects, settings) -> PartMesh:
        kinks = tuple(d.shape.kink for d in defects if hasattr(d.shape, "kink"))
        gaps = tuple(d.shape.gap for d in defects if hasattr(d.shape, "gap"))
        if (kinks or gaps) and (kinks, gaps) != (self.kinks, self.gaps):
            return replace(self, kinks=kinks, gaps=gaps).build_mesh(defects, settings)
        mesh = super().build_mesh(defects, settings)
        if gaps:
            mesh = self._without(mesh, gaps)
        pieces = []
        for offset, *rgb in self.others:
            pieces.append(self._other_wire(offset, rgb))
        for d in defects:
            if hasattr(d.shape, "pieces"):
                pieces += d.shape.pieces(self, d.id)
        return with_pieces(mesh, pieces) if pieces else mesh

    def _without(self, mesh: PartMesh, gaps) -> PartMesh:
        """The insulation's faces within a break's gap removed (the end caps come with the break)."""
        v = mesh.uv[mesh.faces].mean(1)[:, 1]
        cut = mesh.face_smooth & np.any([(v > v0) & (v < v1) for v0, v1 in gaps], axis=0)
        # the fans closing the ends stay; surface faces in the gap go
        keep = ~cut
        return PartMesh(vertices=mesh.vertices, faces=mesh.faces[keep], face_defect=mesh.face_defect[keep],
                        face_smooth=mesh.face_smooth[keep], face_darken=mesh.face_darken[keep], uv=mesh.uv,
                        face_tint=None if mesh.face_tint is None else mesh.face_tint[keep],
                        face_mottle=None if mesh.face_mottle is None else mesh.face_mottle[keep],
                        face_paint=None if mesh.face_paint is None else mesh.face_paint[keep])

    def _other_wire(self, offset: float, rgb) -> Piece:
        v = np.linspace(0, self.length, 200)
        c, _, side = self.frame(v)
        return Piece(*tube(c + side * offset, self.radius, 24), paint=(*rgb, 0.0, 0.35), smooth=True)
