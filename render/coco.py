"""COCO instance segmentation: masks -> annotations, and the atomic dataset writer."""

import json
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_util

from render.errors import UserError
from render.spec import dumps, write_atomic

ANNOTATION_FILE = "_annotations.coco.json"


def load_split(split_dir: Path) -> dict:
    path = Path(split_dir) / ANNOTATION_FILE
    if not path.is_file():
        raise UserError(f"not a COCO split: {path} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid JSON ({e})") from None


def annotations_by_image(data: dict) -> dict[int, list[dict]]:
    by_image: dict[int, list[dict]] = {}
    for a in data["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    return by_image


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


def encode_instance(mask: np.ndarray, mode: str):
    """(segmentation, area, bbox) for a mask; area and bbox are those of the decoded segmentation."""
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


class CocoBuilder:
    """Collects images and annotations with consecutive ids from 1."""

    def __init__(self, categories: list[str]):
        self.categories = [{"id": i + 1, "name": n, "supercategory": "defect"} for i, n in enumerate(categories)]
        self._cat_id = {c["name"]: c["id"] for c in self.categories}
        self.images: list[dict] = []
        self.annotations: list[dict] = []

    def add_image(self, file_name: str, width: int, height: int) -> int:
        image_id = len(self.images) + 1
        self.images.append({"id": image_id, "file_name": file_name, "width": width, "height": height})
        return image_id

    def add_annotation(self, image_id: int, category: str, segmentation, area: int, bbox: list[float]) -> int:
        ann_id = len(self.annotations) + 1
        self.annotations.append({
            "id": ann_id, "image_id": image_id, "category_id": self._cat_id[category],
            "segmentation": segmentation, "area": area, "bbox": bbox, "iscrowd": 0,
        })
        return ann_id

    def to_dict(self, info: dict | None = None) -> dict:
        return {"info": info or {}, "licenses": [], "categories": self.categories,
                "images": self.images, "annotations": self.annotations}

    def write(self, split_dir: Path, info: dict | None = None) -> Path:
        path = Path(split_dir) / ANNOTATION_FILE
        write_atomic(path, dumps(self.to_dict(info)))
        return path


class StreamingCocoWriter:
    """Writes a COCO file without holding its images and annotations in memory.

    Records go to temporary JSON-lines files as they come; close() concatenates them into the
    final file under a temporary name and renames it, so memory stays flat however large the
    split and a crash leaves no half-written annotation file.
    """

    def __init__(self, split_dir: Path, categories: list[dict], info: dict | None = None):
        self.path = Path(split_dir) / ANNOTATION_FILE
        self.head = {"info": info or {}, "licenses": [], "categories": categories}
        self._tmp = [tempfile.TemporaryFile("w+", encoding="utf-8") for _ in range(2)]
        self.n_images = self.n_annotations = 0

    def add_image(self, record: dict) -> int:
        self.n_images += 1
        self._write(0, {"id": self.n_images, **record})
        return self.n_images

    def add_annotation(self, record: dict) -> int:
        self.n_annotations += 1
        self._write(1, {"id": self.n_annotations, **record})
        return self.n_annotations

    def _write(self, k: int, record: dict) -> None:
        f = self._tmp[k]
        if f.tell():
            f.write(",\n")
        f.write(json.dumps(record, sort_keys=True))

    def close(self) -> Path:
        tmp = self.path.with_name(f".{self.path.name}.tmp{os.getpid()}")
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(json.dumps(self.head, sort_keys=True)[:-1])
            for key, f in zip(("images", "annotations"), self._tmp, strict=True):
                out.write(f', "{key}": [\n')
                f.seek(0)
                while chunk := f.read(1 << 20):
                    out.write(chunk)
                out.write("\n]")
                f.close()
            out.write("}\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
        return self.path
