"""Rendered frame -> per-instance masks, with the visibility and size filters.

An instance mask is the set of pixels whose centre ray hits one of the defect's faces on the
part (exact ids from the 1-sample id render). Instances smaller than `min_area` pixels, or
whose RGB barely differs from the surface around them (`min_contrast` grey levels), are
dropped and counted: a defect the eye cannot see must not be labelled.
"""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import OpenEXR


@dataclass
class Instance:
    id: int
    category: str
    mask: np.ndarray  # bool (H, W)
    contrast: float


def read_id_passes(exr_path: Path, channels: dict) -> tuple[np.ndarray, np.ndarray]:
    """(defect id per pixel as int32, object index per pixel as int32)."""
    with OpenEXR.File(str(exr_path)) as f:
        ch = f.parts[0].channels
        defect = ch[channels["defect"]].pixels
        obj = ch[channels["object"]].pixels
    for name, a in (("defect", defect), ("object", obj)):
        if np.abs(a - np.round(a)).max() > 1e-3:
            raise ValueError(f"{exr_path}: {name} id pass is blended (non-integer values); ids must be exact")
    return np.round(defect).astype(np.int32), np.round(obj).astype(np.int32)


def compute_contrast(gray: np.ndarray, mask: np.ndarray) -> float:
    """How much the image differs inside the mask from the surface it interrupts (grey levels).

    The defect-free surface is estimated by inpainting the (slightly grown) mask from its
    surroundings; the score is the 90th percentile of |image - estimate| inside the mask (a
    thin scratch is often a 1 px line of light inside a wider groove mask: it must count).
    """
    ys, xs = np.nonzero(mask)
    pad = 4 + int(np.sqrt(len(ys)) // 2)
    y0, y1 = max(0, ys.min() - pad), min(gray.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(gray.shape[1], xs.max() + pad + 1)
    crop = gray[y0:y1, x0:x1]
    m = mask[y0:y1, x0:x1].astype(np.uint8)
    grown = cv2.dilate(m, np.ones((5, 5), np.uint8))
    background = cv2.inpaint(crop, grown, 3, cv2.INPAINT_TELEA)
    diff = np.abs(crop.astype(np.float32) - background.astype(np.float32))[m > 0]
    return float(np.percentile(diff, 90))


def compute_instances(frame_dir: Path, image: np.ndarray, min_area: int,
                      min_contrast: float) -> tuple[list[Instance], Counter]:
    """Masks of the frame's visible instances; image is its rendered BGR image (rgb.png)."""
    frame_dir = Path(frame_dir)
    manifest = json.loads((frame_dir / "manifest.json").read_text(encoding="utf-8"))
    defect, obj = read_id_passes(frame_dir / manifest["files"]["ids"], manifest["id_channels"])
    on_part = obj == manifest["part_pass_index"]
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    kept, dropped = [], Counter()
    for inst in manifest["instances"]:
        mask = (defect == inst["id"]) & on_part
        area = int(mask.sum())
        if area == 0:
            dropped["not_in_view"] += 1
        elif area < min_area:
            dropped["too_small"] += 1
        else:
            contrast = compute_contrast(gray, mask)
            if contrast < min_contrast:
                dropped["low_contrast"] += 1
            else:
                kept.append(Instance(inst["id"], inst["category"], mask, contrast))
    return kept, dropped
