"""Checks a COCO split the way the training kit (MMDetection 2.x CocoDataset + pycocotools) reads it.

validate_split never raises on bad content (any JSON, any values): it reports. The dataset tools
(slice, compose, augment, preview, stats) read their input through require_valid, so they run
the same checks first and refuse a split with problems instead of turning it into wrong labels.
"""

import json
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from pycocotools import mask as mask_util

from render.dataset.coco import ANNOTATION_FILE, load_split, segmentation_to_rle
from render.errors import UserError

AREA_TOLERANCE = 0.10  # relative, plus 4 px, plus half the outline for polygons (see _check_segmentation)
BBOX_TOLERANCE = 2.0  # px


@dataclass
class ValidationReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    images: int = 0
    annotations: int = 0
    categories: int = 0
    images_without_annotations: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (f"{self.images} images, {self.annotations} annotations, {self.categories} categories, "
                f"{self.images_without_annotations} images without annotations: "
                f"{len(self.errors)} errors, {len(self.warnings)} warnings")


def _is_num(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)


def _is_id(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_ids(items: list, what: str, rep: ValidationReport) -> set:
    ids = set()
    for i, it in enumerate(items):
        if not isinstance(it, dict) or not _is_id(it.get("id")):
            rep.errors.append(f"{what}[{i}]: missing or non-integer 'id'")
            continue
        if it["id"] in ids:
            rep.errors.append(f"{what} id {it['id']}: duplicate id")
        ids.add(it["id"])
    return ids


def _check_segmentation(a: dict, img: dict, rep: ValidationReport) -> None:
    where = f"annotation {a['id']}"
    seg = a.get("segmentation")
    w, h = img["width"], img["height"]
    if isinstance(seg, list):
        if not seg:
            rep.errors.append(f"{where}: empty polygon list")
            return
        for p in seg:
            if not isinstance(p, list) or len(p) < 6 or len(p) % 2 or not all(_is_num(v) for v in p):
                rep.errors.append(f"{where}: a polygon needs >= 3 (x, y) points as a flat list of numbers")
                return
            xy = np.asarray(p, dtype=float).reshape(-1, 2)
            if (xy < 0).any() or (xy[:, 0] > w).any() or (xy[:, 1] > h).any():
                rep.errors.append(f"{where}: polygon point outside the {w}x{h} image")
                return
    elif isinstance(seg, dict):
        if seg.get("size") != [h, w]:
            rep.errors.append(f"{where}: RLE size {seg.get('size')} != image [height, width] [{h}, {w}]")
            return
        if not isinstance(seg.get("counts"), (str, list)):
            rep.errors.append(f"{where}: RLE 'counts' must be a string or a list")
            return
    else:
        rep.errors.append(f"{where}: segmentation must be a polygon list or an RLE dict")
        return
    try:
        rle = segmentation_to_rle(seg, h, w)
        if isinstance(seg, dict):  # counts that do not add up to the image: decode refuses them
            mask_util.decode(rle)
        area = int(mask_util.area(rle))
    except Exception as e:  # noqa: BLE001 - pycocotools raises bare exceptions on bad RLE
        rep.errors.append(f"{where}: segmentation does not decode: {e}")
        return
    if area == 0:
        rep.errors.append(f"{where}: mask is empty")
        return
    tolerance = AREA_TOLERANCE * area + 4
    if isinstance(seg, list):
        # a polygon traced through boundary pixel centres rasterises about half a pixel
        # inside the mask it came from, so tools that store the mask's pixel count differ
        # from the decoded polygon by up to half its perimeter
        for p in seg:
            xy = np.asarray(p, dtype=float).reshape(-1, 2)
            tolerance += 0.5 * np.linalg.norm(np.diff(np.vstack([xy, xy[:1]]), axis=0), axis=1).sum()
    if _is_num(a.get("area")) and abs(a["area"] - area) > tolerance:
        rep.errors.append(f"{where}: area {a['area']} but the mask has {area} pixels")
    bbox = a.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4 and all(_is_num(v) for v in bbox):
        refs = {"the mask's bbox": mask_util.toBbox(rle)}
        if isinstance(seg, list):
            # or the polygon's own extent: rasterising drops thin spikes of real outlines (real
            # datasets box the outline; encode_instance boxes the rasterised polygon, pycocotools' way)
            xy = np.vstack([np.asarray(p, dtype=float).reshape(-1, 2) for p in seg])
            lo, hi = xy.min(0), xy.max(0)
            refs = {"the polygon's extent": np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]]), **refs}
        if all(np.abs(np.asarray(bbox, dtype=float) - ref).max() > BBOX_TOLERANCE for ref in refs.values()):
            what, ref = next(iter(refs.items()))
            rep.errors.append(f"{where}: bbox {bbox} does not match {what} {ref.tolist()}")


