"""Copy-paste augmentation: real defect instances pasted onto other real images.

The standard baseline that rendered data must beat (Ghiasi et al., "Simple Copy-Paste"), and a
useful generator in its own right. Each new image is a random real train image with 1..k
instances cut from other real train images, scaled, rotated, flipped and alpha-blended with a
feathered edge; the pasted masks are exact (the transformed source mask), and the target's own
instances lose the pixels a paste covers. Deterministic from the seed.
"""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from render import seeding
from render.dataset.coco import CocoWriter, annotations_by_image, decode_mask, encode_instance, write_image
from render.dataset.validate import require_valid
from render.errors import UserError
from render.files import building, check_new_dir


@dataclass
class Patch:
    pixels: np.ndarray  # (h, w, 3) uint8, the instance's bounding crop
    mask: np.ndarray  # (h, w) bool
    category_id: int


def collect_patches(split_dir: Path, data: dict, min_area: int = 16) -> list[Patch]:
    by_image = annotations_by_image(data)
    patches = []
    for img in data["images"]:
        anns = by_image.get(img["id"], [])
        if not anns:
            continue
        pixels = cv2.imread(str(split_dir / img["file_name"]), cv2.IMREAD_COLOR)
        for a in anns:
            m = decode_mask(a["segmentation"], img["height"], img["width"])
            if m.sum() < min_area:
                continue
            ys, xs = np.nonzero(m)
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            patches.append(Patch(pixels[y0:y1, x0:x1].copy(), m[y0:y1, x0:x1].copy(), a["category_id"]))
    return patches


def transform_patch(p: Patch, rng: np.random.Generator, scale: tuple[float, float]) -> Patch:
    s = float(rng.uniform(*scale))
    angle = float(rng.uniform(0, 360))
    pixels, mask = p.pixels, p.mask.astype(np.uint8)
    if rng.random() < 0.5:
        pixels, mask = pixels[:, ::-1], mask[:, ::-1]
    if rng.random() < 0.5:
        pixels, mask = pixels[::-1], mask[::-1]
    h, w = mask.shape
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, s)
    cos, sin = abs(rot[0, 0]), abs(rot[0, 1])
    nw, nh = int(np.ceil(h * sin + w * cos)) + 2, int(np.ceil(h * cos + w * sin)) + 2
    rot[0, 2] += nw / 2 - w / 2
    rot[1, 2] += nh / 2 - h / 2
    out_px = cv2.warpAffine(np.ascontiguousarray(pixels), rot, (nw, nh), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REFLECT)
    out_m = cv2.warpAffine(np.ascontiguousarray(mask), rot, (nw, nh), flags=cv2.INTER_NEAREST) > 0
    return Patch(out_px, out_m, p.category_id)


def paste(image: np.ndarray, p: Patch, x: int, y: int, feather: float = 1.5) -> np.ndarray:
    """Alpha-blend the patch at (x, y); returns the full-size mask of the pasted pixels."""
    h, w = p.mask.shape
    alpha = cv2.GaussianBlur(p.mask.astype(np.float32), (0, 0), feather) if feather > 0 else p.mask.astype(np.float32)
    alpha = np.maximum(alpha, p.mask)  # the labelled pixels are fully pasted
    region = image[y:y + h, x:x + w].astype(np.float32)
    image[y:y + h, x:x + w] = (region * (1 - alpha[..., None]) + p.pixels * alpha[..., None]).round().astype(np.uint8)
    full = np.zeros(image.shape[:2], bool)
    full[y:y + h, x:x + w] = p.mask
    return full


def copy_paste(split_dir: Path, out: Path, n_images: int, seed: int = 0, per_image: tuple[int, int] = (1, 3),
               scale: tuple[float, float] = (0.7, 1.4), max_factor: float = 5.0, min_area: int = 16) -> dict:
    split_dir, out = Path(split_dir), check_new_dir(out)
    if n_images < 1:
        raise UserError(f"--n must be at least 1, got {n_images}")
    if not 0 <= per_image[0] <= per_image[1]:
        raise UserError(f"--per-image must be [min max] with 0 <= min <= max, got {list(per_image)}")
    if not 0 < scale[0] <= scale[1] < 100:  # false for NaN too
        raise UserError(f"--scale must be [min max] with 0 < min <= max < 100, got {list(scale)}")
    data = require_valid(split_dir)
    n_real = len(data["images"])
    if n_images > max_factor * n_real:
        raise UserError(f"{n_images} images exceed the cap of {int(max_factor * n_real)} = {max_factor} x {n_real} "
                        "real train images")
    patches = collect_patches(split_dir, data, min_area)
    if not patches:
        raise UserError(f"{split_dir}: no instance of at least {min_area} px to copy")
    with building(out) as tmp:
        return _paste_all(split_dir, data, patches, tmp, n_images, seed, per_image, scale, min_area)


def _paste_all(split_dir: Path, data: dict, patches: list[Patch], tmp: Path, n_images: int, seed: int,
               per_image: tuple[int, int], scale: tuple[float, float], min_area: int) -> dict:
    n_real = len(data["images"])
    by_image = annotations_by_image(data)
    coco = CocoWriter(tmp, data["categories"], {"description": f"copy-paste from {split_dir}, seed {seed}"})
    for i in tqdm(range(n_images), desc="copy-paste", unit="image"):
        rng = seeding.stream(seeding.frame_seed(seed, i + 1), "copy_paste")
        target = data["images"][int(rng.integers(n_real))]
        canvas = cv2.imread(str(split_dir / target["file_name"]), cv2.IMREAD_COLOR)
        h, w = canvas.shape[:2]
        masks = [(a["category_id"], decode_mask(a["segmentation"], h, w)) for a in by_image.get(target["id"], [])]
        for _ in range(int(rng.integers(per_image[0], per_image[1] + 1))):
            p = transform_patch(patches[int(rng.integers(len(patches)))], rng, scale)
            ph, pw = p.mask.shape
            if ph >= h or pw >= w:
                continue
            pasted = paste(canvas, p, int(rng.integers(0, w - pw)), int(rng.integers(0, h - ph)))
            masks = [(c, m & ~pasted) for c, m in masks] + [(p.category_id, pasted)]
        name = f"cp_{i + 1:06d}.png"
        write_image(tmp / name, canvas)
        image_id = coco.add_image(name, w, h, source={"file_name": target["file_name"]})
        for c, m in masks:
            if m.sum() < min_area:
                continue
            coco.add_annotation(image_id, c, *encode_instance(m, "rle"))
    coco.close()
    return {"images": coco.n_images, "annotations": coco.n_annotations, "patches": len(patches)}
