"""Built-in parts as parametric surfaces.

Each part has one defect-carrying surface, parametrised by (u, v) in millimetres of surface
length, so defects are laid out in a flat 2D domain and displaced along the surface normal:
- plate: the top face, u along x, v along y; the part stands on z = 0;
- tile: a curved tile (magnetic tile, shell segment): the convex top, u = arc length across the
  axis, v along the axis (y); edges at height `thickness`, the crown higher;
- cylinder: the lateral surface, u = arc length from the seam, v = height.
The rest of the part (walls, caps, bottom) is built flat-shaded from the surface's boundary.
"""

import math

import numpy as np


def faces_up(part: dict) -> bool:
    """True when the defect surface faces up (plate, tile), False when sideways (cylinder)."""
    return part["type"] in ("plate", "tile")


def _tile_half_angle(part: dict) -> float:
    return part["width"] / (2 * part["radius"])


def surface_extent(part: dict) -> tuple[float, float]:
    if part["type"] in ("plate", "tile"):
        return part["width"], part["length"]
    if part["type"] == "cylinder":
        return 2 * math.pi * part["radius"], part["height"]
    raise ValueError(f"unknown part type {part['type']!r}")


def is_periodic_u(part: dict) -> bool:
    return part["type"] == "cylinder"


def bounding_radius(part: dict) -> float:
    """Radius of the sphere around part_center() that holds the part."""
    if part["type"] == "plate":
        return 0.5 * math.sqrt(part["width"] ** 2 + part["length"] ** 2 + part["thickness"] ** 2)
    if part["type"] == "tile":
        crown = part["radius"] * (1 - math.cos(_tile_half_angle(part)))
        return 0.5 * math.sqrt(part["width"] ** 2 + part["length"] ** 2 + (part["thickness"] + crown) ** 2)
    return math.sqrt(part["radius"] ** 2 + (part["height"] / 2) ** 2)


def part_center(part: dict) -> np.ndarray:
    if part["type"] == "plate":
        return np.array([0.0, 0.0, part["thickness"] / 2])
    if part["type"] == "tile":
        crown = part["radius"] * (1 - math.cos(_tile_half_angle(part)))
        return np.array([0.0, 0.0, (part["thickness"] + crown) / 2])
    return np.array([0.0, 0.0, part["height"] / 2])


def surface_points(part: dict, uv: np.ndarray, height: np.ndarray | float = 0.0) -> np.ndarray:
    """3D points of the surface at (u, v), moved `height` mm along the outward normal."""
    u, v = uv[:, 0], uv[:, 1]
    h = np.broadcast_to(np.asarray(height, dtype=float), u.shape)
    if part["type"] == "plate":
        return np.column_stack([u - part["width"] / 2, v - part["length"] / 2, part["thickness"] + h])
    if part["type"] == "tile":
        a = _tile_half_angle(part)
        theta = u / part["radius"] - a
        r = part["radius"] + h
        axis_z = part["thickness"] - part["radius"] * math.cos(a)
        return np.column_stack([r * np.sin(theta), v - part["length"] / 2, axis_z + r * np.cos(theta)])
    theta = part["seam_angle"] + u / part["radius"]
    r = part["radius"] + h
    return np.column_stack([r * np.cos(theta), r * np.sin(theta), v])


def uv_of_azimuth(part: dict, azimuth: float) -> float:
    """u of the cylinder line facing a viewer at `azimuth` (radians)."""
    return ((azimuth - part["seam_angle"]) % (2 * math.pi)) * part["radius"]


def _fan(ring: np.ndarray, center: np.ndarray, outward: np.ndarray):
    """Flat polygon: triangles from a centre point over a closed ring of 3D points."""
    verts = np.vstack([ring, center[None]])
    n = len(ring)
    c = n
    faces = np.column_stack([np.arange(n), np.roll(np.arange(n), -1), np.full(n, c)])
    return verts, _orient(verts, faces, lambda fc: np.broadcast_to(outward, fc.shape))


def _orient(verts: np.ndarray, faces: np.ndarray, outward_of) -> np.ndarray:
    """Flip faces whose normal does not point along outward_of(face centroids)."""
    tri = verts[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    flip = np.einsum("ij,ij->i", normal, outward_of(tri.mean(axis=1))) < 0
    faces = faces.copy()
    faces[flip] = faces[flip][:, ::-1]
    return faces


def _wall(top: np.ndarray, bottom: np.ndarray, center: np.ndarray):
    """Quads (as triangle pairs) between two closed rings of equal length."""
    n = len(top)
    verts = np.vstack([top, bottom])
    a = np.arange(n)
    b = np.roll(a, -1)
    faces = np.vstack([np.column_stack([a, b, n + b]), np.column_stack([a, n + b, n + a])])
    return verts, _orient(verts, faces, lambda fc: (fc - center) * [1.0, 1.0, 0.0])


def build_body(part: dict, boundary_rings: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The flat-shaded rest of the part, as (vertices, faces) pieces.

    boundary_rings: closed, ordered rings of 3D points on the surface's boundary (plate, tile:
    one ring around the top face, walled down to the table; cylinder: the bottom ring and the
    top ring).
    """
    if faces_up(part):
        (top,) = boundary_rings
        bottom = top.copy()
        bottom[:, 2] = 0.0
        center = np.zeros(3)
        return [_wall(top, bottom, center), _fan(bottom, center, np.array([0, 0, -1.0]))]
    bottom_ring, top_ring = boundary_rings
    h = part["height"]
    return [
        _fan(top_ring, np.array([0, 0, h]), np.array([0, 0, 1.0])),
        _fan(bottom_ring, np.zeros(3), np.array([0, 0, -1.0])),
    ]