def _check_reference(data: dict, reference: Path, max_factor: float, rep: ValidationReport) -> None:
    ref_path = Path(reference) / ANNOTATION_FILE
    try:
        ref = json.loads(ref_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        rep.errors.append(f"reference {ref_path}: cannot read ({e})")
        return
    if not (isinstance(ref, dict) and all(isinstance(ref.get(k), list) for k in ("images", "categories"))):
        rep.errors.append(f"reference {ref_path}: not a COCO split (needs lists of images and categories)")
        return
    ref_cats = ref["categories"]
    if data["categories"] != ref_cats:
        def show(cats):
            return ", ".join(f"{c.get('id')}:{c.get('name')}" for c in cats if isinstance(c, dict))

        rep.errors.append(f"categories differ from the reference: [{show(data['categories'])}] != "
                          f"[{show(ref_cats)}] (the trainer reads the class list from this file)")
    n_ref = len(ref["images"])
    cap = int(np.floor(max_factor * n_ref))
    if len(data["images"]) > cap:
        rep.errors.append(f"{len(data['images'])} images exceed the cap of {cap} = {max_factor} x {n_ref} "
                          "reference train images")


def validate_split(split_dir: Path, reference: Path | None = None, max_factor: float = 5.0) -> ValidationReport:
    """All checks; with a reference train split also its categories and the image cap."""
    split_dir = Path(split_dir)
    rep = ValidationReport()
    path = split_dir / ANNOTATION_FILE
    if not path.is_file():
        rep.errors.append(f"{path}: not found (a split is a directory holding {ANNOTATION_FILE} and the images)")
        return rep
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        rep.errors.append(f"{path}: not valid JSON: {e}")
        return rep
    if not isinstance(data, dict):
        rep.errors.append(f"{path}: the top level must be an object, got a {type(data).__name__}")
        return rep
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            rep.errors.append(f"{path}: top-level '{key}' must be a list")
    if rep.errors:
        return rep
    images, anns, cats = data["images"], data["annotations"], data["categories"]
    rep.images, rep.annotations, rep.categories = len(images), len(anns), len(cats)

    cat_ids = _check_ids(cats, "category", rep)
    names = [c.get("name") for c in cats if isinstance(c, dict)]
    if 0 in cat_ids:
        rep.errors.append("category id 0 is used: MMDetection and COCO reserve 0 for the background")
    if not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        rep.errors.append(f"category names must be unique non-empty strings, got {names}")
    if not cats:
        rep.errors.append("no categories")

    _check_ids(images, "image", rep)
    by_id, files = {}, {}
    for img in images:
        if not isinstance(img, dict) or not _is_id(img.get("id")):  # reported by _check_ids
            continue
        where = f"image {img['id']}"
        fn = img.get("file_name")
        if not isinstance(fn, str) or not (split_dir / fn).is_file():
            rep.errors.append(f"{where}: file {fn!r} not found in {split_dir}")
            continue
        if fn in files:
            rep.errors.append(f"{where}: file {fn!r} is image {files[fn]}'s too (one file, one image)")
            continue
        files[fn] = img["id"]
        if not all(isinstance(img.get(k), int) and img.get(k) > 0 for k in ("width", "height")):
            rep.errors.append(f"{where}: width and height must be positive integers")
            continue
        try:
            with Image.open(split_dir / fn) as im:
                size = im.size
                im.verify()  # PNG: every chunk's CRC, so a truncated file is caught (JPEG: the header only)
        except (OSError, ValueError, Image.DecompressionBombError) as e:
            rep.errors.append(f"{where}: {fn} is not a readable image ({e})")
            continue
        if size != (img["width"], img["height"]):
            swapped = " (width and height swapped)" if size == (img["height"], img["width"]) else ""
            rep.errors.append(f"{where}: {fn} is {size[0]}x{size[1]} but width x height says "
                              f"{img['width']}x{img['height']}{swapped}")
            continue
        by_id[img["id"]] = img

    _check_ids(anns, "annotation", rep)
    annotated = set()
    known_images = {i["id"] for i in images if isinstance(i, dict) and _is_id(i.get("id"))}
    for a in anns:
        if not isinstance(a, dict) or not _is_id(a.get("id")):  # reported by _check_ids
            continue
        where = f"annotation {a['id']}"
        if not _is_id(a.get("category_id")) or a["category_id"] not in cat_ids:
            rep.errors.append(f"{where}: category_id {a.get('category_id')} is not a known category")
        if a.get("iscrowd", 0) not in (0, 1):
            rep.errors.append(f"{where}: iscrowd must be 0 or 1")
        if not _is_num(a.get("area")):
            rep.errors.append(f"{where}: area must be a number, got {type(a.get('area')).__name__}")
        bbox = a.get("bbox")
        bbox_ok = isinstance(bbox, list) and len(bbox) == 4 and all(_is_num(v) for v in bbox)
        if not bbox_ok or bbox[2] <= 0 or bbox[3] <= 0:
            rep.errors.append(f"{where}: bbox must be [x, y, w, h] with w, h > 0, got {bbox}")
        img = by_id.get(a.get("image_id")) if _is_id(a.get("image_id")) else None
        if img is None:
            if not _is_id(a.get("image_id")) or a["image_id"] not in known_images:
                rep.errors.append(f"{where}: image_id {a.get('image_id')} is not a known image")
            continue
        annotated.add(img["id"])
        _check_segmentation(a, img, rep)

    if reference is not None:
        _check_reference(data, reference, max_factor, rep)
    rep.images_without_annotations = len([i for i in by_id if i not in annotated])
    if rep.images_without_annotations:
        rep.warnings.append(f"{rep.images_without_annotations} images have no annotation: "
                            "MMDetection's CocoDataset drops them from training (filter_empty_gt)")
    return rep


def require_valid(split_dir: Path, what: str = "input split") -> dict:
    """The split's data once `validate` finds no error in it; else one UserError line that lists
    the first problems. Every dataset tool reads its input through this."""
    data = load_split(split_dir)  # its own clear line for a missing file or bad JSON
    rep = validate_split(split_dir)
    if rep.ok:
        return data
    n = len(rep.errors)
    shown = "; ".join(rep.errors[:5]) + (f"; and {n - 5} more" if n > 5 else "")
    raise UserError(f"{what} {split_dir} fails validation, nothing written ({n} problem{'s' * (n > 1)}; "
                    f"`defectsynth validate {split_dir}` lists them): {shown}".replace("\n", " "))
