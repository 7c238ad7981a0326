"""Splits as training data for the downstream models: images + per-instance masks."""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from render.dataset.coco import annotations_by_image, decode_mask, load_split
from render.errors import UserError


@dataclass
class Sample:
    image: np.ndarray  # (H, W, 3) uint8 BGR
    labels: np.ndarray  # (N,) int, 1-based category ids of the target categories
    masks: np.ndarray  # (N, H, W) bool


def load_samples(split_dir: Path, category_names: list[str], max_side: int | None = None) -> list[Sample]:
    """All images of a split, masks decoded, categories mapped by name onto category_names.

    Images larger than max_side are scaled down (masks with nearest neighbour) so that a CPU
    can hold a split in memory.
    """
    split_dir = Path(split_dir)
    data = load_split(split_dir)
    names = {c["id"]: c["name"] for c in data["categories"]}
    unknown = sorted(set(names.values()) - set(category_names))
    if unknown:
        raise UserError(f"{split_dir}: categories {unknown} are not among the evaluation's {category_names}")
    to_label = {cid: category_names.index(n) + 1 for cid, n in names.items()}
    by_image = annotations_by_image(data)
    out = []
    for img in data["images"]:
        image = cv2.imread(str(split_dir / img["file_name"]), cv2.IMREAD_COLOR)
        if image is None:
            raise UserError(f"cannot read {split_dir / img['file_name']}")
        h, w = image.shape[:2]
        anns = [a for a in by_image.get(img["id"], []) if not a.get("iscrowd", 0)]
        masks = np.zeros((len(anns), h, w), bool)
        for k, a in enumerate(anns):
            masks[k] = decode_mask(a["segmentation"], h, w)
        labels = np.array([to_label[a["category_id"]] for a in anns], dtype=np.int64)
        if max_side and max(h, w) > max_side:
            s = max_side / max(h, w)
            size = (max(1, round(w * s)), max(1, round(h * s)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            masks = np.stack([cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
                              for m in masks]) if len(masks) else np.zeros((0, size[1], size[0]), bool)
        out.append(Sample(image, labels, masks))
    return out


def semantic_map(s: Sample) -> np.ndarray:
    """(H, W) int64: the category of the instance covering each pixel, 0 = background."""
    out = np.zeros(s.image.shape[:2], np.int64)
    for label, m in zip(s.labels, s.masks, strict=True):
        out[m] = label
    return out
