"""A user's own part mesh (STL, OBJ, PLY, GLB/glTF, OFF) as a part.

Loading: trimesh reads the file as one mesh; it must be non-empty, finite and at most
MAX_FACES faces. It is rotated so the chosen axis points up, centred on the z axis, scaled so
its longest side is 1 (each frame scales it to its sampled size) and stood on z = 0. Vertices
are split along edges sharper than SHARP_DEG, so smooth shading keeps CAD edges crisp.

Defects: every frame picks an anchor, a point on a face the camera sees. The defect surface is
a square `patch` mm wide in the anchor's tangent plane, with the same (u, v) domain as a
built-in part. The chart of the square is the set of faces connected to the anchor's face
that face within 60 degrees of its normal; a (u, v) point is lifted to the mesh by barycentric
interpolation in the chart face under it. To carry defects, the chart faces are cut out and the
hole is re-meshed: the nested defect grid (render.geometry.mesh) inside the hole plus the hole's
own boundary vertices, under a constrained Delaunay triangulation (the `triangle` package) that
keeps every boundary edge, so the new patch joins the untouched mesh without cracks.
"""

import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from render.errors import UserError

SUFFIXES = (".stl", ".obj", ".ply", ".glb", ".gltf", ".off")
MAX_FACES = 2_000_000
SHARP_DEG = 30.0  # edges between faces at a larger angle stay sharp (vertices split there)
CHART_FACING = 0.5  # chart faces are within acos(0.5) = 60 degrees of the anchor normal
UP_AXES = {"z": [0, 0, 1], "-z": [0, 0, -1], "y": [0, 1, 0], "-y": [0, -1, 0], "x": [1, 0, 0], "-x": [-1, 0, 0]}


@dataclass(frozen=True)
class UnitMesh:
    """The user's mesh, longest side 1, centred on the z axis, standing on z = 0."""

    vertices: np.ndarray  # (V, 3)
    faces: np.ndarray  # (F, 3), outward winding
    face_normals: np.ndarray  # (F, 3)
    vertex_normals: np.ndarray  # (V, 3), smooth within each smooth region
    adjacency: np.ndarray  # (A, 2) face pairs sharing an edge (after the sharp split)
    extents: np.ndarray  # (3,) bounding box size
    edge_keys: np.ndarray  # (3F,) sorted, one per face edge (see _edge_keys): who owns an edge
    sha256: str


def _rotation_to_z(axis: str) -> np.ndarray:
    a = np.asarray(UP_AXES[axis], dtype=float)
    z = np.array([0.0, 0.0, 1.0])
    if np.allclose(a, z):
        return np.eye(3)
    if np.allclose(a, -z):
        return np.diag([1.0, -1.0, -1.0])
    k = np.cross(a, z)
    s, c = np.linalg.norm(k), a @ z
    k /= s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


