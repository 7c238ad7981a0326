import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_util
from pycocotools.coco import COCO

from render.dataset.coco import CocoWriter, categories_from_names, encode_instance, segmentation_to_rle
from render.dataset.validate import validate_split


def blob(h=40, w=60):
    m = np.zeros((h, w), bool)
    m[10:20, 5:30] = True
    m[15:30, 25:28] = True
    return m


@pytest.mark.parametrize("mode", ["rle", "polygon"])
def test_area_and_bbox_are_those_of_the_decoded_mask(mode):
    m = blob()
    segm, area, bbox = encode_instance(m, mode)
    decoded = mask_util.decode(segmentation_to_rle(segm, *m.shape))
    assert area == decoded.sum()
    ys, xs = np.nonzero(decoded)
    assert bbox == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
    if mode == "rle":
        assert (decoded.astype(bool) == m).all()  # RLE is pixel exact
    else:
        assert all(len(p) >= 6 for p in segm)
        assert abs(int(decoded.sum()) - int(m.sum())) <= 0.25 * m.sum()


def make_split(tmp_path, mutate=None, mode="rle"):
    split = tmp_path / "train"
    split.mkdir()
    coco = CocoWriter(split, categories_from_names(["scratch", "dent"]))
    for i in range(2):
        Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(split / f"{i:06d}.png")
        image_id = coco.add_image(f"{i:06d}.png", 60, 40)
        coco.add_annotation(image_id, 1, *encode_instance(blob(), mode))
    data = json.loads(coco.close().read_text())
    if mutate:
        mutate(data)
    (split / "_annotations.coco.json").write_text(json.dumps(data))
    return split


@pytest.mark.parametrize("mode", ["rle", "polygon"])
def test_a_good_split_validates_and_loads(tmp_path, mode):
    split = make_split(tmp_path, mode=mode)
    rep = validate_split(split)
    assert rep.ok, rep.errors
    coco = COCO(str(split / "_annotations.coco.json"))
    assert len(coco.getAnnIds()) == 2 and coco.loadCats(1)[0]["name"] == "scratch"


TRAPS = {
    "category id 0": (lambda d: d["categories"][0].update(id=0), "category id 0"),
    "area as a list": (lambda d: d["annotations"][0].update(area=[12]), "area must be a number"),
    "width/height swapped": (lambda d: d["images"][0].update(width=40, height=60), "swapped"),
    "missing image file": (lambda d: d["images"][0].update(file_name="nope.png"), "not found"),
    "duplicate annotation id": (lambda d: d["annotations"][1].update(id=1), "duplicate id"),
    "unknown category": (lambda d: d["annotations"][0].update(category_id=9), "not a known category"),
    "RLE size": (lambda d: d["annotations"][0]["segmentation"].update(size=[10, 10]), "RLE size"),
    "2-point polygon": (lambda d: d["annotations"][0].update(segmentation=[[1, 1, 5, 5]]), ">= 3"),
    "polygon outside": (lambda d: d["annotations"][0].update(segmentation=[[1, 1, 80, 5, 5, 9]]), "outside"),
    "bbox off": (lambda d: d["annotations"][0].update(bbox=[0, 0, 5, 5]), "does not match"),
    "area off": (lambda d: d["annotations"][0].update(area=5), "pixels"),
}


@pytest.mark.parametrize("trap", sorted(TRAPS))
def test_validate_catches_known_traps(tmp_path, trap):
    mutate, message = TRAPS[trap]
    rep = validate_split(make_split(tmp_path, mutate))
    assert not rep.ok
    assert any(message in e for e in rep.errors), rep.errors


def test_images_without_annotations_are_counted(tmp_path):
    split = make_split(tmp_path, lambda d: d["annotations"].pop())
    rep = validate_split(split)
    assert rep.ok and rep.images_without_annotations == 1 and "filter_empty_gt" in rep.warnings[0]


def test_the_writer_streams_the_canonical_json(tmp_path):
    """CocoWriter's file is byte for byte dumps() of the whole split, empty lists included."""
    from render.spec import dumps

    cats = categories_from_names(["scratch", 'odd "name"'])
    for n_images in (0, 1, 3):
        coco = CocoWriter(tmp_path, cats, {"description": "x"} if n_images else None)
        images, anns = [], []
        for i in range(n_images):
            image_id = coco.add_image(f"{i}.png", 60, 40, source={"file_name": "a.png", "x": i, "y": 0})
            images.append({"id": image_id, "file_name": f"{i}.png", "width": 60, "height": 40,
                           "source": {"file_name": "a.png", "x": i, "y": 0}})
            for k in range(i):
                segm, area, bbox = encode_instance(blob(), "polygon" if k % 2 else "rle")
                ann_id = coco.add_annotation(image_id, 1, segm, area, bbox, source_id=7)
                anns.append({"id": ann_id, "image_id": image_id, "category_id": 1, "segmentation": segm,
                             "area": area, "bbox": bbox, "iscrowd": 0, "source_id": 7})
        text = coco.close().read_text()
        assert text == dumps({"info": {"description": "x"} if n_images else {}, "licenses": [],
                              "categories": cats, "images": images, "annotations": anns})
