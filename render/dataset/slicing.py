"""Cut a COCO split into tiles, clipping every instance mask exactly to each tile.

Works on any split (rendered or real, polygons or RLE): each instance is decoded to its mask,
cropped per tile and re-encoded as RLE, so fragments are pixel exact (SAHI clips polygons with
shapely instead, which is not exact for masks and needs polygons). Streams image by image:
memory holds one image and its masks, never the whole dataset's. The input is validated first
(render.dataset.validate.require_valid) and the tiles are written to <out>.partial, renamed to
--out at the end: bad input or a full disk leaves nothing behind.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from tqdm import tqdm

from render import seeding
from render.dataset.coco import CocoWriter, annotations_by_image, decode_mask, encode_instance, write_image
from render.dataset.validate import require_valid
from render.errors import UserError
from render.files import building, check_new_dir, inside


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
    check_new_dir(out_dir)
    data = require_valid(split_dir)
    with building(out_dir) as tmp:
        return _slice(data, split_dir, tmp, tile, overlap, min_area, min_visible, keep_empty, seed, annotation)


def _slice(data: dict, split_dir: Path, tmp: Path, tile: int, overlap: float, min_area: int, min_visible: float,
           keep_empty: float, seed: int, annotation: str) -> SliceReport:
    by_image = annotations_by_image(data)
    writer = CocoWriter(tmp, data["categories"], {"description": f"tiles {tile}px, overlap {overlap} of {split_dir}"})
    rep = SliceReport()
    for img in tqdm(data["images"], desc="slice", unit="image"):
        rep.images += 1
        pixels = cv2.imread(str(split_dir / img["file_name"]), cv2.IMREAD_UNCHANGED)
        if pixels is None:
            raise UserError(f"cannot read image {split_dir / img['file_name']}")
        h, w = pixels.shape[:2]
        sources = []
        for a in by_image.get(img["id"], []):
            m = decode_mask(a["segmentation"], h, w)
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
                write_image(inside(tmp, name), pixels[y0:y0 + th, x0:x0 + tw], [cv2.IMWRITE_PNG_COMPRESSION, 1])
                image_id = writer.add_image(name, tw, th, source={"file_name": img["file_name"], "x": x0, "y": y0})
                rep.tiles += 1
                for a, frag in kept:
                    enc = encode_instance(frag, annotation)
                    if enc is None:
                        rep.dropped["no_polygon"] += 1
                        continue
                    writer.add_annotation(image_id, a["category_id"], *enc, source_id=a["id"])
                    rep.fragments += 1
    writer.close()
    return rep