@functools.lru_cache(maxsize=4)
def load_unit_mesh(path: str, up: str = "z") -> UnitMesh:
    """Read and check a mesh file; every problem is a UserError saying what to do."""
    import trimesh

    p = Path(path)
    where = f"part mesh {path}"
    if not p.is_file():
        raise UserError(f"{where}: no such file (paths in a recipe are relative to the recipe file)")
    if p.suffix.lower() not in SUFFIXES:
        raise UserError(f"{where}: unsupported format '{p.suffix}' (use one of {', '.join(SUFFIXES)})")
    data = p.read_bytes()
    try:
        mesh = trimesh.load(p, force="mesh", process=False)
    except Exception as e:  # noqa: BLE001 - any reader failure is a broken file to the user
        raise UserError(f"{where}: cannot read it ({type(e).__name__}: {e}); export it again as STL or PLY") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise UserError(f"{where}: holds no triangles (an empty file, or only points/lines)")
    if len(mesh.faces) > MAX_FACES:
        raise UserError(f"{where}: {len(mesh.faces):,} faces is too many (at most {MAX_FACES:,}); "
                        "decimate it first (e.g. Blender's Decimate modifier)")
    if not np.isfinite(mesh.vertices).all():
        raise UserError(f"{where}: has NaN or infinite vertex coordinates")
    mesh.merge_vertices()
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.remove_unreferenced_vertices()
    if len(mesh.faces) == 0 or mesh.extents.max() <= 0:
        raise UserError(f"{where}: all its triangles are degenerate (zero area)")
    trimesh.repair.fix_winding(mesh)
    if mesh.is_watertight and mesh.volume < 0:
        mesh.invert()
    mesh.apply_transform(np.vstack([np.column_stack([_rotation_to_z(up), np.zeros(3)]), [0, 0, 0, 1]]))
    lo, hi = mesh.bounds
    mesh.apply_translation([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    mesh.apply_scale(1.0 / mesh.extents.max())
    smooth = trimesh.graph.smooth_shade(mesh, angle=math.radians(SHARP_DEG), facet_minarea=None)
    return UnitMesh(
        vertices=np.asarray(smooth.vertices, dtype=float),
        faces=np.asarray(smooth.faces, dtype=np.int64),
        face_normals=np.asarray(smooth.face_normals, dtype=float),
        vertex_normals=np.asarray(smooth.vertex_normals, dtype=float),
        adjacency=np.asarray(smooth.face_adjacency, dtype=np.int64),
        extents=np.asarray(smooth.extents, dtype=float),
        edge_keys=np.sort(_edge_keys(_half_edges(np.asarray(smooth.faces)), len(smooth.vertices))),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def unit_mesh(part: dict) -> UnitMesh:
    m = load_unit_mesh(part["path"], part.get("up", "z"))
    if m.sha256 != part["sha256"]:
        raise UserError(f"part mesh {part['path']} changed since the frames were sampled; "
                        "render into a new --out directory")
    return m


def cast_rays(vertices: np.ndarray, faces: np.ndarray, origin: np.ndarray, dirs: np.ndarray):
    """Nearest hit of each ray (Moller-Trumbore over all faces): (distance or inf, face or -1)."""
    a, b, c = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    e1, e2 = b - a, c - a
    s = origin - a
    dist, hit = np.full(len(dirs), np.inf), np.full(len(dirs), -1)
    for i, d in enumerate(dirs):
        p = np.cross(d, e2)
        det = np.einsum("ij,ij->i", e1, p)
        ok = np.abs(det) > 1e-12
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        u = np.einsum("ij,ij->i", s, p) * inv
        q = np.cross(s, e1)
        v = (q @ d) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        good = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-9)
        if good.any():
            j = np.nonzero(good)[0][np.argmin(t[good])]
            dist[i], hit[i] = t[j], j
    return dist, hit


def pick_anchor(rng: np.random.Generator, part: dict, location, look_at, half_angle: float) -> None:
    """Set part["anchor"], ["anchor_face"], ["frame"]: a point the camera sees, facing it.

    Rays from the camera into the inner part of the frame; the first that hits a face turned
    towards the camera (within 60 degrees) wins. If none does, the best-facing face in view.
    """
    m = unit_mesh(part)
    verts = m.vertices * part["size"]
    loc, look = np.asarray(location, float), np.asarray(look_at, float)
    forward = (look - loc) / np.linalg.norm(look - loc)
    side = np.cross(forward, [0.0, 0.0, 1.0] if abs(forward[2]) < 0.99 else [1.0, 0.0, 0.0])
    side /= np.linalg.norm(side)
    up = np.cross(side, forward)
    r = math.tan(0.5 * half_angle) * np.sqrt(rng.uniform(0, 1, 16))
    a = rng.uniform(0, 2 * math.pi, 16)
    dirs = forward + r[:, None] * (np.cos(a)[:, None] * side + np.sin(a)[:, None] * up)
    dirs[0] = forward
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    dist, face = cast_rays(verts, m.faces, loc, dirs)
    facing = np.where(face >= 0, -np.einsum("ij,ij->i", m.face_normals[face], dirs), -1.0)
    good = np.nonzero(facing > CHART_FACING)[0]
    if len(good):
        i = good[0]
        anchor, f = loc + dist[i] * dirs[i], int(face[i])
    else:
        centroids = verts[m.faces].mean(axis=1)
        ray = centroids - loc
        face_facing = -np.einsum("ij,ij->i", m.face_normals, ray) / np.linalg.norm(ray, axis=1)
        f = int(np.argmax(face_facing + (ray @ forward / np.linalg.norm(ray, axis=1) > math.cos(half_angle))))
        anchor = centroids[f]
    n = m.face_normals[f]
    helper = np.array([1.0, 0, 0]) if abs(n[0]) < 0.9 else np.array([0, 1.0, 0])
    tu = np.cross(helper, n)
    tu /= np.linalg.norm(tu)
    tv = np.cross(n, tu)
    turn = rng.uniform(0, 2 * math.pi)  # the patch's u axis points anywhere in the tangent plane
    tu, tv = math.cos(turn) * tu + math.sin(turn) * tv, -math.sin(turn) * tu + math.cos(turn) * tv
    part.update(anchor=anchor.tolist(), anchor_face=f, frame=[tu.tolist(), tv.tolist(), n.tolist()])


class Chart:
    """The anchor's patch of the mesh, seen flat in (u, v) = tangent-plane mm, origin at a corner."""

    def __init__(self, part: dict):
        m = unit_mesh(part)
        P = part["patch"]
        self.mesh = m
        self.vertices = m.vertices * part["size"]
        self.frame = np.asarray(part["frame"], float)
        self.origin = np.asarray(part["anchor"], float) - P / 2 * (self.frame[0] + self.frame[1])
        self.local = (self.vertices - self.origin) @ self.frame[:2].T
        tri = self.local[m.faces]
        near = (m.face_normals @ self.frame[2] > CHART_FACING) & (tri.max(1) >= 0).all(1) & (tri.min(1) <= P).all(1)
        near[part["anchor_face"]] = True
        pairs = m.adjacency[near[m.adjacency].all(1)]
        n = len(m.faces)
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        self.face_ids = np.nonzero(near & (label == label[part["anchor_face"]]))[0]
        faces = m.faces[self.face_ids]
        self.tri2 = self.local[faces]
        self.tri3 = self.vertices[faces]
        self.normals3 = m.vertex_normals[faces]
        self.boundary = _boundary_edges(faces)  # (B, 2) vertex ids, directed as in the faces
        self.sharp = self._sharp_edges()

    def _sharp_edges(self) -> np.ndarray:
        """Which boundary edges are real edges of the part: no face on their other side (the
        sharp split, or an open boundary), rather than where the chart merely stops."""
        key, bkey = self.mesh.edge_keys, _edge_keys(self.boundary, len(self.vertices))
        owners = np.searchsorted(key, bkey, "right") - np.searchsorted(key, bkey, "left")
        return owners == 1

    @functools.cached_property
    def _centroid_tree(self) -> cKDTree:
        return cKDTree(self.tri2.mean(1))

    @functools.cached_property
    def _grid(self):
        """Buckets of chart faces by the grid cells their bounding boxes cover, so a point is
        only tested against the faces of its cell (a scanned mesh's chart has 10^4..10^5 faces).
        Returns (origin, cell size, cells per axis, sorted cell ids, their faces)."""
        t = self.tri2
        pts = t.reshape(-1, 2)
        origin = pts.min(0)
        span = np.maximum(pts.max(0) - origin, 1e-9)
        cell = max(float(np.sqrt(span.prod() / len(t))) * 2, float(span.max()) / 4096)
        shape = (span // cell).astype(np.int64) + 1
        lo = ((t.min(1) - origin) // cell).astype(np.int64)
        hi = ((t.max(1) - origin) // cell).astype(np.int64)
        nx, ny = hi[:, 0] - lo[:, 0] + 1, hi[:, 1] - lo[:, 1] + 1
        count = nx * ny
        face = np.repeat(np.arange(len(t)), count)
        k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        cid = (lo[face, 0] + k % nx[face]) * shape[1] + lo[face, 1] + k // nx[face]
        order = np.argsort(cid, kind="stable")
        return origin, cell, shape, cid[order], face[order]

    def _candidates(self, uv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, chart face) pairs to test: every face for small charts, else the cell's."""
        if len(self.tri2) <= 256:
            n, f = len(uv), len(self.tri2)
            return np.repeat(np.arange(n), f), np.tile(np.arange(f), n)
        origin, cell, shape, cells, faces = self._grid
        c = ((uv - origin) // cell).astype(np.int64)
        ok = (c >= 0).all(1) & (c < shape).all(1)
        cid = c[:, 0] * shape[1] + c[:, 1]
        start = np.searchsorted(cells, cid, "left")
        m = np.where(ok, np.searchsorted(cells, cid, "right") - start, 0)
        k = np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m)
        return np.repeat(np.arange(len(uv)), m), faces[np.repeat(start, m) + k]

    def locate(self, uv: np.ndarray):
        """(chart face index, barycentric weights, inside) of each point; outside points take the
        face with the nearest centroid, weights clamped."""
        f = np.zeros(len(uv), np.int64)
        w = np.zeros((len(uv), 3))
        inside = np.zeros(len(uv), bool)
        step = 4096
        for s0 in range(0, len(uv), step):
            q = uv[s0:s0 + step]
            pi, fi = self._candidates(q)
            ws = _barycentric(self.tri2[fi], q[pi])
            score = ws.min(1)  # >= 0 inside the triangle
            order = np.lexsort((-score, pi))  # per point, its best candidate first
            first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]] if len(order) else order
            hit = first[score[first] >= -1e-9]
            f[s0 + pi[hit]], w[s0 + pi[hit]], inside[s0 + pi[hit]] = fi[hit], ws[hit], True
        miss = np.nonzero(~inside)[0]
        if len(miss):
            f[miss] = self._centroid_tree.query(uv[miss])[1]
            w[miss] = _barycentric(self.tri2[f[miss]], uv[miss])
        w = np.clip(w, 0, None)
        return f, w / np.maximum(w.sum(1, keepdims=True), 1e-12), inside

    def contains(self, uv: np.ndarray) -> np.ndarray:
        return self.locate(uv)[2]

    def lift(self, uv: np.ndarray, height=0.0):
        """3D points (moved `height` mm along the normal) and unit normals at (u, v)."""
        f, w, _ = self.locate(uv)
        p = np.einsum("ij,ijk->ik", w, self.tri3[f])
        n = np.einsum("ij,ijk->ik", w, self.normals3[f])
        n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        return p + np.asarray(height, float).reshape(-1, 1) * n, n

    def edge_segments(self) -> np.ndarray:
        """(S, 2, 2) sharp boundary edges in (u, v), counter-clockwise around the chart."""
        return self.local[self.boundary[self.sharp]]


def _barycentric(tri: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Barycentric weights (K, 3) of points p (K, 2) in triangles tri (K, 3, 2)."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    den = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
    den = np.where(np.abs(den) > 1e-15, den, 1e-15)
    dx, dy = p[:, 0] - c[:, 0], p[:, 1] - c[:, 1]
    w0 = ((b[:, 1] - c[:, 1]) * dx + (c[:, 0] - b[:, 0]) * dy) / den
    w1 = ((c[:, 1] - a[:, 1]) * dx + (a[:, 0] - c[:, 0]) * dy) / den
    return np.column_stack([w0, w1, 1 - w0 - w1])


def _half_edges(faces: np.ndarray) -> np.ndarray:
    """(3F, 2) directed edges of the faces, in winding order."""
    return np.stack([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]], 1).reshape(-1, 2)


def _edge_keys(edges: np.ndarray, n_vertices: int) -> np.ndarray:
    """One integer per undirected edge."""
    e = np.sort(edges, axis=1)
    return e[:, 0] * (n_vertices + 1) + e[:, 1]


def _boundary_edges(faces: np.ndarray) -> np.ndarray:
    """Directed edges that only one of the faces has."""
    e = _half_edges(faces)
    _, inverse, count = np.unique(_edge_keys(e, int(faces.max()) + 1), return_inverse=True, return_counts=True)
    return e[count[inverse.ravel()] == 1]


_CHARTS: dict = {}


def chart(part: dict) -> Chart:
    """The chart of a mesh part (a few kept: sampling and meshing ask for the same one)."""
    key = (part["path"], part["sha256"], part["size"], part["patch"], part["anchor_face"],
           tuple(part["anchor"]), tuple(map(tuple, part["frame"])))
    if key not in _CHARTS:
        if len(_CHARTS) >= 4:
            _CHARTS.pop(next(iter(_CHARTS)))
        _CHARTS[key] = Chart(part)
    return _CHARTS[key]


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of each point to the nearest of the segments a-b."""
    out = np.full(len(points), np.inf)
    ab = b - a
    L2 = np.maximum((ab**2).sum(1), 1e-30)
    chunk = max(1, 4_000_000 // max(len(a), 1))
    for s in range(0, len(points), chunk):
        p = points[s:s + chunk, None, :]
        t = np.clip(((p - a) * ab).sum(-1) / L2, 0, 1)
        d = np.linalg.norm(p - (a + t[..., None] * ab), axis=-1)
        out[s:s + chunk] = d.min(1)
    return out


def build_user_part_mesh(spec: dict, base_segments: int, across_groove: float, min_spacing: float):
    """The user's mesh with the chart re-meshed around the frame's defects and displaced."""
    import triangle

    from render.geometry.mesh import (
        PartMesh,
        adaptive_points,
        defect_features,
        defect_height,
        label_faces,
        orient_ccw,
    )

    part, defects = spec["part"], spec["defects"]
    c = chart(part)
    P = part["patch"]
    uv, *_ = adaptive_points((P, P), P / base_segments, defect_features(defects, across_groove, min_spacing))
    uv = uv[c.contains(uv)]
    # keep new points off the hole's boundary (by half their spacing) so no sliver pins an edge
    bnd = c.local[c.boundary]
    if len(uv) > 1:
        spacing = cKDTree(uv).query(uv, k=2)[0][:, 1]
        uv = uv[_segment_distance(uv, bnd[:, 0], bnd[:, 1]) > 0.5 * spacing]
    ring = np.unique(c.boundary)
    index_of = np.full(len(c.vertices), -1)
    index_of[ring] = np.arange(len(ring))
    pts = np.vstack([c.local[ring], uv])
    cdt = triangle.triangulate({"vertices": pts, "segments": index_of[c.boundary]}, "p")
    new_uv = np.asarray(cdt["vertices"], float)
    tris = orient_ccw(new_uv, np.asarray(cdt["triangles"], np.int64))
    tris = tris[c.contains(new_uv[tris].mean(axis=1))]  # not in the hole's own holes

    # boundary vertices stay where they are; points `triangle` added on boundary segments (where
    # a folded chart's boundary crosses itself) are lifted but not displaced, so no crack opens
    inner = np.arange(len(ring), len(new_uv))
    height = defect_height(defects, new_uv[inner]) * (inner < len(pts))
    lifted, _ = c.lift(new_uv[inner], height)
    face_defect, face_darken = label_faces(defects, new_uv[tris].mean(axis=1))

    V = len(c.vertices)
    vid = np.concatenate([ring, V + np.arange(len(inner))])  # patch vertex -> vertex of the result
    others = np.setdiff1d(np.arange(len(c.mesh.faces)), c.face_ids)
    vertices = np.vstack([c.vertices, lifted])
    n_old = len(others)
    return PartMesh(
        vertices=vertices,
        faces=np.vstack([c.mesh.faces[others], vid[tris]]),
        face_defect=np.concatenate([np.zeros(n_old, np.int64), face_defect]),
        face_smooth=np.ones(n_old + len(tris), bool),  # sharp edges are split vertices
        face_darken=np.concatenate([np.zeros(n_old), face_darken]),
        uv=_texture_uv(c, vertices, vid),
    )


def _texture_uv(c: Chart, vertices: np.ndarray, patch_vertices: np.ndarray) -> np.ndarray:
    """Box mapping in the anchor's frame, so textures keep their mm scale on every face: each
    vertex is projected along the frame axis nearest its normal; the patch along the anchor
    normal (its own (u, v)), so the texture runs on across it without a seam."""
    local = (vertices - c.origin) @ c.frame.T
    normals = np.vstack([c.mesh.vertex_normals, np.tile(c.frame[2], (len(vertices) - len(c.vertices), 1))])
    axis = np.argmax(np.abs(normals @ c.frame.T), axis=1)
    axis[patch_vertices] = 2
    pick = np.array([[1, 2], [0, 2], [0, 1]])[axis]
    return np.take_along_axis(local, pick, axis=1)
