"""Meshing helpers: the nested adaptive grid of a (u, v) domain, its triangulation, and the
defects' displacement and face labels on it.

The defect surface is meshed in its flat (u, v) domain: a base grid plus nested finer grids
(each level halves the spacing) around every defect, Delaunay-triangulated together. Nested
grids make the triangulation conforming (no T-junctions, so no cracks when displaced) and
graded: a level-L band is at least two level-L cells wide before the next coarser level.
A groove gets `across_groove` edges across its width; flat metal far from defects stays coarse.
Defects are the frame spec's Defect records; their shapes give height, footprint, refinement
and bbox.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import Delaunay, cKDTree

GRADING = 0.5  # spacing may grow by this many mm per mm of distance from a defect


@dataclass
class PartMesh:
    vertices: np.ndarray  # (V, 3) float, mm
    faces: np.ndarray  # (F, 3) int, counter-clockwise seen from outside
    face_defect: np.ndarray  # (F,) int, defect instance id, 0 = none
    face_smooth: np.ndarray  # (F,) bool, smooth shading (curved surface) or flat (walls, caps)
    face_darken: np.ndarray  # (F,) float 0..1, material darkening (dark crack interiors, stains)
    uv: np.ndarray  # (V, 2) float, surface coordinates in mm (texture space)
    face_tint: np.ndarray | None = None  # (F, 4) linear RGB + weight of a stain's own colour; None: none
    face_mottle: np.ndarray | None = None  # (F, 2) patchiness: amount, noise features per mm; None: none
    face_paint: np.ndarray | None = None  # (F, 6) own rgb, metallic, roughness and weight (assemblies); None: none

    def save(self, path: Path) -> None:
        np.savez(
            path,
            vertices=self.vertices.astype(np.float32),
            faces=self.faces.astype(np.int32),
            face_defect=self.face_defect.astype(np.int32),
            face_smooth=self.face_smooth.astype(np.bool_),
            face_darken=self.face_darken.astype(np.float32),
            uv=self.uv.astype(np.float32),
            # only where some face has them, so that other meshes stay byte for byte as before
            **{k: v.astype(np.float32) for k, v in (("face_tint", self.face_tint), ("face_mottle", self.face_mottle),
                                                    ("face_paint", self.face_paint))
               if v is not None and v[:, {"face_tint": 3, "face_mottle": -2, "face_paint": 5}[k]].any()},
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
            centers = unique_rows(np.round(skeleton / step).astype(np.int64))
            off = np.stack(np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1), indexing="ij"), -1).reshape(-1, 2)
            off = off[(off**2).sum(1) <= (r + 1) ** 2]
            cand = unique_rows((centers[:, None, :] + off[None]).reshape(-1, 2))
            inside = (cand[:, 0] >= 0) & (cand[:, 0] <= nu * 2**L) & (cand[:, 1] >= 0) & (cand[:, 1] <= nv * 2**L)
            cand = cand[inside]
            near = tree.query(cand * step, distance_upper_bound=reach)[0] <= reach
            keys.append(cand[near] * 2 ** (lmax - L))
    keys = unique_rows(np.vstack(keys))
    uv = keys * (np.array([hu, hv]) / scale)
    return uv, keys, scale, (nu, nv)


def unique_rows(a: np.ndarray) -> np.ndarray:
    """np.unique(a, axis=0) for small non-negative-offset int pairs, as a fast 1D unique."""
    lo = a.min(0)
    span = int(a[:, 1].max() - lo[1]) + 1
    code = np.unique((a[:, 0] - lo[0]) * span + (a[:, 1] - lo[1]))
    return np.column_stack([code // span + lo[0], code % span + lo[1]])


def triangulate(uv: np.ndarray, boundary: np.ndarray) -> np.ndarray:
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


def domain_ring(keys: np.ndarray, grid: tuple[int, int], scale: int) -> np.ndarray:
    """Indices of the points on the domain boundary, counter-clockwise from (0, 0)."""
    iu, iv = keys[:, 0], keys[:, 1]
    U, V = grid[0] * scale, grid[1] * scale
    on = (iu == 0) | (iu == U) | (iv == 0) | (iv == V)
    idx = np.nonzero(on)[0]
    i, j = iu[idx], iv[idx]
    # perimeter position: bottom edge, right edge, top edge (reversed), left edge (reversed)
    pos = np.where(j == 0, i, np.where(i == U, U + j, np.where(j == V, 2 * U + V - i, 2 * U + 2 * V - j)))
    return idx[np.argsort(pos, kind="stable")]


def defect_features(defects, across: float, min_spacing: float) -> list:
    """Refinement features (skeleton, core radius, spacing >= min_spacing) of the defects."""
    out = []
    for d in defects:
        skel, core, spacing = d.shape.refinement(across)
        out.append((skel, core, max(spacing, min_spacing)))
    return out


def defect_height(defects, uv: np.ndarray) -> np.ndarray:
    """Summed displacement of the defects at (u, v) points (each only inside its bbox)."""
    height = np.zeros(len(uv))
    for d in defects:
        lo, hi = d.shape.bbox()
        sel = np.all((uv >= lo) & (uv <= hi), axis=1)
        height[sel] += d.shape.displacement(uv[sel])
    return height


def label_faces(defects, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(defect instance id, darken, tint RGB + weight, mottle amount + frequency) of faces by their
    (u, v) centroids; later defects win."""
    face_defect = np.zeros(len(centroids), dtype=np.int64)
    face_darken = np.zeros(len(centroids))
    face_tint = np.zeros((len(centroids), 4))
    face_mottle = np.zeros((len(centroids), 2))
    for d in defects:
        lo, hi = d.shape.bbox()
        sel = np.nonzero(np.all((centroids >= lo) & (centroids <= hi), axis=1))[0]
        inside = sel[d.shape.footprint(centroids[sel])]
        face_defect[inside] = d.id
        darken, tint, mottle = d.shape.face_look(centroids[inside])
        face_darken[inside] = darken
        face_tint[inside] = 0.0 if tint is None else tint
        face_mottle[inside] = 0.0 if mottle is None else mottle
    return face_defect, face_darken, face_tint, face_mottle


def orient_ccw(uv: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Triangles counter-clockwise in (u, v) (so they face out), degenerate ones dropped."""
    a, b, c = uv[faces[:, 0]], uv[faces[:, 1]], uv[faces[:, 2]]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    faces = faces[np.abs(area) > 1e-12]
    flip = area[np.abs(area) > 1e-12] < 0
    faces[flip] = faces[flip][:, ::-1]
    return faces
