"""Camera sensor effects, applied on the Python side to the rendered image, seeded by the frame.

Blender renders a clean image; real inspection cameras add optics blur, vignetting, read and
shot noise and JPEG compression. They are applied here, deterministically from the values in
the frame spec (render.sampling.scene.sample_sensor draws them), so a frame's look can be changed without
re-rendering and the same spec gives the same bytes. Masks are unchanged: they say where each
defect is, not how sharp it looks.
"""

import cv2
import numpy as np

from render.spec import Sensor


def apply_optics(image: np.ndarray, s: Sensor) -> np.ndarray:
    """Lens blur (Gaussian sigma in px) and vignetting (darkening at the corners), uint8 BGR."""
    out = image.astype(np.float32)
    if s.blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), s.blur)
    if s.vignetting > 0:
        h, w = out.shape[:2]
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        r2 = ((x - (w - 1) / 2) ** 2 + (y - (h - 1) / 2) ** 2) / (((w - 1) / 2) ** 2 + ((h - 1) / 2) ** 2)
        out *= (1 - s.vignetting * r2)[..., None]  # cos^4-like falloff, 1 - v at the corners
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def apply_noise(image: np.ndarray, s: Sensor, grayscale: bool) -> np.ndarray:
    """Read noise (std in grey levels), shot noise (std at white, scaling with sqrt(signal)) and
    JPEG compression (quality < 100), uint8 BGR. A mono camera's noise is the same in the three
    channels."""
    if s.noise <= 0 and s.shot_noise <= 0 and s.jpeg_quality >= 100:
        return image
    rng = np.random.default_rng(s.seed)
    out = image.astype(np.float32)
    shape = out.shape[:2] + ((1,) if grayscale else (out.shape[2],))
    sigma = np.sqrt(s.noise**2 + s.shot_noise**2 * out / 255.0)
    out = out + rng.standard_normal(shape, dtype=np.float32) * sigma
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if s.jpeg_quality < 100:  # a mono camera's JPEG has one channel
        ok, buf = cv2.imencode(".jpg", out[..., 0] if grayscale else out, [cv2.IMWRITE_JPEG_QUALITY, s.jpeg_quality])
        out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out
