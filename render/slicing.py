"""Cut a COCO split into tiles, clipping every instance mask exactly to each tile.

Works on any split (rendered or real, polygons or RLE): each instance is decoded to its mask,
cropped per tile and re-encoded as RLE, so fragments are pixel exact (SAHI clips polygons with
shapely instead, which is not exact for masks and needs polygons). Streams image by image:
memory holds one image and its masks, never the whole dataset's.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_util
from tqdm import tqdm

from render import seeding
from render.coco import (
    StreamingCocoWriter,
    annotations_by_image,
    encode_instance,
    load_split,
    segmentation_to_rle,
)
from render.errors import UserError
from render.spec import begin_partial, commit_partial


@dataclass
class SliceReport:
    images: int = 0
    tiles: int = 0
    empty_tiles_kept: int = 0
    fragments: int = 0
    dropped: Counter = field(default_factory=Counter)


def tile_origins(length: int, tile: int, overlap: float) -> list[int]:
    """Tile starts along one axis: a regular step, the last tile flush with the far edge."""
    if length <= tile:
        return [0]
    step = max(1, int(round(tile * (1 - overlap))))
    starts = list(range(0, length - tile + 1, step))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def slice_split(split_dir: Path, out_dir: Path, tile: int, overlap: float = 0.2, min_area: int = 16,
                min_visible: float = 0.3, keep_empty: float = 0.1, seed: int = 0,
                annotation: str = "rle") -> SliceReport:
    split_dir, out_dir = Path(split_dir), Path(out_dir)
    if tile < 8:
        raise UserError(f"--tile must be at least 8 pixels, got {tile}")
    if not 0 <= overlap < 1:
        raise UserError(f"--overlap must be in [0, 1), got {overlap}")
    if not (0 <= min_visible <= 1 and 0 <= keep_empty <= 1):
        raise UserError("--min-visible and --keep-empty are fractions in [0, 1]")
    if out_dir.resolve() == split_dir.resolve():
        raise UserError("--out must differ from the input split")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out is a file: {out_dir}")
    data = load_split(split_dir)
    by_image = annotations_by_image(data)
    tmp = begin_partial(out_dir)
    writer = StreamingCocoWriter(tmp, data["categories"],
                                 {"description": f"tiles {tile}px, overlap {overlap} of {split_dir}"})
    rep = SliceReport()
    for img in tqdm(data["images"], desc="slice", unit="image"):
        rep.images += 1
        pixels = cv2.imread(str(split_dir / img["file_name"]), cv2.IMREAD_UNCHANGED)
        if pixels is None:
            raise UserError(f"cannot read image {split_dir / img['file_name']}")
        h, w = pixels.shape[:2]
        sources = []
        for a in by_image.get(img["id"], []):
            m = mask_util.decode(segmentation_to_rle(a["segmentation"], h, w)).astype(bool)
            sources.append((a, m, int(m.sum())))
        rng = seeding.stream(seed, f"slice:{img['file_name']}")
        stem = Path(img["file_name"]).stem
        for y0 in tile_origins(h, tile, overlap):
            for x0 in tile_origins(w, tile, overlap):
                th, tw = min(tile, h), min(tile, w)
                kept = []
                for a, m, total in sources:
                    frag = m[y0:y0 + th, x0:x0 + tw]
                    area = int(frag.sum())
                    if area == 0:
                        continue
                    if area < min_area:
                        rep.dropped["below_min_area"] += 1
                    elif total and area / total < min_visible:
                        rep.dropped["below_min_visible"] += 1
                    else:
                        kept.append((a, frag))
                if not kept:
                    if rng.random() >= keep_empty:
                        continue
                    rep.empty_tiles_kept += 1
                name = f"{stem}__x{x0}_y{y0}.png"
                cv2.imwrite(str(tmp / name), pixels[y0:y0 + th, x0:x0 + tw], [cv2.IMWRITE_PNG_COMPRESSION, 1])
                image_id = writer.add_image({"file_name": name, "width": tw, "height": th,
                                             "source": {"file_name": img["file_name"], "x": x0, "y": y0}})
                rep.tiles += 1
                for a, frag in kept:
                    enc = encode_instance(frag, annotation)
                    if enc is None:
                        rep.dropped["no_polygon"] += 1
                        continue
                    segm, area, bbox = enc
                    writer.add_annotation({"image_id": image_id, "category_id": a["category_id"],
                                           "segmentation": segm, "area": area, "bbox": bbox, "iscrowd": 0,
                                           "source_id": a["id"]})
                    rep.fragments += 1
    writer.close()
    commit_partial(tmp, out_dir)
    return rep


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
        m = mask_util.decode(segmentation_to_rle(a["segmentation"], img["height"], img["width"])).astype(bool)
        out[key][s["y"]:s["y"] + img["height"], s["x"]:s["x"] + img["width"]] |= m
    return out
