"""Part mesh with displaced defects and per-face defect instance ids.

The defect surface is meshed in its flat (u, v) domain: a base grid plus nested finer grids
(each level halves the spacing) around every defect, Delaunay-triangulated together. Nested
grids make the triangulation conforming (no T-junctions, so no cracks when displaced) and
graded: a level-L band is at least two level-L cells wide before the next coarser level.
A groove gets `across_groove` edges across its width; flat metal far from defects stays coarse.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import Delaunay, cKDTree

from render.geometry import defects as dfx
from render.geometry import parts

HOLE_DARKEN = 0.85  # how dark the floor of a button hole is drawn (it stands for the unlit inside)
GRADING = 0.5  # spacing may grow by this many mm per mm of distance from a defect


@dataclass
class PartMesh:
    vertices: np.ndarray  # (V, 3) float, mm
    faces: np.ndarray  # (F, 3) int, counter-clockwise seen from outside
    face_defect: np.ndarray  # (F,) int, defect instance id, 0 = none
    face_smooth: np.ndarray  # (F,) bool, smooth shading (curved surface) or flat (walls, caps)
    face_darken: np.ndarray  # (F,) float 0..1, material darkening (dark crack interiors, stains)
    uv: np.ndarray  # (V, 2) float, surface coordinates in mm (texture space)

    def save(self, path: Path) -> None:
        np.savez(
            path,
            vertices=self.vertices.astype(np.float32),
            faces=self.faces.astype(np.int32),
            face_defect=self.face_defect.astype(np.int32),
            face_smooth=self.face_smooth.astype(np.bool_),
            face_darken=self.face_darken.astype(np.float32),
            uv=self.uv.astype(np.float32),
        )

    def to_trimesh(self):
        import trimesh

        return trimesh.Trimesh(self.vertices, self.faces, process=False)


def adaptive_points(extent, base_spacing: float, features):
    """Points of the surface domain [0, U] x [0, V].

    features: (skeleton points, core radius, target spacing) per defect.
    Returns (uv points, their integer keys on the finest grid, finest-grid steps per base
    cell, base grid cells (nu, nv)).
    """
    U, V = extent
    nu, nv = max(2, int(np.ceil(U / base_spacing))), max(2, int(np.ceil(V / base_spacing)))
    hu, hv = U / nu, V / nv
    h0 = max(hu, hv)
    levels = [max(0, int(np.ceil(np.log2(h0 / (1.3 * sp))))) for _, _, sp in features]
    lmax = max(levels, default=0)
    scale = 2**lmax
    gi, gj = np.meshgrid(np.arange(nu + 1), np.arange(nv + 1), indexing="ij")
    keys = [np.column_stack([gi.ravel(), gj.ravel()]) * scale]
    for (skeleton, core, spacing), level in zip(features, levels, strict=False):
        if len(skeleton) == 0:
            continue
        tree = cKDTree(skeleton)
        for L in range(1, level + 1):
            step = np.array([hu, hv]) / 2**L
            reach = core + max(h0 / 2 ** (L - 1) - spacing, 0) / GRADING
            r = int(np.ceil(reach / step.min())) + 1
            centers = _unique_rows(np.round(skeleton / step).astype(np.int64))
            off = np.stack(np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1), indexing="ij"), -1).reshape(-1, 2)
            off = off[(off**2).sum(1) <= (r + 1) ** 2]
            cand = _unique_rows((centers[:, None, :] + off[None]).reshape(-1, 2))
            inside = (cand[:, 0] >= 0) & (cand[:, 0] <= nu * 2**L) & (cand[:, 1] >= 0) & (cand[:, 1] <= nv * 2**L)
            cand = cand[inside]
            near = tree.query(cand * step, distance_upper_bound=reach)[0] <= reach
            keys.append(cand[near] * 2 ** (lmax - L))
    keys = _unique_rows(np.vstack(keys))
    uv = keys * (np.array([hu, hv]) / scale)
    return uv, keys, scale, (nu, nv)


def _unique_rows(a: np.ndarray) -> np.ndarray:
    """np.unique(a, axis=0) for small non-negative-offset int pairs, as a fast 1D unique."""
    lo = a.min(0)
    span = int(a[:, 1].max() - lo[1]) + 1
    code = np.unique((a[:, 0] - lo[0]) * span + (a[:, 1] - lo[1]))
    return np.column_stack([code // span + lo[0], code % span + lo[1]])


def _triangulate(uv: np.ndarray, boundary: np.ndarray) -> np.ndarray:
    """Delaunay triangles, counter-clockwise in (u, v).

    A nested grid is full of cocircular quads, which makes Qhull slow; a tiny fixed jitter of
    the interior points (boundary points stay exact so the hull keeps them all) breaks the ties.
    Any triangulation of the jittered points is one of the exact points.
    """
    step = np.min(np.diff(np.unique(uv[:, 0]))) if len(uv) > 1 else 1.0
    jitter = np.sin(np.arange(len(uv) * 2, dtype=float).reshape(-1, 2) * 12.9898) * (1e-3 * step)
    jitter[boundary] = 0.0
    tri = Delaunay(uv + jitter)
    if len(tri.coplanar):
        raise RuntimeError(f"Delaunay dropped {len(tri.coplanar)} points")
    return orient_ccw(uv, tri.simplices.astype(np.int64))


def _ring(keys: np.ndarray, grid: tuple[int, int], scale: int) -> np.ndarray:
    """Indices of the points on the domain boundary, counter-clockwise from (0, 0)."""
    iu, iv = keys[:, 0], keys[:, 1]
    U, V = grid[0] * scale, grid[1] * scale
    on = (iu == 0) | (iu == U) | (iv == 0) | (iv == V)
    idx = np.nonzero(on)[0]
    i, j = iu[idx], iv[idx]
    # perimeter position: bottom edge, right edge, top edge (reversed), left edge (reversed)
    pos = np.where(j == 0, i, np.where(i == U, U + j, np.where(j == V, 2 * U + V - i, 2 * U + 2 * V - j)))
    return idx[np.argsort(pos, kind="stable")]


def defect_features(defects: list[dict], across: float, min_spacing: float) -> list:
    """Refinement features (skeleton, core radius, spacing >= min_spacing) of the defects."""
    out = []
    for d in defects:
        skel, core, spacing = dfx.REFINEMENT[d["type"]](d, across)
        out.append((skel, core, max(spacing, min_spacing)))
    return out


def defect_height(defects: list[dict], uv: np.ndarray) -> np.ndarray:
    """Summed displacement of the defects at (u, v) points (each only inside its bbox)."""
    height = np.zeros(len(uv))
    for d in defects:
        lo, hi = dfx.bbox(d)
        sel = np.all((uv >= lo) & (uv <= hi), axis=1)
        height[sel] += dfx.HEIGHT[d["type"]](d, uv[sel])
    return height


def label_faces(defects: list[dict], centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(defect instance id, darken) of faces by their (u, v) centroids; later defects win."""
    face_defect = np.zeros(len(centroids), dtype=np.int64)
    face_darken = np.zeros(len(centroids))
    for d in defects:
        lo, hi = dfx.bbox(d)
        sel = np.nonzero(np.all((centroids >= lo) & (centroids <= hi), axis=1))[0]
        inside = sel[dfx.FOOTPRINT[d["type"]](d, centroids[sel])]
        face_defect[inside] = d["id"]
        face_darken[inside] = d.get("darken", 0.0)
    return face_defect, face_darken


