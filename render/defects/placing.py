"""Placing a shape inside the seen region of the surface."""

import numpy as np


def place(rng, shape_lo, shape_hi, lo, hi) -> np.ndarray:
    """Offset that puts a shape's bbox inside [lo, hi] (centred on the region if it cannot fit)."""
    free_lo, free_hi = lo - shape_lo, hi - shape_hi
    mid = (lo + hi) / 2 - (shape_lo + shape_hi) / 2
    return np.where(free_lo <= free_hi, rng.uniform(np.minimum(free_lo, free_hi), np.maximum(free_lo, free_hi)), mid)


def fit(rng, paths: list[np.ndarray], lo, hi) -> list[np.ndarray]:
    """Shrink (if needed) and move point sets together so their bbox lies in [lo, hi]."""
    allp = np.vstack(paths)
    extent = allp.max(0) - allp.min(0)
    shrink = min(1.0, float(np.min((hi - lo) / np.maximum(extent, 1e-9))))
    paths = [p * shrink for p in paths]
    allp = np.vstack(paths)
    off = place(rng, allp.min(0), allp.max(0), lo, hi)
    return [p + off for p in paths]
