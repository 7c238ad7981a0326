"""Built-in parts: a parametric defect surface with machined grooves and holes, meshed with the
nested adaptive grid, and the flat-shaded rest of the part (walls, caps, bottom) built from the
surface's boundary."""

import abc

import numpy as np

from render.meshing import (
    PartMesh,
    adaptive_points,
    defect_features,
    defect_height,
    domain_ring,
    label_faces,
    triangulate,
    unique_rows,
)
from render.parts.base import Part
from render.parts.machining import groove_shape, hole_distance, hole_outline
from render.spec import MeshSettings

HOLE_DARKEN = 0.85  # how dark the floor of a button hole is drawn (it stands for the unlit inside)


class SurfacePart(Part):
    grooves = None  # machined grooves (Grooves), on the types that have a field of that name
    holes = ()  # button holes (Hole records), likewise

    @abc.abstractmethod
    def build_body(self, boundary_rings: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The flat-shaded rest of the part, as (vertices, faces) pieces.

        boundary_rings: closed, ordered rings of 3D points on the surface's boundary (one ring
        around the surface; for a part periodic in u, the rings at v = 0 and at v = V).
        """

    def surface_normals(self, uv: np.ndarray, eps: float = 1e-3) -> np.ndarray:
        """By finite differences of surface_points."""
        du, dv = np.array([eps, 0.0]), np.array([0.0, eps])
        tu = self.surface_points(uv + du) - self.surface_points(uv - du)
        tv = self.surface_points(uv + dv) - self.surface_points(uv - dv)
        n = np.cross(tu, tv)
        return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)

    def surface_valid(self, uv: np.ndarray) -> np.ndarray:
        """All but points in holes, on their walls or right by them."""
        return ~self.in_hole(uv, 1.0)

    def has_holes(self) -> bool:
        return bool(self.holes)

    # ---- machined grooves and holes ------------------------------------------------------
    def groove_lines(self) -> list[tuple[int, float, float]]:
        """(k, position, width) per groove: the groove is the band
        |uv[:, k] - position - groove_offset(uv[:, 1 - k])| < width / 2 across the surface."""
        g = self.grooves
        if not g:
            return []
        k = 1 if g.axis == "u" else 0  # a groove along u sits at a fixed v
        return [(k, pos, g.width) for pos in g.positions]

    def groove_offset(self, along) -> np.ndarray:
        """A helical groove (a thread's `lead` > 0) climbs `lead` mm in v per turn around u."""
        lead = self.grooves.lead if self.grooves else 0.0
        return lead * np.asarray(along) / self.surface_extent()[0]

    def groove_height(self, uv: np.ndarray) -> np.ndarray:
        """Displacement of the part's grooves and holes (zero where there are none)."""
        h = np.zeros(len(uv))
        for k, pos, width in self.groove_lines():
            s = np.abs(uv[:, k] - pos - self.groove_offset(uv[:, 1 - k])) / (width / 2)
            h = np.minimum(h, np.where(s < 1, -self.grooves.depth * groove_shape(self.grooves.profile, s), 0.0))
        for hole in self.holes:
            t = np.clip(0.5 - hole_distance(hole, uv) / hole.wall, 0, 1)
            h = np.minimum(h, -hole.depth * t * t * (3 - 2 * t))  # smoothstep down the wall
        return h

    def in_hole(self, uv: np.ndarray, walls: float = 0.0) -> np.ndarray:
        """Points inside a hole's outline grown by `walls` x its wall width (0: the floor side of
        the wall's midline; 0.5: the whole wall; 1: with a margin)."""
        inside = np.zeros(len(uv), bool)
        for hole in self.holes:
            inside |= hole_distance(hole, uv) < walls * hole.wall
        return inside

    def groove_refinement(self, across: float) -> list[tuple[np.ndarray, float, float]]:
        """Refinement features (skeleton, core radius, spacing) of grooves and hole walls."""
        U, V = self.surface_extent()
        out = []
        for k, pos, width in self.groove_lines():
            length = U if k == 1 else V
            t = np.linspace(0, length, max(2, int(np.ceil(length / (width / 4)))))
            c = pos + self.groove_offset(t)
            edges = np.vstack([np.column_stack([t, c + o]) for o in (-width / 2, 0.0, width / 2)])
            out.append((edges if k == 1 else edges[:, ::-1], width / 2, width / across))
        for hole in self.holes:
            w = hole.wall
            out.append((hole_outline(hole, w / 2), w, w / 2))
        return out

    # ---- edges -------------------------------------------------------------------------
    def domain_edges(self) -> list[tuple[int, float, list[float]]]:
        """Edges of the (u, v) domain: (coordinate index, value, inward normal); a periodic
        part's u has none (only its rims v = 0, V)."""
        U, V = self.surface_extent()
        edges = [(1, 0.0, [0.0, 1.0]), (1, V, [0.0, -1.0])]
        if not self.periodic_u:
            edges += [(0, 0.0, [1.0, 0.0]), (0, U, [-1.0, 0.0])]
        return edges

    def edge_anchor(self, rng, lo, hi) -> tuple[np.ndarray, np.ndarray, bool]:
        """Among the edges (and groove rims) that the seen region reaches (or the nearest one),
        one is drawn; the point is drawn along the part of it that is seen."""
        U, V = self.surface_extent()
        edges = self.domain_edges()
        n_part_edges = len(edges)
        for k, pos, width in self.groove_lines():  # the rims of machined grooves are edges too
            inward = np.eye(2)[k]
            edges += [(k, pos - width / 2, list(-inward)), (k, pos + width / 2, list(inward))]
        reach = 0.1 * max(U, V)
        near = [e for e in edges if lo[e[0]] - reach <= e[1] <= hi[e[0]] + reach]
        if not near:
            center = (lo + hi) / 2
            near = [min(edges, key=lambda e: abs(center[e[0]] - e[1]))]
        i = int(rng.integers(len(near)))
        k, value, normal = near[i]
        along = 1 - k
        point = np.zeros(2)
        a, b = lo[along], hi[along]
        if along == 0 and self.periodic_u:  # keep clear of the seam at u = 0 = U
            a, b = max(a, 0.08 * U), min(b, 0.92 * U)
        point[along] = rng.uniform(a, max(a, b))
        groove_rim = edges.index(near[i]) >= n_part_edges
        point[k] = value + (self.groove_offset(point[along]) if groove_rim else 0.0)  # a thread climbs
        return point, np.asarray(normal), groove_rim

    # ---- mesh --------------------------------------------------------------------------
    def build_mesh(self, defects, settings: MeshSettings) -> PartMesh:
        base_segments, across_groove, min_spacing = settings.base_segments, settings.across_groove, settings.min_spacing
        extent = self.surface_extent()
        features = [(skel, core, max(spacing, min_spacing))
                    for skel, core, spacing in self.groove_refinement(across_groove)]
        features += defect_features(defects, across_groove, min_spacing)
        uv, keys, scale, grid = adaptive_points(extent, max(extent) / base_segments, features)
        if self.periodic_u:
            # the seam's two sides get the same points (a thread's end refines only one side), so
            # the closed surface has no T-junction there
            U = grid[0] * scale
            seam = np.unique(keys[(keys[:, 0] == 0) | (keys[:, 0] == U), 1])
            keys = unique_rows(np.vstack([keys, np.column_stack([np.zeros_like(seam), seam]),
                                          np.column_stack([np.full_like(seam, U), seam])]))
            uv = keys * (np.array(extent) / np.array(grid) / scale)
        on_boundary = (keys == 0).any(1) | (keys[:, 0] == grid[0] * scale) | (keys[:, 1] == grid[1] * scale)
        faces = triangulate(uv, on_boundary)

        height = self.groove_height(uv) + defect_height(defects, uv)
        centroids = uv[faces].mean(axis=1)
        face_defect, face_darken, face_tint, face_mottle = label_faces(defects, centroids)
        # a button hole's wall and floor are never a defect; its inside is drawn dark
        in_hole = self.in_hole(centroids, 0.5)
        face_defect[in_hole] = 0
        face_darken[in_hole] = 0.0
        face_tint[in_hole] = 0.0
        face_mottle[in_hole] = 0.0
        face_darken[self.in_hole(centroids, 0.0)] = HOLE_DARKEN

        verts = self.surface_points(uv, height)
        if self.periodic_u:
            # close the seam: points at u = U are the points at u = 0
            k = keys.copy()
            k[k[:, 0] == grid[0] * scale, 0] = 0
            _, first, remap = np.unique(k[:, 0] * (k[:, 1].max() + 1) + k[:, 1], return_index=True,
                                        return_inverse=True)
            remap = remap.ravel()
            verts, uv_v, keys = verts[first], uv[first], k[first]
            faces = remap[faces]
            rings = []
            for j in (0, grid[1] * scale):
                on = np.nonzero(keys[:, 1] == j)[0]
                rings.append(verts[on[np.argsort(keys[on, 0])]])
        else:
            uv_v = uv
            rings = [verts[domain_ring(keys, grid, scale)]]

        pieces_v, pieces_f = [verts], [faces]
        offset = len(verts)
        for bv, bf in self.build_body(rings):
            pieces_v.append(bv)
            pieces_f.append(bf + offset)
            offset += len(bv)
        n_body = sum(len(f) for f in pieces_f[1:])
        all_v = np.vstack(pieces_v)
        face_paint = None
        painters = [d for d in defects if hasattr(d.shape, "face_paint")]
        if painters:  # defects that lay bare another material (a cut through insulation)
            face_paint = np.zeros((len(faces) + n_body, 6))
            for d in painters:
                on = np.nonzero(face_defect == d.id)[0]
                face_paint[on] = d.shape.face_paint(centroids[on])
        return PartMesh(
            vertices=all_v,
            faces=np.vstack(pieces_f),
            face_defect=np.concatenate([face_defect, np.zeros(n_body, dtype=np.int64)]),
            face_smooth=np.concatenate([np.ones(len(faces), bool), np.zeros(n_body, bool)]),
            face_darken=np.concatenate([face_darken, np.zeros(n_body)]),
            face_tint=np.vstack([face_tint, np.zeros((n_body, 4))]),
            face_mottle=np.vstack([face_mottle, np.zeros((n_body, 2))]),
            uv=np.vstack([uv_v, np.zeros((len(all_v) - len(uv_v), 2))]),
            face_paint=face_paint,
        )
