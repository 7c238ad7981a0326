"""Rendered frame -> per-instance masks, with the visibility and size filters.

An instance mask is the set of pixels whose centre ray hits one of the defect's faces on the
part (exact ids from the 1-sample id render). Instances smaller than `min_area` pixels, or
whose colour barely differs from the surface around them (`min_contrast` levels of any channel),
are dropped and counted: a defect the eye cannot see must not be labelled, and one it can see
(a rust stain as bright as the paint around it) must not be dropped.
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


def compute_contrast(image: np.ndarray, mask: np.ndarray, defects: np.ndarray | None = None) -> float:
    """How much the image differs inside the mask from the surface it interrupts (levels of 8 bit).

    The defect-free surface is estimated by inpainting the (slightly grown) mask from its
    surroundings, leaving out the other defects among `defects` (all defect pixels) unless they
    surround it: a stain beside a scratch is not the surface the scratch interrupts, a stain under
    it is. The score is the 90th percentile of |image - estimate| inside the mask (a thin scratch
    is often a 1 px line of light inside a wider groove mask: it must count). In a colour image a
    pixel's difference is that of its most changed channel: a change of hue at equal brightness
    is seen too. A grey image, or a colour one with equal channels, scores the same.
    """
    ys, xs = np.nonzero(mask)
    pad = 4 + int(np.sqrt(len(ys)) // 2)
    y0, y1 = max(0, ys.min() - pad), min(image.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(image.shape[1], xs.max() + pad + 1)
    crop = np.ascontiguousarray(image[y0:y1, x0:x1])
    m = mask[y0:y1, x0:x1].astype(np.uint8)
    grown = cv2.dilate(m, np.ones((5, 5), np.uint8))
    if defects is not None:
        # with their soft edges (a stain fades out past its footprint); but a defect lying mostly
        # on another one (a scratch across a stain) interrupts that one: then it is the surface
        other = (defects[y0:y1, x0:x1] & (m == 0)).astype(np.uint8)
        ring = (grown > 0) & (m == 0)
        if (ring & (other > 0)).sum() < 0.5 * ring.sum():
            grown |= cv2.dilate(other, np.ones((7, 7), np.uint8))
    background = cv2.inpaint(crop, grown, 3, cv2.INPAINT_TELEA)
    diff = np.abs(crop.astype(np.float32) - background.astype(np.float32))
    if diff.ndim == 3:
        diff = diff.max(axis=2)
    return float(np.percentile(diff[m > 0], 90))


def compute_instances(frame_dir: Path, image: np.ndarray, min_area: int,
                      min_contrast: float) -> tuple[list[Instance], Counter]:
    """Masks of the frame's visible instances; image is its rendered BGR image (rgb.png)."""
    frame_dir = Path(frame_dir)
    manifest = json.loads((frame_dir / "manifest.json").read_text(encoding="utf-8"))
    defect, obj = read_id_passes(frame_dir / manifest["files"]["ids"], manifest["id_channels"])
    on_part = obj == manifest["part_pass_index"]
    kept, dropped = [], Counter()
    any_defect = (defect > 0) & on_part
    for inst in manifest["instances"]:
        mask = (defect == inst["id"]) & on_part
        area = int(mask.sum())
        if area == 0:
            dropped["not_in_view"] += 1
        elif area < min_area:
            dropped["too_small"] += 1
        else:
            contrast = compute_contrast(image, mask, any_defect)
            if contrast < min_contrast:
                dropped["low_contrast"] += 1
            else:
                kept.append(Instance(inst["id"], inst["category"], mask, contrast))
    return kept, dropped