def orient_ccw(uv: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Triangles counter-clockwise in (u, v) (so they face out), degenerate ones dropped."""
    a, b, c = uv[faces[:, 0]], uv[faces[:, 1]], uv[faces[:, 2]]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    faces = faces[np.abs(area) > 1e-12]
    flip = area[np.abs(area) > 1e-12] < 0
    faces[flip] = faces[flip][:, ::-1]
    return faces


def build_part_mesh(spec: dict, base_segments: int, across_groove: float, min_spacing: float) -> PartMesh:
    part, defects = spec["part"], spec["defects"]
    if part["type"] == "mesh":
        from render.geometry.user_mesh import build_user_part_mesh  # it builds on this module

        return build_user_part_mesh(spec, base_segments, across_groove, min_spacing)
    extent = parts.surface_extent(part)
    features = [(skel, core, max(spacing, min_spacing))
                for skel, core, spacing in parts.groove_refinement(part, across_groove)]
    features += defect_features(defects, across_groove, min_spacing)
    uv, keys, scale, grid = adaptive_points(extent, max(extent) / base_segments, features)
    if parts.is_periodic_u(part):
        # the seam's two sides get the same points (a thread's end refines only one side), so
        # the closed surface has no T-junction there
        U = grid[0] * scale
        seam = np.unique(keys[(keys[:, 0] == 0) | (keys[:, 0] == U), 1])
        keys = _unique_rows(np.vstack([keys, np.column_stack([np.zeros_like(seam), seam]),
                                       np.column_stack([np.full_like(seam, U), seam])]))
        uv = keys * (np.array(extent) / np.array(grid) / scale)
    on_boundary = (keys == 0).any(1) | (keys[:, 0] == grid[0] * scale) | (keys[:, 1] == grid[1] * scale)
    faces = _triangulate(uv, on_boundary)

    height = parts.groove_height(part, uv) + defect_height(defects, uv)
    centroids = uv[faces].mean(axis=1)
    face_defect, face_darken = label_faces(defects, centroids)
    # a button hole's wall and floor are never a defect; its inside is drawn dark
    in_hole = parts.in_hole(part, centroids, 0.5)
    face_defect[in_hole] = 0
    face_darken[in_hole] = 0.0
    face_darken[parts.in_hole(part, centroids, 0.0)] = HOLE_DARKEN

    verts = parts.surface_points(part, uv, height)
    if parts.is_periodic_u(part):
        # close the seam: points at u = U are the points at u = 0
        k = keys.copy()
        k[k[:, 0] == grid[0] * scale, 0] = 0
        _, first, remap = np.unique(k[:, 0] * (k[:, 1].max() + 1) + k[:, 1], return_index=True, return_inverse=True)
        remap = remap.ravel()
        verts, uv_v, keys = verts[first], uv[first], k[first]
        faces = remap[faces]
        rings = []
        for j in (0, grid[1] * scale):
            on = np.nonzero(keys[:, 1] == j)[0]
            rings.append(verts[on[np.argsort(keys[on, 0])]])
    else:
        uv_v = uv
        rings = [verts[_ring(keys, grid, scale)]]

    pieces_v, pieces_f = [verts], [faces]
    offset = len(verts)
    for bv, bf in parts.build_body(part, rings):
        pieces_v.append(bv)
        pieces_f.append(bf + offset)
        offset += len(bv)
    n_body = sum(len(f) for f in pieces_f[1:])
    all_v = np.vstack(pieces_v)
    return PartMesh(
        vertices=all_v,
        faces=np.vstack(pieces_f),
        face_defect=np.concatenate([face_defect, np.zeros(n_body, dtype=np.int64)]),
        face_smooth=np.concatenate([np.ones(len(faces), bool), np.zeros(n_body, bool)]),
        face_darken=np.concatenate([face_darken, np.zeros(n_body)]),
        uv=np.vstack([uv_v, np.zeros((len(all_v) - len(uv_v), 2))]),
    )
