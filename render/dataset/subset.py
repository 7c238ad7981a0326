"""A random subset of a split's images (and their annotations), images symlinked."""

import os
from pathlib import Path

import numpy as np

from render.dataset.coco import ANNOTATION_FILE, load_split
from render.files import write_atomic
from render.spec import dumps


def subset_split(src: Path, dst: Path, n: int, seed: int | None = 0) -> Path:
    """n images drawn without replacement (seed None: the first n), written to dst."""
    src, dst = Path(src), Path(dst)
    data = load_split(src)
    idx = np.arange(len(data["images"]))
    if seed is not None:
        idx = np.sort(np.random.default_rng(seed).permutation(idx)[:n])
    images = [data["images"][i] for i in idx[:n]]
    keep = {i["id"] for i in images}
    dst.mkdir(parents=True, exist_ok=True)
    for i in images:
        link = dst / i["file_name"]
        if not link.exists():
            os.symlink((src / i["file_name"]).resolve(), link)
    out = dict(data, images=images, annotations=[a for a in data["annotations"] if a["image_id"] in keep])
    write_atomic(dst / ANNOTATION_FILE, dumps(out))
    return dst


def image_count(split: Path) -> int:
    return len(load_split(split)["images"])
