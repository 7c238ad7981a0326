"""The chart of a user's mesh: the faces around a frame's anchor, seen flat in the anchor's
tangent plane, so a (u, v) point of the defect patch can be lifted onto the mesh."""

import functools

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from render.parts.mesh_file import boundary_edges, edge_keys

CHART_FACING = 0.5  # chart faces are within acos(0.5) = 60 degrees of the anchor normal


class Chart:
    """The anchor's patch of the mesh, seen flat in (u, v) = tangent-plane mm, origin at a corner."""

    def __init__(self, part):
        m = part.unit_mesh()
        P = part.patch
        self.mesh = m
        self.vertices = m.vertices * part.size
        self.frame = np.asarray(part.frame, float)
        self.origin = np.asarray(part.anchor, float) - P / 2 * (self.frame[0] + self.frame[1])
        self.local = (self.vertices - self.origin) @ self.frame[:2].T
        tri = self.local[m.faces]
        near = (m.face_normals @ self.frame[2] > CHART_FACING) & (tri.max(1) >= 0).all(1) & (tri.min(1) <= P).all(1)
        near[part.anchor_face] = True
        pairs = m.adjacency[near[m.adjacency].all(1)]
        n = len(m.faces)
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, label = connected_components(graph, directed=False)
        self.face_ids = np.nonzero(near & (label == label[part.anchor_face]))[0]
        faces = m.faces[self.face_ids]
        self.tri2 = self.local[faces]
        self.tri3 = self.vertices[faces]
        self.normals3 = m.vertex_normals[faces]
        self.boundary = boundary_edges(faces)  # (B, 2) vertex ids, directed as in the faces
        self.sharp = self._sharp_edges()

    def _sharp_edges(self) -> np.ndarray:
        """Which boundary edges are real edges of the part: no face on their other side (the
        sharp split, or an open boundary), rather than where the chart merely stops."""
        key, bkey = self.mesh.edge_keys, edge_keys(self.boundary, len(self.vertices))
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
            ws = barycentric(self.tri2[fi], q[pi])
            score = ws.min(1)  # >= 0 inside the triangle
            order = np.lexsort((-score, pi))  # per point, its best candidate first
            first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]] if len(order) else order
            hit = first[score[first] >= -1e-9]
            f[s0 + pi[hit]], w[s0 + pi[hit]], inside[s0 + pi[hit]] = fi[hit], ws[hit], True
        miss = np.nonzero(~inside)[0]
        if len(miss):
            f[miss] = self._centroid_tree.query(uv[miss])[1]
            w[miss] = barycentric(self.tri2[f[miss]], uv[miss])
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


def barycentric(tri: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Barycentric weights (K, 3) of points p (K, 2) in triangles tri (K, 3, 2)."""
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    den = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
    den = np.where(np.abs(den) > 1e-15, den, 1e-15)
    dx, dy = p[:, 0] - c[:, 0], p[:, 1] - c[:, 1]
    w0 = ((b[:, 1] - c[:, 1]) * dx + (c[:, 0] - b[:, 0]) * dy) / den
    w1 = ((c[:, 1] - a[:, 1]) * dx + (a[:, 0] - c[:, 0]) * dy) / den
    return np.column_stack([w0, w1, 1 - w0 - w1])



@functools.lru_cache(maxsize=4)
def chart(part) -> Chart:
    """The chart of a mesh part (a few kept: sampling and meshing ask for the same one)."""
    return Chart(part)
