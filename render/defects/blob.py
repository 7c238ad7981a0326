"""Irregular blobs (stains, chips, uneven patches) and band-limited noise on them."""

import math
from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectType


def sample_outline(rng, irregularity: float) -> dict:
    """Wobble amplitudes and phases of a blob's outline (its 2nd..5th harmonics)."""
    return {"wobble": rng.uniform(0, irregularity, 4).tolist(), "phases": rng.uniform(0, 2 * math.pi, 4).tolist()}


def sample_waves(rng, size: float, n: int = 12) -> list[list[float]]:
    """Plane waves [ku, kv, phase] with wavelengths around `size` (mm) in random directions."""
    k = 2 * math.pi / (size * rng.uniform(0.7, 1.4, n))
    a = rng.uniform(0, 2 * math.pi, n)
    return np.column_stack([k * np.cos(a), k * np.sin(a), rng.uniform(0, 2 * math.pi, n)]).tolist()


def wave_noise(waves, uv: np.ndarray) -> np.ndarray:
    """Band-limited noise in about [-1, 1]: the sum of the plane waves at uv."""
    w = np.asarray(waves, dtype=float)
    if len(w) == 0:
        return np.zeros(len(uv))
    return np.sin(uv @ w[:, :2].T + w[:, 2]).sum(axis=1) * np.sqrt(2.0 / len(w))


def blob_s(b, uv: np.ndarray) -> np.ndarray:
    """Radius in units of the blob's wobbly outline (< 1 inside); b has center, radius,
    elongation, angle, wobble and phases."""
    rel = uv - np.asarray(b.center, dtype=float)
    theta = np.arctan2(rel[:, 1], rel[:, 0])
    wobble = np.ones(len(uv))
    for k, (a, ph) in enumerate(zip(b.wobble, b.phases, strict=True), start=2):
        wobble += a * np.sin(k * theta + ph) / k
    wobble = np.maximum(wobble, 0.2)  # a very irregular outline stays a closed blob around the centre
    c, s = np.cos(b.angle), np.sin(b.angle)
    x, y = rel[:, 0] * c + rel[:, 1] * s, -rel[:, 0] * s + rel[:, 1] * c
    r = np.sqrt((x / b.elongation) ** 2 + y**2)
    return r / (b.radius * wobble)


@dataclass(frozen=True)
class Blob(DefectType):
    """A defect shaped as an irregular blob: an ellipse whose outline wobbles."""

    center: tuple
    radius: float
    elongation: float
    angle: float
    wobble: tuple
    phases: tuple

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        r = self.radius * max(self.elongation, 1) * (1 + sum(self.wobble))
        c = np.asarray(self.center, dtype=float)
        return c - r, c + r


def blob_grid(b, spacing: float) -> np.ndarray:
    """Grid points over the blob (a little beyond its outline), `spacing` apart."""
    lo, hi = b.bbox()
    n = np.minimum(np.ceil((hi - lo) / spacing).astype(int) + 1, 400)
    g = np.stack(np.meshgrid(np.linspace(lo[0], hi[0], n[0]), np.linspace(lo[1], hi[1], n[1])), -1).reshape(-1, 2)
    return g[blob_s(b, g) <= 1.05]
