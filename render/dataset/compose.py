"""Compose the final training split: the reference's categories, synthetic (and real) images.

The result carries the reference `_annotations.coco.json` category list verbatim (id for id,
name for name, every field), renumbered image and annotation ids from 1, and at most
`max_factor` x the reference's image count. Every input split is validated first (a bad one is
refused, listing its problems), and the result is validated against the reference before it is
moved into place: a failed check, or a full disk, writes nothing.
"""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from render import seeding
from render.dataset.coco import CocoWriter, annotations_by_image
from render.dataset.validate import require_valid, validate_split
from render.errors import RunFailed, UserError
from render.files import building, check_new_dir, inside, writing


@dataclass
class ComposeReport:
    real_images: int = 0
    synthetic_images: int = 0
    synthetic_dropped: int = 0
    annotations: int = 0
    cap: int = 0


def load_mapping(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise UserError(f"cannot read the category mapping {path}: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise UserError(f"{path}: the mapping must be 'synthetic name: reference name' lines")
    return data


def category_map(source: dict, ref_cats: list[dict], mapping: dict[str, str], where: str) -> dict[int, int]:
    """Source category id -> reference category id, by name (after the optional mapping)."""
    ref_by_name = {c["name"]: c["id"] for c in ref_cats}
    out = {}
    for c in source["categories"]:
        name = mapping.get(c["name"], c["name"])
        if name not in ref_by_name:
            raise UserError(f"{where}: category '{c['name']}' is not in the reference (known: "
                            f"{', '.join(ref_by_name)}); add it to a --mapping file")
        out[c["id"]] = ref_by_name[name]
    return out


def _place_file(src: Path, dst: Path, link: bool) -> None:
    if link:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    with writing(dst):
        shutil.copyfile(src, dst)


def compose(reference: Path, synthetic: list[Path], out: Path, include_real: bool = False,
            max_factor: float = 5.0, sample_seed: int | None = None, mapping_file: Path | None = None,
            link: bool = True) -> ComposeReport:
    reference, out = Path(reference), check_new_dir(out)
    ref = require_valid(reference, "--reference")
    n_ref = len(ref["images"])
    if n_ref == 0:
        raise UserError(f"{reference}: the reference split has no images, so the {max_factor}x cap is 0")
    mapping = load_mapping(mapping_file)
    rep = ComposeReport(cap=int(np.floor(max_factor * n_ref)))

    # (split dir, data, prefix, category map) for every source; real first
    sources = []
    if include_real:
        sources.append((reference, ref, "real", {c["id"]: c["id"] for c in ref["categories"]}))
    for k, s in enumerate(synthetic):
        data = require_valid(s, "--synthetic")
        sources.append((Path(s), data, f"syn{k + 1}", category_map(data, ref["categories"], mapping, str(s))))

    picks = [list(range(len(d["images"]))) for _, d, _, _ in sources]
    n_real = len(ref["images"]) if include_real else 0
    n_syn = sum(len(p) for p in picks) - n_real
    if n_real + n_syn > rep.cap:
        room = rep.cap - n_real
        if sample_seed is None:
            raise UserError(f"{n_real + n_syn} images ({n_real} real + {n_syn} synthetic) exceed the cap of "
                            f"{rep.cap} = {max_factor} x {n_ref} reference images; pass --sample SEED to keep a "
                            f"random {max(room, 0)} synthetic images")
        if room < 0:
            raise UserError(f"the real images alone ({n_real}) exceed the cap of {rep.cap}")
        flat = [(i, j) for i, p in enumerate(picks) if sources[i][2] != "real" for j in p]
        rng = seeding.stream(sample_seed, "compose")
        keep = set(map(tuple, np.asarray(flat)[np.sort(rng.choice(len(flat), room, replace=False))].tolist()))
        rep.synthetic_dropped = len(flat) - room
        picks = [p if sources[i][2] == "real" else [j for j in p if (i, j) in keep] for i, p in enumerate(picks)]

    with building(out) as tmp:
        _write(tmp, reference, ref, sources, picks, link, rep)
        check = validate_split(tmp, reference=reference, max_factor=max_factor)
        if not check.ok:  # the inputs passed: this is a bug, and nothing is written
            raise RunFailed(f"the composed split fails validation, nothing written: {check.errors[0]}"
                            + (f" (and {len(check.errors) - 1} more)" if len(check.errors) > 1 else ""))
    return rep


def _write(tmp: Path, reference: Path, ref: dict, sources: list, picks: list, link: bool,
           rep: ComposeReport) -> None:
    coco = CocoWriter(tmp, ref["categories"], {"description": f"composed by defectsynth for {reference}"})
    for (src_dir, data, prefix, cmap), pick in zip(sources, picks, strict=True):
        by_image = annotations_by_image(data)
        for j in pick:
            img = data["images"][j]
            name = f"{prefix}__{img['file_name'].replace('/', '__')}"
            _place_file(src_dir / img["file_name"], inside(tmp, name), link)
            image_id = coco.add_image(name, img["width"], img["height"])
            for a in by_image.get(img["id"], []):
                coco.add_annotation(image_id, cmap[a["category_id"]], a["segmentation"], a["area"], a["bbox"],
                                    a.get("iscrowd", 0))
            if prefix == "real":
                rep.real_images += 1
            else:
                rep.synthetic_images += 1
    rep.annotations = coco.n_annotations
    coco.close()
