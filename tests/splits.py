"""Small real-file COCO splits for tests that need no Blender."""

from pathlib import Path

import numpy as np
from PIL import Image

from render.coco import CocoBuilder, encode_instance


def toy_split(root: Path, categories: list[str], n_images: int = 4, size=(90, 70), seed: int = 0,
              mode: str = "rle") -> Path:
    """Images of noise with 1-3 random blobs each, annotated as the given categories."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    coco = CocoBuilder(categories)
    w, h = size
    for i in range(n_images):
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(root / f"img{i:03d}.png")
        image_id = coco.add_image(f"img{i:03d}.png", w, h)
        for _ in range(int(rng.integers(1, 4))):
            m = np.zeros((h, w), bool)
            y, x = rng.integers(0, h - 10), rng.integers(0, w - 10)
            m[y:y + rng.integers(3, 25), x:x + rng.integers(3, 40)] = True
            coco.add_annotation(image_id, categories[int(rng.integers(len(categories)))], *encode_instance(m, mode))
    coco.write(root)
    return root


def subset_split(src: Path, dst: Path, n: int) -> Path:
    """The first n images of a split (and their annotations), images symlinked."""
    from render.subset import subset_split as subset

    return subset(src, dst, n, seed=None)
