"""A user's own mesh as a part.

Defects: every frame picks an anchor, a point on a face the camera sees. The defect surface is
a square `patch` mm wide in the anchor's tangent plane, with the same (u, v) domain as a
built-in part; its chart (render.parts.chart) lifts (u, v) points onto the mesh. To carry
defects, the chart faces are cut out and the hole is re-meshed: the nested defect grid
(render.meshing) inside the hole plus the hole's own boundary vertices, under a constrained
Delaunay triangulation (the `triangle` package) that keeps every boundary edge, so the new patch
joins the untouched mesh without cracks.
"""

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import ValidationInfo, field_validator
from scipy.spatial import cKDTree

from render.errors import UserError
from render.meshing import PartMesh, adaptive_points, defect_features, defect_height, label_faces, orient_ccw
from render.parts.base import Part, PartRecipe
from render.parts.chart import CHART_FACING, Chart, chart
from render.parts.mesh_file import UnitMesh, load_unit_mesh
from render.ranges import Range, uniform
from render.spec import MeshSettings, optional


class MeshRecipe(PartRecipe):
    """Your own part mesh (STL, OBJ, PLY, GLB/glTF, OFF); defects go on a patch the camera sees."""

    path: str  # the mesh file, relative to the recipe file (or absolute)
    up: Literal["z", "-z", "y", "-y", "x", "-x"] = "z"  # the file's up axis (glTF files are y-up)
    size: Range(1, 5000) = (40, 80)  # mm, the mesh's longest side after scaling
    patch: Range(0.05, 1) = (0.25, 0.4)  # side of the square defect patch, as a fraction of size

    @field_validator("path")
    @classmethod
    def _resolve(cls, v: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("recipe_dir")
        p = Path(v).expanduser()
        return str((Path(base) / p).resolve() if base is not None and not p.is_absolute() else p.resolve())


@dataclass(frozen=True)
class UserMesh(Part):
    type = "mesh"
    Recipe = MeshRecipe
    draw_order = 5

    path: str
    up: str
    sha256: str  # of the file the frame was sampled from
    size: float  # mm, the longest side
    patch: float  # mm, side of the square defect patch
    anchor: tuple | None = optional()  # the patch's centre, a point the camera sees
    anchor_face: int | None = optional()
    frame: tuple | None = optional()  # the patch's u, v axes and normal

    @classmethod
    def sample(cls, rng, r: MeshRecipe) -> "UserMesh":
        size = uniform(rng, r.size)
        return cls(path=r.path, up=r.up, sha256=load_unit_mesh(r.path, r.up).sha256, size=size,
                   patch=size * uniform(rng, r.patch))

    @classmethod
    def check_recipe(cls, r: MeshRecipe) -> None:
        load_unit_mesh(r.path, r.up)  # a broken mesh file is reported when the recipe loads, not mid-render

    def unit_mesh(self) -> UnitMesh:
        m = load_unit_mesh(self.path, self.up)
        if m.sha256 != self.sha256:
            raise UserError(f"part mesh {self.path} changed since the frames were sampled; "
                            "render into a new --out directory")
        return m

    def anchored(self, rng, location, target, half_angle: float):
        """Look at the defect patch's anchor: a point the camera sees, on a face turned to it.

        Rays from the camera into the inner part of the frame; the first that hits a face turned
        towards the camera (within 60 degrees) wins. If none does, the best-facing face in view.
        """
        m = self.unit_mesh()
        verts = m.vertices * self.size
        loc, look = np.asarray(location, float), np.asarray(target, float)
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
        placed = replace(self, anchor=anchor.tolist(), anchor_face=f, frame=[tu.tolist(), tv.tolist(), n.tolist()])
        return placed, np.asarray(placed.anchor)

    def focus_distance(self, location: np.ndarray, look_at: np.ndarray, n: int = 64) -> float:
        """Its look-at point is the anchor, on the surface."""
        forward = (look_at - location) / np.linalg.norm(look_at - location)
        return float((look_at - location) @ forward)

    def surface_extent(self) -> tuple[float, float]:
        return self.patch, self.patch

    def bounding_radius(self) -> float:
        return 0.5 * self.size * float(np.linalg.norm(self.unit_mesh().extents))

    def footprint_radius(self) -> float:
        return self.bounding_radius()

    def top_height(self) -> float:
        return self.size * float(self.unit_mesh().extents[2])

    def look_span(self) -> tuple[float, float]:
        ex = self.size * self.unit_mesh().extents
        return float(ex[0]), float(ex[1])

    def surface_points(self, uv: np.ndarray, height: np.ndarray | float = 0.0) -> np.ndarray:
        h = np.broadcast_to(np.asarray(height, dtype=float), uv[:, 0].shape)
        return chart(self).lift(uv, h)[0]

    def surface_normals(self, uv: np.ndarray) -> np.ndarray:
        return chart(self).lift(uv)[1]

    def surface_valid(self, uv: np.ndarray) -> np.ndarray:
        """Only where the chart is."""
        return chart(self).contains(uv)

    def has_holes(self) -> bool:
        return True  # the square patch reaches beyond its chart

    def edge_anchor(self, rng, lo, hi) -> tuple[np.ndarray, np.ndarray, bool]:
        """A point on a sharp edge of the chart near the seen region, and the inward normal.

        Each edge is clipped to the seen region (grown by 10% of the patch) and weighted by the
        length inside it; a chart with no sharp edge there gives a point in the region and a
        random direction.
        """
        seg = chart(self).edge_segments()
        reach = 0.1 * self.patch
        t0, t1 = clip_segments(seg, lo - reach, hi + reach)
        d = seg[:, 1] - seg[:, 0] if len(seg) else np.zeros((0, 2))
        inside = np.maximum(t1 - t0, 0) * np.linalg.norm(d, axis=1)
        if inside.sum() <= 0:
            turn = rng.uniform(0, 2 * math.pi)
            return rng.uniform(lo, hi), np.array([math.cos(turn), math.sin(turn)]), False
        i = int(rng.choice(len(seg), p=inside / inside.sum()))
        inward = np.array([-d[i, 1], d[i, 0]]) / np.linalg.norm(d[i])  # the chart lies left of its ccw boundary
        return seg[i, 0] + rng.uniform(t0[i], t1[i]) * d[i], inward, False

    def build_mesh(self, defects, settings: MeshSettings) -> PartMesh:
        """The user's mesh with the chart re-meshed around the frame's defects and displaced."""
        import triangle

        base_segments, across_groove, min_spacing = settings.base_segments, settings.across_groove, settings.min_spacing
        c = chart(self)
        P = self.patch
        uv, *_ = adaptive_points((P, P), P / base_segments, defect_features(defects, across_groove, min_spacing))
        uv = uv[c.contains(uv)]
        # keep new points off the hole's boundary (by half their spacing) so no sliver pins an edge
        bnd = c.local[c.boundary]
        if len(uv) > 1:
            spacing = cKDTree(uv).query(uv, k=2)[0][:, 1]
            uv = uv[segment_distance(uv, bnd[:, 0], bnd[:, 1]) > 0.5 * spacing]
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
        face_defect, face_darken, face_tint, face_mottle = label_faces(defects, new_uv[tris].mean(axis=1))

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
            face_tint=np.vstack([np.zeros((n_old, 4)), face_tint]),
            face_mottle=np.vstack([np.zeros((n_old, 2)), face_mottle]),
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


def segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
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


def clip_segments(seg: np.ndarray, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Parameter range [t0, t1] of each segment a + t (b - a) inside the box [lo, hi]
    (Liang-Barsky); t0 > t1 where a segment misses the box."""
    a, d = seg[:, 0], seg[:, 1] - seg[:, 0]
    t0, t1 = np.zeros(len(seg)), np.ones(len(seg))
    for k in (0, 1):
        with np.errstate(divide="ignore", invalid="ignore"):
            ta, tb = (lo[k] - a[:, k]) / d[:, k], (hi[k] - a[:, k]) / d[:, k]
        flat = d[:, k] == 0
        outside = flat & ((a[:, k] < lo[k]) | (a[:, k] > hi[k]))
        t0 = np.where(flat, t0, np.maximum(t0, np.minimum(ta, tb)))
        t1 = np.where(flat, t1, np.minimum(t1, np.maximum(ta, tb)))
        t1 = np.where(outside, -1.0, t1)
    return t0, t1
