"""Irregular blobs (stains, chips, uneven patches) and band-limited noise on them."""

import colorsys
import math
from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe, DefectType
from render.ranges import Range, uniform


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


class TexturedRecipe(DefectRecipe):
    """A blob whose look is its own: a colour over the surface's, and patches inside it."""

    tint: Range(0, 1) = (0.0, 0.0)  # weight of its own colour over the surface's (0: only darker)
    tint_hue: Range(0, 1) = (0.02, 0.08)  # its colour, HSV (default: rust)
    tint_saturation: Range(0, 1) = (0.5, 0.9)
    tint_value: Range(0, 1) = (0.08, 0.3)
    mottle: Range(0, 1) = (0.0, 0.0)  # patchiness: darkening, colour and outline vary inside it
    mottle_size: Range(0.01, 100) = (0.3, 1.5)  # mm, size of the patches


def sample_texture(rng, r: TexturedRecipe) -> dict:
    """Tint and mottle values; drawn only where the recipe turns them on, so a recipe without them
    draws exactly what it drew before they existed."""
    out = {}
    if r.tint[1] > 0:
        rgb = colorsys.hsv_to_rgb(uniform(rng, r.tint_hue), uniform(rng, r.tint_saturation), uniform(rng, r.tint_value))
        out.update(tint=uniform(rng, r.tint), tint_color=[float(c) for c in rgb])
    if r.mottle[1] > 0:
        out.update(mottle=uniform(rng, r.mottle), mottle_waves=sample_waves(rng, uniform(rng, r.mottle_size), 16))
    return out


MOTTLE_EDGE = 0.12  # how far mottling moves the outline, as a fraction of the radius (the inside stays whole)


class Textured:
    """Methods of a Blob with the fields tint, tint_color, mottle, mottle_waves and darken."""

    def _mottle_noise(self, uv: np.ndarray) -> np.ndarray:
        return np.clip(wave_noise(self.mottle_waves, uv), -1.5, 1.5) if self.mottle else np.zeros(len(uv))

    def outline(self, uv: np.ndarray) -> np.ndarray:
        """blob_s at which the outline lies: 1, or ragged where the look is mottled."""
        return 1 + MOTTLE_EDGE * self.mottle * self._mottle_noise(uv)

    def face_look(self, uv: np.ndarray):
        """Even values on the faces; the shader's noise at the patches' size makes them patchy
        (per-face values would show the triangles)."""
        n = len(uv)
        tint = np.tile([*self.tint_color, self.tint], (n, 1)) if self.tint else None
        mottle = np.tile([self.mottle, 1 / self.mottle_size()], (n, 1)) if self.mottle else None
        return np.full(n, self.darken), tint, mottle

    def mottle_size(self) -> float:
        """mm: the wavelength of the patches."""
        return 2 * math.pi / float(np.linalg.norm(np.asarray(self.mottle_waves)[:, :2], axis=1).mean())

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = Blob.bbox(self)
        if not self.mottle:
            return lo, hi
        c, grow = (lo + hi) / 2, 1 + 1.5 * MOTTLE_EDGE * self.mottle
        return c + (lo - c) * grow, c + (hi - c) * grow

    def mottle_spacing(self, spacing: float) -> float:
        """Mesh spacing that resolves the ragged outline."""
        return min(spacing, self.mottle_size() / 4) if self.mottle else spacing
