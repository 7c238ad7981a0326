"""Built-in parts as parametric surfaces.

Each part has one defect-carrying surface, parametrised by (u, v) in millimetres of surface
length, so defects are laid out in a flat 2D domain and displaced along the surface normal:
- plate: the top face, u along x, v along y; the part stands on z = 0;
- tile: a curved tile (magnetic tile, shell segment): the convex top, u = arc length across the
  axis, v along the axis (y); edges at height `thickness`, the crown higher;
- cylinder: the lateral surface, u = arc length from the seam, v = height;
- ring: the top face of a washer, u = arc length around the mid circle from the seam, v = radial
  distance inward from the outer edge;
- dome: a spherical cap on its flat base, u = arc length around the base circle from the seam,
  v = meridian arc length from the base towards the pole (which is closed by a tiny cap);
- mesh: a user's mesh; the surface is a square `patch` mm wide in the tangent plane of an
  anchor point the camera sees, lifted onto the mesh (render.geometry.user_mesh).
For every part cross(dP/du, dP/dv) points out of the material, so a counter-clockwise (u, v)
triangle faces outwards. The rest of the part (walls, caps, bottom) is built flat-shaded from
the surface's boundary.
"""

import math

import numpy as np

from render.geometry import user_mesh

DOME_POLE = 0.03  # rad: the dome's surface stops this short of the pole (a tiny flat cap)


def faces_up(part: dict) -> bool:
    """True when the defect surface faces up (plate, tile, ring, dome), False when sideways (cylinder)."""
    return part["type"] != "cylinder"


def _tile_half_angle(part: dict) -> float:
    return part["width"] / (2 * part["radius"])


def _dome_base_angle(part: dict) -> float:
    """Polar angle of the dome's base circle (pi/2 for a hemisphere)."""
    return math.acos(1 - part["height"])


def surface_extent(part: dict) -> tuple[float, float]:
    t = part["type"]
    if t == "mesh":
        return part["patch"], part["patch"]
    if t in ("plate", "tile"):
        return part["width"], part["length"]
    if t == "cylinder":
        return 2 * math.pi * part["radius"], part["height"]
    if t == "ring":
        return 2 * math.pi * (part["outer_radius"] - part["width"] / 2), part["width"]
    if t == "dome":
        a = _dome_base_angle(part)
        return 2 * math.pi * part["radius"] * math.sin(a), part["radius"] * (a - DOME_POLE)
    raise ValueError(f"unknown part type {t!r}")


def is_periodic_u(part: dict) -> bool:
    return part["type"] in ("cylinder", "ring", "dome")


def bounding_radius(part: dict) -> float:
    """Radius of the sphere around part_center() that holds the part."""
    t = part["type"]
    if t == "mesh":
        return 0.5 * part["size"] * float(np.linalg.norm(user_mesh.unit_mesh(part).extents))
    if t == "plate":
        return 0.5 * math.sqrt(part["width"] ** 2 + part["length"] ** 2 + part["thickness"] ** 2)
    if t == "tile":
        crown = part["radius"] * (1 - math.cos(_tile_half_angle(part)))
        return 0.5 * math.sqrt(part["width"] ** 2 + part["length"] ** 2 + (part["thickness"] + crown) ** 2)
    if t == "ring":
        return math.sqrt(part["outer_radius"] ** 2 + (part["thickness"] / 2) ** 2)
    if t == "dome":
        base = part["radius"] * math.sin(_dome_base_angle(part))
        return math.sqrt(base**2 + (part["radius"] * part["height"] / 2) ** 2)
    return math.sqrt(part["radius"] ** 2 + (part["height"] / 2) ** 2)


def top_height(part: dict) -> float:
    """Height of the highest point of the part (it stands on z = 0)."""
    t = part["type"]
    if t == "mesh":
        return part["size"] * float(user_mesh.unit_mesh(part).extents[2])
    if t in ("plate", "ring"):
        return part["thickness"]
    if t == "tile":
        return part["thickness"] + part["radius"] * (1 - math.cos(_tile_half_angle(part)))
    if t == "dome":
        return part["radius"] * part["height"]
    return part["height"]


def part_center(part: dict) -> np.ndarray:
    return np.array([0.0, 0.0, top_height(part) / 2])


def look_span(part: dict) -> tuple[float, float]:
    """x, y extent over which a close-up may move its look-at point (parts facing up)."""
    if part["type"] in ("plate", "tile"):
        return surface_extent(part)
    if part["type"] == "mesh":
        ex = part["size"] * user_mesh.unit_mesh(part).extents
        return float(ex[0]), float(ex[1])
    r = part["outer_radius"] if part["type"] == "ring" else part["radius"] * math.sin(_dome_base_angle(part))
    return 2 * r, 2 * r


