"""The flat-shaded rest of a built-in part, from rings of points on its surface's boundary."""

import numpy as np


def fan(ring: np.ndarray, center: np.ndarray, outward: np.ndarray):
    """Flat polygon: triangles from a centre point over a closed ring of 3D points."""
    verts = np.vstack([ring, center[None]])
    n = len(ring)
    c = n
    faces = np.column_stack([np.arange(n), np.roll(np.arange(n), -1), np.full(n, c)])
    return verts, orient(verts, faces, lambda fc: np.broadcast_to(outward, fc.shape))


def orient(verts: np.ndarray, faces: np.ndarray, outward_of) -> np.ndarray:
    """Flip faces whose normal does not point along outward_of(face centroids)."""
    tri = verts[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    flip = np.einsum("ij,ij->i", normal, outward_of(tri.mean(axis=1))) < 0
    faces = faces.copy()
    faces[flip] = faces[flip][:, ::-1]
    return faces


def wall(top: np.ndarray, bottom: np.ndarray, center: np.ndarray):
    """Quads (as triangle pairs) between two closed rings of equal length."""
    n = len(top)
    verts = np.vstack([top, bottom])
    a = np.arange(n)
    b = np.roll(a, -1)
    faces = np.vstack([np.column_stack([a, b, n + b]), np.column_stack([a, n + b, n + a])])
    return verts, orient(verts, faces, lambda fc: (fc - center) * [1.0, 1.0, 0.0])


def zip_rings(inner: np.ndarray, outer: np.ndarray, down: bool):
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
    return verts, orient(verts, np.array(faces), lambda fc: np.broadcast_to(normal, fc.shape))
