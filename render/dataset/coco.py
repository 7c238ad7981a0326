"""COCO instance segmentation: reading a split, masks to annotations and back, and the writer.

Every split this project writes goes through CocoWriter: it streams images and annotations to
temporary files (memory stays flat however large the split) and writes the annotation file in
the canonical JSON layout (sorted keys, indent 1) under a temporary name, then renames it.
"""

import json
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_util

from render.errors import UserError
from render.files import write_bytes_atomic, writing

ANNOTATION_FILE = "_annotations.coco.json"


def load_split(split_dir: Path) -> dict:
    path = Path(split_dir) / ANNOTATION_FILE
    if not path.is_file():
        raise UserError(f"not a COCO split: {path} not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: the top level must be an object with images, annotations and categories, "
                        f"got a {type(data).__name__}")
    return data


def annotations_by_image(data: dict) -> dict[int, list[dict]]:
    by_image: dict[int, list[dict]] = {}
    for a in data["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    return by_image


def categories_from_names(names: list[str]) -> list[dict]:
    """COCO categories with ids 1, 2, ... in the order of the names."""
    return [{"id": i + 1, "name": n, "supercategory": "defect"} for i, n in enumerate(names)]


def mask_to_rle(mask: np.ndarray) -> dict:
    rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def mask_to_polygons(mask: np.ndarray) -> list[list[float]]:
    """Outer contours through pixel centres; polygons with fewer than 3 points are left out."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        if len(c) >= 3:
            polys.append([round(float(v), 2) for v in (c.reshape(-1, 2) + 0.5).ravel()])
    return polys


def segmentation_to_rle(segm, height: int, width: int) -> dict:
    """Any COCO segmentation (polygons, RLE, uncompressed RLE) as one compressed RLE."""
    if isinstance(segm, list):
        return mask_util.merge(mask_util.frPyObjects(segm, height, width))
    if isinstance(segm.get("counts"), list):
        return mask_util.frPyObjects(segm, height, width)
    counts = segm["counts"]
    return {"size": segm["size"], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def decode_mask(segm, height: int, width: int) -> np.ndarray:
    """The (height, width) bool mask of any COCO segmentation."""
    return mask_util.decode(segmentation_to_rle(segm, height, width)).astype(bool)


def encode_instance(mask: np.ndarray, mode: str):
    """(segmentation, area, bbox) for a mask; area and bbox are those of the decoded segmentation;
    None when nothing is left of it (no polygon of 3 points, or an empty mask)."""
    h, w = mask.shape
    if mode == "rle":
        segm = mask_to_rle(mask)
    elif mode == "polygon":
        segm = mask_to_polygons(mask)
        if not segm:
            return None
    else:
        raise ValueError(f"unknown annotation mode {mode!r}")
    rle = segmentation_to_rle(segm, h, w)
    area = int(mask_util.area(rle))
    if area == 0:
        return None
    bbox = [float(v) for v in mask_util.toBbox(rle)]
    return segm, area, bbox


def write_image(path: Path, image: np.ndarray, params: list[int] | None = None) -> Path:
    """Encode in memory, then write atomically: a failed write raises (cv2.imwrite only returns
    False, and on a full disk libpng prints an error per row first)."""
    ok, data = cv2.imencode(Path(path).suffix or ".png", image, params or [])
    if not ok:
        raise ValueError(f"OpenCV cannot encode {path}")
    write_bytes_atomic(path, data.tobytes())
    return Path(path)


def _indented(value, level: int) -> str:
    """json.dumps(value, sort_keys=True, indent=1) as it reads `level` levels deep."""
    text = json.dumps(value, sort_keys=True, indent=1, allow_nan=False)
    return text.replace("\n", "\n" + " " * level)


class CocoWriter:
    """Writes one split's annotation file, images and annotations numbered from 1 as they come.

    The result is byte for byte the canonical JSON (render.spec.dumps) of the whole dict.
    """

    def __init__(self, split_dir: Path, categories: list[dict], info: dict | None = None):
        self.path = Path(split_dir) / ANNOTATION_FILE
        self.head = {"categories": categories, "info": info or {}, "licenses": []}
        # nameless files beside the split: on its disk, so a full disk is seen (and named) there
        self._tmp = {key: tempfile.TemporaryFile("w+", encoding="utf-8", dir=split_dir)
                     for key in ("annotations", "images")}
        self.n_images = self.n_annotations = 0

    def add_image(self, file_name: str, width: int, height: int, **extra) -> int:
        self.n_images += 1
        self._write("images", {"id": self.n_images, "file_name": file_name, "width": width, "height": height,
                               **extra})
        return self.n_images

    def add_annotation(self, image_id: int, category_id: int, segmentation, area: int, bbox: list[float],
                       iscrowd: int = 0, **extra) -> int:
        self.n_annotations += 1
        self._write("annotations", {"id": self.n_annotations, "image_id": image_id, "category_id": category_id,
                                    "segmentation": segmentation, "area": area, "bbox": bbox, "iscrowd": iscrowd,
                                    **extra})
        return self.n_annotations

    def _write(self, key: str, record: dict) -> None:
        f = self._tmp[key]
        with writing(self.path):
            f.write((",\n  " if f.tell() else "  ") + _indented(record, 2))

    def close(self) -> Path:
        tmp = self.path.with_name(f".{self.path.name}.tmp{os.getpid()}")
        parts = {**{k: _indented(v, 1) for k, v in self.head.items()}}
        try:
            self._write_file(tmp, parts)
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
            for f in self._tmp.values():
                f.close()
        return self.path

    def _write_file(self, tmp: Path, parts: dict) -> None:
        with writing(self.path), open(tmp, "w", encoding="utf-8") as out:
            out.write("{\n")
            for n, key in enumerate(sorted([*parts, *self._tmp])):
                out.write(f' "{key}": ')
                if key in parts:
                    out.write(parts[key])
                else:
                    f = self._tmp[key]
                    if f.tell():
                        out.write("[\n")
                        f.seek(0)
                        while chunk := f.read(1 << 20):
                            out.write(chunk)
                        out.write("\n ]")
                    else:
                        out.write("[]")
                out.write(",\n" if n < 4 else "\n")
            out.write("}\n")
            out.flush()
            os.fsync(out.fileno())
