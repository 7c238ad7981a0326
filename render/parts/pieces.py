"""Pieces: small closed meshes (boxes, prisms, tubes, caps) with their own paint and defect id,
merged into a part's mesh. Assemblies (a board's components, a capacitor's leads, fixtures)
are built from them; a piece's faces carry its defect id, so a mask is exact on it too.

Paint is (r, g, b, metallic, roughness), linear RGB; a piece without paint takes the frame's
material. Coordinates are millimetres in the part's frame (z up, the table at z = 0).
"""

from dataclasses import dataclass, field, replace

import numpy as np

from render.meshing import PartMesh
from render.parts.body import orient


@dataclass
class Piece:
    verts: np.ndarray  # (V, 3)
    faces: np.ndarray  # (F, 3), counter-clockwise seen from outside
    paint: tuple | None = None  # (r, g, b, metallic, roughness); None: the frame's material
    smooth: bool = False  # smooth shading (tubes, caps) or flat (boxes)
    defect: int = 0  # defect instance id of all its faces
    anchor: np.ndarray | None = None  # a lead's root, about which it bends
    darken: float = 0.0  # darker, rougher (a dark inside)
    look: tuple | None = None  # per face (defect id, darken, tint, mottle): a stain lying over it

    def moved(self, fn) -> "Piece":
        """A copy with fn applied to its vertices (and anchor)."""
        anchor = None if self.anchor is None else fn(self.anchor[None])[0]
        return replace(self, verts=fn(self.verts), anchor=anchor)


@dataclass
class Built:
    """An assembly item's pieces by role (body, leads, fillets, pads, top...); item defects change
    them (render.defects.items)."""

    roles: dict = field(default_factory=dict)  # role -> list[Piece]
    meta: dict = field(default_factory=dict)  # what a defect needs to rebuild a role (a trace's path)

    def add(self, role: str, *pieces: Piece) -> None:
        self.roles.setdefault(role, []).extend(pieces)

    def get(self, role: str) -> list:
        return self.roles.get(role, [])

    def all(self) -> list:
        return [p for ps in self.roles.values() for p in ps]


def item_pieces(part, defects) -> list:
    """The pieces of every item of the part's layout (part.build_item(k)), each changed by the
    item defects that name it (render/defects/items.py)."""
    out = []
    for k in range(len(part.layout)):
        built = part.build_item(k)
        for d in defects:
            if getattr(d.shape, "item", None) == k and hasattr(d.shape, "modify"):
                d.shape.modify(built, d.id)
        out += built.all()
    return out


# ---- transforms --------------------------------------------------------------------------
def rotation_z(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def placer(center, angle: float = 0.0):
    """Vertices from an item's frame (origin at its centre, x along its length) to the part's."""
    rot, off = rotation_z(angle), np.array([center[0], center[1], center[2] if len(center) > 2 else 0.0])
    return lambda v: v @ rot.T + off


def rotate_about(axis_point, axis, angle: float):
    """Rodrigues rotation of vertices about a line."""
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    rot = np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * kx @ kx
    p = np.asarray(axis_point, float)
    return lambda v: (v - p) @ rot.T + p


# ---- shapes ------------------------------------------------------------------------------
def prism(outline: np.ndarray, z0: float, z1: float) -> tuple[np.ndarray, np.ndarray]:
    """A simple polygon extruded from z0 to z1, closed (caps by constrained Delaunay)."""
    import triangle

    outline = np.asarray(outline, float)
    x, y = outline[:, 0], outline[:, 1]
    if np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y) < 0:
        outline = outline[::-1]  # counter-clockwise: walls and the top then face out as built
    n = len(outline)
    a = np.arange(n)
    b = np.roll(a, -1)
    cap = triangle.triangulate({"vertices": outline, "segments": np.column_stack([a, b])}, "p")
    if len(cap["vertices"]) != n:
        raise ValueError("prism outline must be a simple polygon")
    tri = cap["triangles"]
    verts = np.vstack([np.column_stack([outline, np.full(n, z0)]), np.column_stack([outline, np.full(n, z1)])])
    area = np.cross(outline[tri[:, 1]] - outline[tri[:, 0]], outline[tri[:, 2]] - outline[tri[:, 0]])
    tri = np.where((area < 0)[:, None], tri[:, ::-1], tri)  # counter-clockwise seen from above
    faces = np.vstack([np.column_stack([a, b, n + b]), np.column_stack([a, n + b, n + a]), tri[:, ::-1], n + tri])
    return verts, faces


