"""A user's mesh file (STL, OBJ, PLY, GLB/glTF, OFF), read and checked once.

trimesh reads the file as one mesh; it must be non-empty, finite and at most MAX_FACES faces.
It is rotated so the chosen axis points up, centred on the z axis, scaled so its longest side
is 1 (each frame scales it to its sampled size) and stood on z = 0. Vertices are split along
edges sharper than SHARP_DEG, so smooth shading keeps CAD edges crisp.
"""

import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from render.errors import UserError

SUFFIXES = (".stl", ".obj", ".ply", ".glb", ".gltf", ".off")
MAX_FACES = 2_000_000
SHARP_DEG = 30.0  # edges between faces at a larger angle stay sharp (vertices split there)
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
    edge_keys: np.ndarray  # (3F,) sorted, one per face edge (see edge_keys): who owns an edge
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
        edge_keys=np.sort(edge_keys(half_edges(np.asarray(smooth.faces)), len(smooth.vertices))),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def half_edges(faces: np.ndarray) -> np.ndarray:
    """(3F, 2) directed edges of the faces, in winding order."""
    return np.stack([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]], 1).reshape(-1, 2)


def edge_keys(edges: np.ndarray, n_vertices: int) -> np.ndarray:
    """One integer per undirected edge."""
    e = np.sort(edges, axis=1)
    return e[:, 0] * (n_vertices + 1) + e[:, 1]


def boundary_edges(faces: np.ndarray) -> np.ndarray:
    """Directed edges that only one of the faces has."""
    e = half_edges(faces)
    _, inverse, count = np.unique(edge_keys(e, int(faces.max()) + 1), return_inverse=True, return_counts=True)
    return e[count[inverse.ravel()] == 1]
