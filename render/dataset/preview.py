"""Mask overlays for looking at a split: coloured masks, boxes and category labels."""

from pathlib import Path

import cv2
import numpy as np

from render.dataset.coco import annotations_by_image, decode_mask, load_split

PALETTE = [(255, 64, 64), (64, 200, 255), (255, 200, 0), (120, 255, 120), (255, 120, 255), (0, 160, 255)]


def draw_overlay(image: np.ndarray, anns: list[dict], cat_names: dict[int, str], alpha: float = 0.45) -> np.ndarray:
    """BGR image with each annotation's mask tinted, its box and its category name drawn."""
    h, w = image.shape[:2]
    out = image.copy()
    for a in anns:
        color = PALETTE[(a["category_id"] - 1) % len(PALETTE)][::-1]
        m = decode_mask(a["segmentation"], h, w)
        out[m] = (out[m] * (1 - alpha) + np.array(color) * alpha).astype(np.uint8)
        contours, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(out, contours, -1, color, 1)
        x, y, bw, bh = (int(round(v)) for v in a["bbox"])
        cv2.rectangle(out, (x, y), (x + bw - 1, y + bh - 1), color, 1)
        cv2.putText(out, cat_names.get(a["category_id"], "?"), (x, max(10, y - 3)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, color, 1, cv2.LINE_AA)
    return out


def contact_sheet(split_dir: Path, n: int = 24, cols: int = 6, side: int = 320,
                  with_originals: bool = False) -> np.ndarray:
    """Contact sheet (BGR) of n images spread evenly over the split, each with its masks, boxes
    and labels. with_originals puts each plain image beside its overlay (to judge what a mask covers).
    """
    data = load_split(split_dir)
    names = {c["id"]: c["name"] for c in data["categories"]}
    by_img = annotations_by_image(data)
    images = data["images"]
    if not images:
        raise ValueError(f"{split_dir}: the split has no images")
    picks = np.unique(np.linspace(0, len(images) - 1, min(n, len(images))).round().astype(int))
    tiles = []
    for i in picks:
        img = images[i]
        im = cv2.imread(str(Path(split_dir) / img["file_name"]), cv2.IMREAD_COLOR)
        ov = draw_overlay(im, by_img.get(img["id"], []), names)
        scale = side / max(im.shape[:2])
        size = (max(1, round(im.shape[1] * scale)), max(1, round(im.shape[0] * scale)))
        parts = ([cv2.resize(im, size, interpolation=cv2.INTER_AREA)] if with_originals else []) + [
            cv2.resize(ov, size, interpolation=cv2.INTER_NEAREST)]
        cell = np.zeros((side, side * len(parts), 3), np.uint8)
        for k, p in enumerate(parts):
            cell[:p.shape[0], k * side:k * side + p.shape[1]] = p
        cv2.putText(cell, img["file_name"][-40:], (3, side - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 255, 255), 1)
        tiles.append(cell)
    per_row = max(1, cols // (2 if with_originals else 1))
    while len(tiles) % per_row:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i:i + per_row]) for i in range(0, len(tiles), per_row)]
    return np.vstack(rows)


def overlay_split(split_dir: Path, out_path: Path, n: int = 24, cols: int = 6, side: int = 320,
                  with_originals: bool = False) -> Path:
    """Write the contact sheet of a split to out_path (PNG or JPEG)."""
    cv2.imwrite(str(out_path), contact_sheet(split_dir, n, cols, side, with_originals))
    return Path(out_path)