def box(size, z0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned box centred on the z axis, from z0 up by size[2]."""
    sx, sy, sz = size
    return prism(np.array([[-sx / 2, -sy / 2], [sx / 2, -sy / 2], [sx / 2, sy / 2], [-sx / 2, sy / 2]]), z0, z0 + sz)


def disc_outline(radius: float, n: int = 24, radius_y: float | None = None) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([radius * np.cos(a), (radius if radius_y is None else radius_y) * np.sin(a)])


def rounded_rect(size, corner: float, n: int = 4) -> np.ndarray:
    """Outline of a rectangle with rounded corners (n points per corner)."""
    hx, hy = size[0] / 2 - corner, size[1] / 2 - corner
    pts = []
    for k, (cx, cy) in enumerate([(hx, hy), (-hx, hy), (-hx, -hy), (hx, -hy)]):
        a = np.linspace(k * np.pi / 2, (k + 1) * np.pi / 2, n)
        pts.append(np.column_stack([cx + corner * np.cos(a), cy + corner * np.sin(a)]))
    return np.vstack(pts)


def annulus(r_in: float, r_out: float, z0: float, z1: float, n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """A flat ring (a pad around a hole), closed."""
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.column_stack([np.cos(a), np.sin(a)])
    verts = np.vstack([np.column_stack([ring * r, np.full(n, z)]) for r, z in
                       ((r_in, z0), (r_out, z0), (r_in, z1), (r_out, z1))])
    i = np.arange(n)
    j = np.roll(i, -1)
    quads = [(0, 1), (2, 3), (0, 2), (1, 3)]  # bottom, top, inner wall, outer wall
    faces = np.vstack([np.vstack([np.column_stack([p * n + i, q * n + i, q * n + j]),
                                  np.column_stack([p * n + i, q * n + j, p * n + j])]) for p, q in quads])
    mid_r = (r_in + r_out) / 2

    def outward(fc):
        flat = np.isclose(fc[:, 2], z0) | np.isclose(fc[:, 2], z1)
        r = np.linalg.norm(fc[:, :2], axis=1, keepdims=True)
        radial = fc[:, :2] / np.maximum(r, 1e-12) * np.sign(r - mid_r)  # the inner wall faces the axis
        return np.column_stack([np.where(flat[:, None], 0.0, radial), np.where(flat, fc[:, 2] - (z0 + z1) / 2, 0.0)])

    return verts, orient(verts, faces, outward)


def tube(path: np.ndarray, radius, n_around: int = 12, caps: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A tube swept along a 3D polyline (parallel-transported frames); radius may vary per point."""
    path = np.asarray(path, float)
    radius = np.broadcast_to(np.asarray(radius, float), (len(path),))
    tangents = np.gradient(path, axis=0)
    tangents /= np.maximum(np.linalg.norm(tangents, axis=1, keepdims=True), 1e-12)
    ref = np.array([0.0, 0.0, 1.0]) if abs(tangents[0, 2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    normal = np.cross(tangents[0], ref)
    normal /= np.linalg.norm(normal)
    a = np.linspace(0, 2 * np.pi, n_around, endpoint=False)
    rings = []
    for k, t in enumerate(tangents):
        normal = normal - t * (normal @ t)  # transport: keep the frame from twisting
        normal /= np.linalg.norm(normal)
        binormal = np.cross(t, normal)
        rings.append(path[k] + radius[k] * (np.outer(np.cos(a), normal) + np.outer(np.sin(a), binormal)))
    verts = np.vstack(rings)
    m = len(path)
    i = np.arange(n_around)
    j = np.roll(i, -1)
    side = np.vstack([np.vstack([np.column_stack([k * n_around + i, k * n_around + j, (k + 1) * n_around + j]),
                                 np.column_stack([k * n_around + i, (k + 1) * n_around + j, (k + 1) * n_around + i])])
                      for k in range(m - 1)])
    mid = np.repeat((path[:-1] + path[1:]) / 2, 2 * n_around, axis=0)  # each segment's 2n faces
    faces = [orient(verts, side, lambda fc: fc - mid)]
    if caps:
        verts = np.vstack([verts, path[0], path[-1]])
        for ring, centre, out in ((0, m * n_around, -tangents[0]), (m - 1, m * n_around + 1, tangents[-1])):
            cap = np.column_stack([ring * n_around + i, ring * n_around + j, np.full(n_around, centre)])
            faces.append(orient(verts, cap, lambda fc, out=out: np.broadcast_to(out, fc.shape)))
    return verts, np.vstack(faces)


def dome(radii, z0: float, n_around: int = 16, n_up: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Half an ellipsoid on the plane z = z0 (a solder blob, a bulge), radii (rx, ry, height)."""
    rx, ry, h = radii
    rows = []
    a = np.linspace(0, 2 * np.pi, n_around, endpoint=False)
    for k in range(n_up):
        phi = k / n_up * np.pi / 2
        rows.append(np.column_stack([rx * np.cos(phi) * np.cos(a), ry * np.cos(phi) * np.sin(a),
                                     np.full(n_around, z0 + h * np.sin(phi))]))
    verts = np.vstack([*rows, [[0.0, 0.0, z0 + h], [0.0, 0.0, z0]]])
    i = np.arange(n_around)
    j = np.roll(i, -1)
    faces = [np.vstack([np.column_stack([k * n_around + i, k * n_around + j, (k + 1) * n_around + j]),
                        np.column_stack([k * n_around + i, (k + 1) * n_around + j, (k + 1) * n_around + i])])
             for k in range(n_up - 1)]
    top, bottom = n_up * n_around, n_up * n_around + 1
    faces += [np.column_stack([(n_up - 1) * n_around + i, (n_up - 1) * n_around + j, np.full(n_around, top)]),
              np.column_stack([j, i, np.full(n_around, bottom)])]
    faces = np.vstack(faces)
    return verts, _outward(verts, faces, np.array([0.0, 0.0, z0 + 1e-6]))


def wedge(length: float, width: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """A solder fillet: a ramp from (0, 0) at full height down to (length, 0) at the pad, across y."""
    w = width / 2
    verts = np.array([[0, -w, 0], [length, -w, 0], [0, -w, height], [0, w, 0], [length, w, 0], [0, w, height]], float)
    faces = np.array([[0, 2, 1], [3, 4, 5], [0, 1, 4], [0, 4, 3], [1, 2, 5], [1, 5, 4], [0, 3, 5], [0, 5, 2]])
    return verts, _outward(verts, faces, verts.mean(0))


def strip(path: np.ndarray, width: float, z0: float, z1: float, lift: float = 0.0) -> list:
    """A flat strip along a 2D polyline (a trace, a silkscreen stroke): a box per segment and a
    round joint at each corner. Where they overlap, their tops differ by a micrometre: coplanar
    overlapping faces would shadow each other in Cycles (black specks). `lift` raises it all
    (strips that cross each other get different lifts)."""
    path = np.asarray(path, float)
    out = []
    for k, (a, b) in enumerate(zip(path[:-1], path[1:], strict=True)):
        d = b - a
        length = float(np.linalg.norm(d))
        if length < 1e-9:
            continue
        v, f = box((length, width, z1 - z0 + lift + k * STEP), z0)
        out.append((placer([*(a + b) / 2, 0.0], float(np.arctan2(d[1], d[0])))(v), f))
    for p in path[1:-1]:
        v, f = prism(disc_outline(width / 2, 8), z0, z1 + lift - STEP / 2)
        out.append((v + [p[0], p[1], 0.0], f))
    return out


STEP = 1e-3  # mm between the tops of overlapping flat pieces


def _outward(verts, faces, centre):
    return orient(verts, faces, lambda fc: fc - centre)


# ---- into a part mesh ----------------------------------------------------------------------
def paint_rows(n: int, paint) -> np.ndarray:
    """(n, 6) face paint: rgb, metallic, roughness, weight (0: the frame's material)."""
    if paint is None:
        return np.zeros((n, 6))
    return np.tile([*paint, 1.0], (n, 1))


def with_pieces(mesh: PartMesh, pieces: list, surface_paint=None, body_paint=None) -> PartMesh:
    """The mesh with the pieces appended (each with its paint, defect id and shading); the
    mesh's own smooth faces (its defect surface) get surface_paint, its flat ones body_paint."""
    n = len(mesh.faces)
    paint = np.where(mesh.face_smooth[:, None], paint_rows(n, surface_paint), paint_rows(n, body_paint))
    if mesh.face_paint is not None:  # its own paint (a cut's bare metal) wins
        paint = np.where(mesh.face_paint[:, 5:] > 0, mesh.face_paint, paint)
    looks = [p.look or (np.full(len(p.faces), p.defect), np.full(len(p.faces), p.darken), None, None) for p in pieces]
    has = {k: any(lk[k] is not None for lk in looks) or getattr(mesh, name) is not None
           for k, name in ((2, "face_tint"), (3, "face_mottle"))}

    def rows(a, count, width):
        return np.zeros((count, width)) if a is None else a

    offset = np.cumsum([len(mesh.vertices)] + [len(p.verts) for p in pieces])
    return PartMesh(
        vertices=np.vstack([mesh.vertices, *(p.verts for p in pieces)]),
        faces=np.vstack([mesh.faces, *(p.faces + o for p, o in zip(pieces, offset, strict=False))]),
        face_defect=np.concatenate([mesh.face_defect, *(lk[0] for lk in looks)]).astype(np.int64),
        face_smooth=np.concatenate([mesh.face_smooth, *(np.full(len(p.faces), p.smooth) for p in pieces)]),
        face_darken=np.concatenate([mesh.face_darken, *(lk[1] for lk in looks)]),
        uv=np.vstack([mesh.uv, *(p.verts[:, :2] for p in pieces)]),  # texture space: mm in the part's frame
        face_tint=np.vstack([rows(mesh.face_tint, n, 4), *(rows(lk[2], len(p.faces), 4) for p, lk in
                                                           zip(pieces, looks, strict=True))]) if has[2] else None,
        face_mottle=np.vstack([rows(mesh.face_mottle, n, 2), *(rows(lk[3], len(p.faces), 2) for p, lk in
                                                               zip(pieces, looks, strict=True))]) if has[3] else None,
        face_paint=np.vstack([paint, *(paint_rows(len(p.faces), p.paint) for p in pieces)]),
    )
