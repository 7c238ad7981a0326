"""Small real-file COCO splits for tests that need no Blender, and the inverse of slicing."""

from pathlib import Path

import numpy as np
from PIL import Image

from render.dataset.coco import CocoWriter, categories_from_names, decode_mask, encode_instance, load_split


def toy_split(root: Path, categories: list[str], n_images: int = 4, size=(90, 70), seed: int = 0,
              mode: str = "rle") -> Path:
    """Images of noise with 1-3 random blobs each, annotated as the given categories."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    coco = CocoWriter(root, categories_from_names(categories))
    w, h = size
    for i in range(n_images):
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(root / f"img{i:03d}.png")
        image_id = coco.add_image(f"img{i:03d}.png", w, h)
        for _ in range(int(rng.integers(1, 4))):
            m = np.zeros((h, w), bool)
            y, x = rng.integers(0, h - 10), rng.integers(0, w - 10)
            m[y:y + rng.integers(3, 25), x:x + rng.integers(3, 40)] = True
            coco.add_annotation(image_id, int(rng.integers(len(categories))) + 1, *encode_instance(m, mode))
    coco.close()
    return root


def subset_split(src: Path, dst: Path, n: int) -> Path:
    """The first n images of a split (and their annotations), images symlinked."""
    from render.dataset.subset import subset_split as subset

    return subset(src, dst, n, seed=None)


def stitch_masks(tiles_dir: Path) -> dict[tuple[str, int], np.ndarray]:
    """Inverse of slicing with overlap 0: source (file name, annotation id) -> full-size mask.

    The full size is taken from the tiles themselves (the union of their extents).
    """
    data = load_split(tiles_dir)
    images = {i["id"]: i for i in data["images"]}
    size: dict[str, tuple[int, int]] = {}
    for i in data["images"]:
        s = i["source"]
        h, w = size.get(s["file_name"], (0, 0))
        size[s["file_name"]] = (max(h, s["y"] + i["height"]), max(w, s["x"] + i["width"]))
    out: dict[tuple[str, int], np.ndarray] = {}
    for a in data["annotations"]:
        img = images[a["image_id"]]
        s = img["source"]
        key = (s["file_name"], a["source_id"])
        if key not in out:
            out[key] = np.zeros(size[s["file_name"]], bool)
        m = decode_mask(a["segmentation"], img["height"], img["width"])
        out[key][s["y"]:s["y"] + img["height"], s["x"]:s["x"] + img["width"]] |= m
    return out


def _first_rle(data: dict) -> dict:
    return next(a for a in data["annotations"] if isinstance(a["segmentation"], dict))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


# Ways a split goes wrong, each one that `validate` reports: name -> change(data, split dir).
# A change returns the new JSON value (most edit `data` in place and return it).
CORRUPTIONS = {
    "duplicate_image_id": lambda d, s: (d["images"][1].update(id=d["images"][0]["id"]), d)[1],
    "rle_size_differs": lambda d, s: (_first_rle(d)["segmentation"].update(
        size=[v + 7 for v in _first_rle(d)["segmentation"]["size"]]), d)[1],
    "unknown_image_id": lambda d, s: (d["annotations"][0].update(image_id=999), d)[1],
    "category_id_0": lambda d, s: (d["annotations"][0].update(category_id=0), d)[1],
    "unknown_category_id": lambda d, s: (d["annotations"][0].update(category_id=99), d)[1],
    "category_id_is_a_list": lambda d, s: (d["annotations"][0].update(category_id=[1]), d)[1],
    "image_id_is_a_list": lambda d, s: (d["images"][0].update(id=[1]), d)[1],
    "top_level_is_a_list": lambda d, s: [d],
    "two_point_polygon": lambda d, s: (d["annotations"][0].update(segmentation=[[1.0, 1.0, 5.0, 5.0]]), d)[1],
    "missing_image_file": lambda d, s: ((s / d["images"][0]["file_name"]).unlink(), d)[1],
    "truncated_image_file": lambda d, s: (_truncate(s / d["images"][0]["file_name"]), d)[1],
    "garbled_rle_counts": lambda d, s: (_first_rle(d)["segmentation"].update(counts="zz0"), d)[1],
    "bbox_off": lambda d, s: (d["annotations"][0].update(bbox=[0.0, 0.0, 1.0, 1.0]), d)[1],
    "area_nan": lambda d, s: (d["annotations"][0].update(area=float("nan")), d)[1],
    "empty_category_name": lambda d, s: (d["categories"][0].update(name=""), d)[1],
    "category_name_twice": lambda d, s: (d["categories"].append({**d["categories"][0], "id": 77}), d)[1],
}


def corrupt(split: Path, kind: str) -> Path:
    """Apply CORRUPTIONS[kind] to a split (its JSON and files) in place."""
    import json

    path = split / "_annotations.coco.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps(CORRUPTIONS[kind](data, split)))
    return split
