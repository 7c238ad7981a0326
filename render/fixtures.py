"""Fixture geometry (trays, conveyor belts, clamps) from the frame spec's Fixture records, and the
frame's whole mesh: its part, the other parts moved into place, the fixtures.

Everything is one mesh: a defect's mask is the set of pixels whose centre ray hits a face with
its id first, so a clamp or a neighbouring part in front of a defect removes exactly the
pixels it hides.
"""

from dataclasses import replace

import numpy as np

from render.meshing import PartMesh
from render.parts.pieces import Piece, box, placer, with_pieces
from render.spec import FrameSpec

TOP = -0.01  # mm: supports' top, between the ground (-0.02) and the parts' base (0)
ALUMINIUM = (0.6, 0.6, 0.62, 1.0, 0.35)


def fixture_pieces(f) -> list[Piece]:
    cx, cy, cz = f.center
    place = placer([cx, cy, 0.0], f.angle)
    paint = tuple(f.paint)
    if f.kind == "tray":
        sx, sy, h = f.size
        wall = max(1.0, 0.02 * min(sx, sy))
        parts = [((sx + 2 * wall, sy + 2 * wall, 2.0), (0.0, 0.0), TOP - 2.0)]  # floor, its top at TOP
        parts += [((sx + 2 * wall, wall, h), (0.0, s * (sy + wall) / 2), TOP) for s in (-1, 1)]
        parts += [((wall, sy, h), (s * (sx + wall) / 2, 0.0), TOP) for s in (-1, 1)]
        return [Piece(*_moved(box(size, z0), xy, place), paint=paint) for size, xy, z0 in parts]
    if f.kind == "conveyor":
        length, width, h = f.size
        rail = max(2.0, 0.04 * width)
        pieces = [Piece(*_moved(box((length, width, 3.0), TOP - 3.0), (0.0, 0.0), place), paint=paint)]
        pieces += [Piece(*_moved(box((length, rail, h), TOP), (0.0, s * (width + rail) / 2), place), paint=ALUMINIUM)
                   for s in (-1, 1)]
        return pieces
    if f.kind == "clamp":
        length, width, thick = f.size
        # the arm runs outward from its tip (at center) and rests on the part; a post holds its outer end
        arm = _moved(box((length, width, thick), cz), (length / 2, 0.0), placer([cx, cy, 0.0], f.angle))
        post_w = min(width, 0.3 * length)
        post = _moved(box((post_w, width, cz + thick), 0.0), (length - post_w / 2, 0.0), placer([cx, cy, 0.0], f.angle))
        return [Piece(*arm, paint=paint), Piece(*post, paint=paint)]
    raise ValueError(f"unknown fixture kind {f.kind!r}")


def _moved(vf, xy, place):
    v, faces = vf
    return place(v + [xy[0], xy[1], 0.0]), faces


def build_frame_mesh(spec: FrameSpec) -> PartMesh:
    """The part's mesh with its defects; with other parts and fixtures, all of them in one mesh."""
    if not spec.others and not spec.fixtures:
        return spec.part.build_mesh(spec.defects, spec.mesh)
    mesh = spec.part.build_mesh([d for d in spec.defects if d.part == 0], spec.mesh)
    for k, placed in enumerate(spec.others, start=1):
        m = placed.part.build_mesh([d for d in spec.defects if d.part == k], spec.mesh)
        mesh = concat(mesh, replace(m, vertices=placer([*placed.offset, 0.0], placed.angle)(m.vertices)))
    pieces = [p for f in spec.fixtures for p in fixture_pieces(f)]
    return with_pieces(mesh, pieces) if pieces else mesh


def concat(a: PartMesh, b: PartMesh) -> PartMesh:
    def rows(m, name, width):
        v = getattr(m, name)
        return np.zeros((len(m.faces), width)) if v is None else v

    return PartMesh(vertices=np.vstack([a.vertices, b.vertices]), faces=np.vstack([a.faces, b.faces + len(a.vertices)]),
                    face_defect=np.concatenate([a.face_defect, b.face_defect]),
                    face_smooth=np.concatenate([a.face_smooth, b.face_smooth]),
                    face_darken=np.concatenate([a.face_darken, b.face_darken]), uv=np.vstack([a.uv, b.uv]),
                    face_tint=np.vstack([rows(a, "face_tint", 4), rows(b, "face_tint", 4)]),
                    face_mottle=np.vstack([rows(a, "face_mottle", 2), rows(b, "face_mottle", 2)]),
                    face_paint=np.vstack([rows(a, "face_paint", 6), rows(b, "face_paint", 6)]))