def surface_points(part: dict, uv: np.ndarray, height: np.ndarray | float = 0.0) -> np.ndarray:
    """3D points of the surface at (u, v), moved `height` mm along the outward normal."""
    u, v = uv[:, 0], uv[:, 1]
    h = np.broadcast_to(np.asarray(height, dtype=float), u.shape)
    if part["type"] == "mesh":
        return user_mesh.chart(part).lift(uv, h)[0]
    if part["type"] == "plate":
        return np.column_stack([u - part["width"] / 2, v - part["length"] / 2, part["thickness"] + h])
    if part["type"] == "tile":
        a = _tile_half_angle(part)
        theta = u / part["radius"] - a
        r = part["radius"] + h
        axis_z = part["thickness"] - part["radius"] * math.cos(a)
        return np.column_stack([r * np.sin(theta), v - part["length"] / 2, axis_z + r * np.cos(theta)])
    if part["type"] == "ring":
        r_mid = part["outer_radius"] - part["width"] / 2
        theta = part["seam_angle"] + u / r_mid
        r = part["outer_radius"] - v
        return np.column_stack([r * np.cos(theta), r * np.sin(theta), part["thickness"] + h])
    if part["type"] == "dome":
        R, a = part["radius"], _dome_base_angle(part)
        theta = part["seam_angle"] + u / (R * math.sin(a))
        phi = a - v / R
        r = R + h
        center_z = R * (part["height"] - 1)
        return np.column_stack([r * np.sin(phi) * np.cos(theta), r * np.sin(phi) * np.sin(theta),
                                center_z + r * np.cos(phi)])
    theta = part["seam_angle"] + u / part["radius"]
    r = part["radius"] + h
    return np.column_stack([r * np.cos(theta), r * np.sin(theta), v])


def surface_grid(part: dict, n: int) -> np.ndarray:
    """(n * n, 2) cell centres of an n x n grid over the surface domain."""
    U, V = surface_extent(part)
    t = (np.arange(n) + 0.5) / n
    return np.stack(np.meshgrid(t * U, t * V, indexing="ij"), -1).reshape(-1, 2)


def surface_valid(part: dict, uv: np.ndarray) -> np.ndarray:
    """Which (u, v) points may carry defects: all but those in holes, and for a mesh's patch
    only where its chart is."""
    if part["type"] == "mesh":
        return user_mesh.chart(part).contains(uv)
    return ~in_hole(part, uv, 1.0)  # not in a hole, nor on or right by its wall


def groove_lines(part: dict) -> list[tuple[int, float, float]]:
    """Machined grooves of the part (threads on a shaft): (k, position, width) per groove, where
    the groove is the band |uv[:, k] - position - groove_offset(...)| < width / 2 across the surface;
    a helical groove (a thread's `lead` > 0) climbs `lead` mm in v per turn around u."""
    g = part.get("grooves")
    if not g:
        return []
    k = 1 if g["axis"] == "u" else 0  # a groove along u sits at a fixed v
    return [(k, pos, g["width"]) for pos in g["positions"]]


def groove_offset(part: dict, along: np.ndarray) -> np.ndarray:
    """How far a groove's centre line has climbed at `along` (0 but for a helical thread)."""
    lead = part.get("grooves", {}).get("lead", 0.0)
    return lead * np.asarray(along) / surface_extent(part)[0]


def groove_height(part: dict, uv: np.ndarray) -> np.ndarray:
    """Displacement of the part's grooves and holes (zero where there are none)."""
    h = np.zeros(len(uv))
    g = part.get("grooves")
    for k, pos, width in groove_lines(part):
        s = np.abs(uv[:, k] - pos - groove_offset(part, uv[:, 1 - k])) / (width / 2)
        inside = s < 1
        shape = {"v": 1 - s, "u": np.sqrt(np.clip(1 - s * s, 0, 1)), "flat": np.clip((1 - s) / 0.2, 0, 1)}
        h = np.minimum(h, np.where(inside, -g["depth"] * shape[g["profile"]], 0.0))
    for hole in part.get("holes", []):
        t = np.clip(0.5 - hole_distance(hole, uv) / hole["wall"], 0, 1)
        h = np.minimum(h, -hole["depth"] * t * t * (3 - 2 * t))  # smoothstep down the wall
    return h


def hole_distance(hole: dict, uv: np.ndarray) -> np.ndarray:
    """Signed distance (mm, < 0 inside) to a rounded-rectangle hole's outline (a circle when
    its sides are equal and the corner radius is half a side)."""
    half = np.asarray(hole["size"]) / 2
    r = hole["corner"]
    q = np.abs(uv - hole["center"]) - (half - r)
    return np.linalg.norm(np.maximum(q, 0), axis=1) + np.minimum(q.max(1), 0) - r


def in_hole(part: dict, uv: np.ndarray, walls: float = 0.0) -> np.ndarray:
    """Points inside a hole's outline grown by `walls` x its wall width (0: the floor side of
    the wall's midline; 0.5: the whole wall; 1: with a margin)."""
    inside = np.zeros(len(uv), bool)
    for hole in part.get("holes", []):
        inside |= hole_distance(hole, uv) < walls * hole["wall"]
    return inside


