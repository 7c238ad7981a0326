"""Image quality of rendered frames against a reference render of the same frame spec.

Used by bench/render_quality.py and the tests to show that cheaper render settings keep the
image: PSNR over the whole frame and inside the defects (their id-pass footprint, dilated, since
a defect's look spills over its edge: a dent's shading, a scratch's highlight).
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import binary_dilation

from render.frames import frame_dir
from render.postprocess import read_id_passes
from render.spec import MANIFEST_FILE

DEFECT_DILATION_PX = 4
# each preset's render settings before the light tree was turned off: what a change of the
# presets is measured against (bench/render_quality.py, tests/test_render_quality.py)
BEFORE = {
    "preview": {"samples": 16, "adaptive_threshold": 0.05, "denoise_quality": "balanced", "light_tree": True},
    "final": {"samples": 64, "adaptive_threshold": 0.01, "denoise_quality": "high", "light_tree": True},
}
# the reference a frame is compared with: the settings before, at 1024 samples per pixel
REFERENCE = {"samples": 1024, "adaptive_threshold": 0.005, "denoise_quality": "high"}


def psnr(image: np.ndarray, reference: np.ndarray, where: np.ndarray | None = None) -> float:
    """Peak signal-to-noise ratio in dB of 8-bit images (over the pixels `where` is True)."""
    err = (image.astype(np.float64) - reference.astype(np.float64)) ** 2
    if where is not None:
        err = err[where]
    mse = float(err.mean())
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def read_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def frame_ids(directory: Path) -> np.ndarray:
    """The defect id of every pixel of a rendered frame (0: no defect)."""
    manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
    return read_id_passes(directory / manifest["files"]["ids"], manifest["id_channels"])[0]


@dataclass
class FrameQuality:
    frame: int
    psnr: float  # whole frame, dB
    psnr_defects: float  # inside the dilated defect footprints (nan: the frame shows none)
    defect_px: int


def compare_frames(root: Path, reference_root: Path, indices: list[int]) -> list[FrameQuality]:
    """PSNR of each frame under root/frames against the same frame under reference_root/frames;
    the defect region comes from the reference's id pass."""
    out = []
    for i in indices:
        image, ref = read_rgb(frame_dir(root, i) / "rgb.png"), read_rgb(frame_dir(reference_root, i) / "rgb.png")
        region = binary_dilation(frame_ids(frame_dir(reference_root, i)) > 0, iterations=DEFECT_DILATION_PX)
        out.append(FrameQuality(i, psnr(image, ref), psnr(image, ref, region) if region.any() else float("nan"),
                                int(region.sum())))
    return out
