"""Grooves and ridges along a polyline (scratches, cracks, burrs): distance to the curve and the
fade of their depth towards its ends."""

import numpy as np
from scipy.spatial import cKDTree

CURVE_POINTS = 24  # points of a sampled curve
END_TAPER = 0.15  # fraction of a curve's length over which its depth fades in and out


def resample(points: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Polyline resampled at about `step`; returns points and their arc length fraction t."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(2, int(np.ceil(s[-1] / step)) + 1)
    si = np.linspace(0.0, s[-1], n)
    out = np.column_stack([np.interp(si, s, points[:, 0]), np.interp(si, s, points[:, 1])])
    return out, si / max(s[-1], 1e-12)


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def curve_local(points, width: float, uv: np.ndarray, taper_len: float = END_TAPER):
    """Distance to the curve, and the taper (0..1) at the nearest curve point."""
    curve, t = resample(np.asarray(points, dtype=float), width / 8)
    dist, idx = cKDTree(curve).query(uv)
    # exact distance to the two segments around the nearest sample
    best = dist.copy()
    tt = t[idx]
    for j in (-1, 1):
        k0 = np.clip(idx + min(j, 0), 0, len(curve) - 2)
        a, b = curve[k0], curve[k0 + 1]
        ab = b - a
        w = np.clip(np.einsum("ij,ij->i", uv - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-18), 0, 1)
        dd = np.linalg.norm(uv - (a + w[:, None] * ab), axis=1)
        closer = dd < best
        best = np.where(closer, dd, best)
        tt = np.where(closer, t[k0] + w * (t[k0 + 1] - t[k0]), tt)
    # depth fades in and out at the ends (points beyond an end project to t = 0 or 1: no groove)
    taper = smoothstep(tt / taper_len) * smoothstep((1 - tt) / taper_len)
    return best, taper