def hole_outline(hole: dict, step: float) -> np.ndarray:
    """Points along a hole's outline, about `step` apart."""
    half = np.asarray(hole["size"]) / 2
    r = hole["corner"]
    # rays from the centre, bisected out to the outline (a rounded rectangle is star-shaped);
    # more rays for a long one, whose long sides they cross at a slant
    n = max(16, int(np.ceil(2 * np.pi * max(half) / step * max(half) / max(min(half), 1e-9))))
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    d = np.column_stack([np.cos(a), np.sin(a)])
    lo, hi = np.zeros(n), np.full(n, float(np.linalg.norm(half)) + r + 1)
    for _ in range(30):
        mid = (lo + hi) / 2
        out = hole_distance(hole, hole["center"] + d * mid[:, None]) > 0
        hi = np.where(out, mid, hi)
        lo = np.where(out, lo, mid)
    return np.asarray(hole["center"]) + d * lo[:, None]


def groove_refinement(part: dict, across: float) -> list[tuple[np.ndarray, float, float]]:
    """Refinement features (skeleton, core radius, spacing) of grooves and hole walls."""
    U, V = surface_extent(part)
    out = []
    for k, pos, width in groove_lines(part):
        length = U if k == 1 else V
        t = np.linspace(0, length, max(2, int(np.ceil(length / (width / 4)))))
        c = pos + groove_offset(part, t)
        edges = np.vstack([np.column_stack([t, c + o]) for o in (-width / 2, 0.0, width / 2)])
        out.append((edges if k == 1 else edges[:, ::-1], width / 2, width / across))
    for hole in part.get("holes", []):
        w = hole["wall"]
        out.append((hole_outline(hole, w / 2), w, w / 2))
    return out


def surface_normals(part: dict, uv: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    """Unit outward normals of the undisplaced surface at (u, v), by finite differences."""
    if part["type"] == "mesh":
        return user_mesh.chart(part).lift(uv)[1]
    du, dv = np.array([eps, 0.0]), np.array([0.0, eps])
    tu = surface_points(part, uv + du) - surface_points(part, uv - du)
    tv = surface_points(part, uv + dv) - surface_points(part, uv - dv)
    n = np.cross(tu, tv)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


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


def _zip(inner: np.ndarray, outer: np.ndarray, down: bool):
    """Flat band between two concentric closed rings (any lengths) in a plane z = const."""
    ai = np.arctan2(inner[:, 1], inner[:, 0])
    ao = np.arctan2(outer[:, 1], outer[:, 0])
    inner, outer = inner[np.argsort(ai)], outer[np.argsort(ao)]
    ai, ao = np.sort(ai), np.sort(ao)
    n, m = len(inner), len(outer)
    faces, i, j = [], 0, 0
    while i < n or j < m:  # walk both rings by angle; each step closes one triangle
        a_next_i = ai[(i + 1) % n] + (2 * np.pi if i + 1 >= n else 0)
        a_next_j = ao[(j + 1) % m] + (2 * np.pi if j + 1 >= m else 0)
        if j >= m or (i < n and a_next_i <= a_next_j):
            faces.append([i % n, (i + 1) % n, n + j % m])
            i += 1
        else:
            faces.append([i % n, n + (j + 1) % m, n + j % m])
            j += 1
    verts = np.vstack([inner, outer])
    normal = np.array([0.0, 0.0, -1.0 if down else 1.0])
    return verts, _orient(verts, np.array(faces), lambda fc: np.broadcast_to(normal, fc.shape))


def build_body(part: dict, boundary_rings: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The flat-shaded rest of the part, as (vertices, faces) pieces.

    boundary_rings: closed, ordered rings of 3D points on the surface's boundary (plate, tile:
    one ring around the top face, walled down to the table; periodic parts: the ring at v = 0
    and the ring at v = V).
    """
    t = part["type"]
    if t in ("plate", "tile"):
        (top,) = boundary_rings
        bottom = top.copy()
        bottom[:, 2] = 0.0
        center = np.zeros(3)
        return [_wall(top, bottom, center), _fan(bottom, center, np.array([0, 0, -1.0]))]
    first, last = boundary_rings
    if t == "ring":  # v = 0 is the outer edge, v = V the inner one
        outer_bottom, inner_bottom = first.copy(), last.copy()
        outer_bottom[:, 2] = inner_bottom[:, 2] = 0.0
        center = np.zeros(3)
        inner_verts, inner_faces = _wall(last, inner_bottom, center)
        return [_wall(first, outer_bottom, center), (inner_verts, inner_faces[:, ::-1]),
                _zip(inner_bottom, outer_bottom, down=True)]
    if t == "dome":  # v = 0 is the base circle on the table, v = V the small circle at the pole
        pole = np.array([0.0, 0.0, top_height(part)])
        return [_fan(first, np.zeros(3), np.array([0, 0, -1.0])), _fan(last, pole, np.array([0, 0, 1.0]))]
    h = part["height"]
    return [
        _fan(last, np.array([0, 0, h]), np.array([0, 0, 1.0])),
        _fan(first, np.zeros(3), np.array([0, 0, -1.0])),
    ]
