"""Mask overlays for looking at a split: coloured masks, boxes and category labels."""

from pathlib import Path

import cv2
import numpy as np

from render.dataset.coco import annotations_by_image, decode_mask, load_split, write_image
from render.dataset.validate import require_valid
from render.errors import UserError
from render.files import check_output_file

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


def fit_cell(image: np.ndarray, side: int, nearest: bool = False) -> np.ndarray:
    """The image scaled so its long side is `side`, on a black side x side cell."""
    scale = side / max(image.shape[:2])
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    cell = np.zeros((side, side, 3), np.uint8)
    cell[:size[1], :size[0]] = cv2.resize(image, size, interpolation=interp)
    return cell


def grid(cells: list[np.ndarray], cols: int) -> np.ndarray:
    """Equal-sized cells in rows of `cols`, the last row padded with black."""
    cells = list(cells)
    while len(cells) % cols:
        cells.append(np.zeros_like(cells[0]))
    return np.vstack([np.hstack(cells[i:i + cols]) for i in range(0, len(cells), cols)])


def _spread(items: list, n: int) -> list:
    """n items spread evenly over the list (all of them if it has at most n)."""
    if len(items) <= n:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, n).round().astype(int)]


def contact_sheet(split_dir: Path, n: int = 24, cols: int = 6, side: int = 320,
                  with_originals: bool = False, category: str | None = None) -> np.ndarray:
    """Contact sheet (BGR) of n images spread evenly over the split (or over its images that hold
    `category`), each with its masks, boxes and labels. with_originals puts each plain image
    beside its overlay (to judge what a mask covers).
    """
    data = load_split(split_dir)
    names = {c["id"]: c["name"] for c in data["categories"]}
    by_img = annotations_by_image(data)
    images = data["images"]
    if category is not None:
        images = [i for i in images if any(names.get(a["category_id"]) == category for a in by_img.get(i["id"], []))]
    if not images:
        raise ValueError(f"{split_dir}: the split has no images" + (f" of {category}" if category else ""))
    tiles = []
    for img in _spread(images, n):
        im = cv2.imread(str(Path(split_dir) / img["file_name"]), cv2.IMREAD_COLOR)
        ov = draw_overlay(im, by_img.get(img["id"], []), names)
        cell = np.hstack(([fit_cell(im, side)] if with_originals else []) + [fit_cell(ov, side, nearest=True)])
        cv2.putText(cell, img["file_name"][-40:], (3, side - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 255, 255), 1)
        tiles.append(cell)
    return grid(tiles, max(1, cols // (2 if with_originals else 1)))


def instance_crops(split_dir: Path, n: int = 6, side: int = 128, context: float = 2.0) -> dict[str, list[np.ndarray]]:
    """Per category, up to n square crops around instances spread over the split: `context` times
    the instance's longer box side (at least 32 px), scaled to `side`, the mask outlined."""
    data = load_split(split_dir)
    names = {c["id"]: c["name"] for c in data["categories"]}
    images = {i["id"]: i for i in data["images"]}
    out: dict[str, list[np.ndarray]] = {c: [] for c in names.values()}
    for cid, name in names.items():
        for a in _spread([a for a in data["annotations"] if a["category_id"] == cid], n):
            img = images[a["image_id"]]
            im = cv2.imread(str(Path(split_dir) / img["file_name"]), cv2.IMREAD_COLOR)
            h, w = im.shape[:2]
            x, y, bw, bh = a["bbox"]
            s = int(min(max(32, context * max(bw, bh)), w, h))
            x0 = int(np.clip(x + bw / 2 - s / 2, 0, w - s))
            y0 = int(np.clip(y + bh / 2 - s / 2, 0, h - s))
            crop = fit_cell(im[y0:y0 + s, x0:x0 + s], side)
            m = decode_mask(a["segmentation"], h, w)[y0:y0 + s, x0:x0 + s].astype(np.uint8)
            m = cv2.resize(m, (side, side), interpolation=cv2.INTER_NEAREST)
            contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
            cv2.drawContours(crop, contours, -1, PALETTE[(cid - 1) % len(PALETTE)][::-1], 1)
            out[name].append(crop)
    return out


def side_by_side(columns: dict[str, dict[str, list[np.ndarray]]], n: int, side: int) -> np.ndarray:
    """One row per category (those of the first column first), each column's crops in a block of
    n cells: e.g. {"real": crops, "synthetic": crops} for the same categories side by side."""
    label_w, head_h, gap = 130, 24, 12
    cats = list(dict.fromkeys(c for crops in columns.values() for c in crops))
    width = label_w + len(columns) * (n * side + gap)
    sheet = np.full((head_h + len(cats) * (side + 4), width, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for j, title in enumerate(columns):
        cv2.putText(sheet, title, (label_w + j * (n * side + gap), 17), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    for i, c in enumerate(cats):
        y = head_h + i * (side + 4)
        cv2.putText(sheet, c[:16], (4, y + side // 2), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        for j, crops in enumerate(columns.values()):
            x = label_w + j * (n * side + gap)
            cells = crops.get(c, [])[:n]
            if not cells:
                cv2.putText(sheet, "none", (x + 4, y + side // 2), font, 0.5, (120, 120, 120), 1, cv2.LINE_AA)
            for k, cell in enumerate(cells):
                sheet[y:y + side, x + k * side:x + (k + 1) * side] = cell
    return sheet


def overlay_split(split_dir: Path, out_path: Path, n: int = 24, cols: int = 6, side: int = 320,
                  with_originals: bool = False) -> Path:
    """Write the contact sheet of a split to out_path (PNG or JPEG); the split is validated first."""
    check_output_file(out_path, "--out")
    if not cv2.haveImageWriter(str(out_path)):
        raise UserError(f"--out {out_path}: not an image file name OpenCV can write (use .png or .jpg)")
    require_valid(split_dir)
    return write_image(out_path, contact_sheet(split_dir, n, cols, side, with_originals))
