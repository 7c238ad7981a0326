"""Build the kit's MMDetection 2.x CocoDataset with its train pipeline over a split and load
every sample, checking masks against images and annotation counts. Runs in the mmdet venv.

    python tools/mmdet/check_dataset.py <split_dir>
"""

import json
import sys
from pathlib import Path

from mmdet.datasets import build_dataset

IMG_NORM = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
TRAIN_PIPELINE = [  # the VISION23 Track 2 kit's Mask R-CNN R50-FPN train pipeline
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations", with_bbox=True, with_mask=True),
    dict(type="Resize", img_scale=(1024, 1024), keep_ratio=True),
    dict(type="RandomFlip", flip_ratio=0.5),
    dict(type="Normalize", **IMG_NORM),
    dict(type="Pad", size_divisor=32),
    dict(type="DefaultFormatBundle"),
    dict(type="Collect", keys=["img", "gt_bboxes", "gt_labels", "gt_masks"]),
]


def main(split: Path) -> int:
    ann_file = split / "_annotations.coco.json"
    data = json.loads(ann_file.read_text())
    classes = tuple(c["name"] for c in data["categories"])  # the kit reads the class list from here
    ds = build_dataset(dict(type="CocoDataset", ann_file=str(ann_file), img_prefix=str(split) + "/",
                            classes=classes, pipeline=TRAIN_PIPELINE, filter_empty_gt=True))
    expected = {}
    for a in data["annotations"]:
        if not a.get("iscrowd", 0) and a["area"] > 0 and a["bbox"][2] >= 1 and a["bbox"][3] >= 1:
            expected[a["image_id"]] = expected.get(a["image_id"], 0) + 1
    problems, n_inst = [], 0
    for i in range(len(ds)):
        sample = ds[i]
        img = sample["img"].data
        masks = sample["gt_masks"].data
        boxes, labels = sample["gt_bboxes"].data, sample["gt_labels"].data
        info = ds.data_infos[i]
        where = f"{info['filename']}"
        if img.shape[1] % 32 or img.shape[2] % 32 or max(img.shape[1:]) < 1000:
            problems.append(f"{where}: image tensor {tuple(img.shape)} is not resized to 1024 and padded to 32")
        if masks.masks.shape[1:] != tuple(img.shape[1:]):
            problems.append(f"{where}: masks {masks.masks.shape[1:]} != image {tuple(img.shape[1:])}")
        if not (len(masks) == len(boxes) == len(labels) == expected.get(info["id"], -1)):
            problems.append(f"{where}: {len(masks)} masks, {len(boxes)} boxes, {len(labels)} labels, "
                            f"{expected.get(info['id'])} in the annotation file")
        if len(masks) and (masks.masks.reshape(len(masks), -1).sum(1) == 0).any():
            problems.append(f"{where}: an empty mask after the pipeline")
        if len(labels) and (labels.numpy() < 0).any() | (labels.numpy() >= len(classes)).any():
            problems.append(f"{where}: label outside 0..{len(classes) - 1}")
        n_inst += len(masks)
    for p in problems:
        print("PROBLEM", p)
    n_expected_images = sum(1 for i in data["images"] if expected.get(i["id"]))
    print(f"mmdet CocoDataset: {len(ds)} samples (of {len(data['images'])} images; {n_expected_images} with "
          f"annotations), {n_inst} instances, classes {classes}: {len(problems)} problems")
    ok = not problems and len(ds) == n_expected_images and n_inst == sum(expected.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
