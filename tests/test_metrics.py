import json

import numpy as np
from pycocotools import mask as mask_util
from splits import toy_split

from render.dataset.coco import segmentation_to_rle
from render.evaluate.metrics import evaluate_predictions


def gt_of(tmp_path):
    split = toy_split(tmp_path / "gt", ["crack", "fray"], 6, size=(120, 100))
    return json.loads((split / "_annotations.coco.json").read_text())


def as_prediction(ann, h, w, score=1.0):
    rle = segmentation_to_rle(ann["segmentation"], h, w)
    rle = {"size": rle["size"], "counts": rle["counts"].decode() if isinstance(rle["counts"], bytes) else rle["counts"]}
    return {"image_id": ann["image_id"], "category_id": ann["category_id"], "segmentation": rle, "score": score}


def test_perfect_predictions_score_one(tmp_path):
    gt = gt_of(tmp_path)
    preds = [as_prediction(a, 100, 120) for a in gt["annotations"]]
    m = evaluate_predictions(gt, preds)
    assert m["segm"]["AP"] > 0.99 and m["bbox"]["AP"] > 0.99 and m["segm"]["AP50"] > 0.99


def test_random_masks_score_about_zero(tmp_path):
    gt = gt_of(tmp_path)
    rng = np.random.default_rng(0)
    preds = []
    for img in gt["images"]:
        for _ in range(5):
            m = rng.random((img["height"], img["width"])) > 0.5
            rle = mask_util.encode(np.asfortranarray(m.astype(np.uint8)))
            rle["counts"] = rle["counts"].decode()
            preds.append({"image_id": img["id"], "category_id": int(rng.integers(1, 3)), "segmentation": rle,
                          "score": float(rng.random())})
    m = evaluate_predictions(gt, preds)
    assert m["segm"]["AP"] < 0.02 and m["segm"]["AP50"] < 0.05


def test_no_predictions_score_zero(tmp_path):
    assert evaluate_predictions(gt_of(tmp_path), [])["segm"]["AP"] == 0.0


def test_per_category_ap_and_matches_count_hits_misses_and_false_alarms(tmp_path):
    gt = gt_of(tmp_path)
    anns = gt["annotations"]
    cracks = [a for a in anns if a["category_id"] == 1]
    fray = [a for a in anns if a["category_id"] == 2]
    # every crack found; one fray found, the others missed; one fray invented on an empty spot
    preds = [as_prediction(a, 100, 120) for a in cracks] + [as_prediction(fray[0], 100, 120)]
    empty = np.zeros((100, 120), bool)
    empty[0:3, 0:3] = True
    rle = mask_util.encode(np.asfortranarray(empty.astype(np.uint8)))
    rle["counts"] = rle["counts"].decode()
    preds.append({"image_id": fray[0]["image_id"], "category_id": 2, "segmentation": rle, "score": 0.9})
    m = evaluate_predictions(gt, preds)["segm"]
    assert m["per_category"]["crack"] > 0.99 and m["per_category"]["fray"] < 0.99
    assert m["matches"]["crack"] == {"tp": len(cracks), "fp": 0, "fn": 0}
    assert m["matches"]["fray"] == {"tp": 1, "fp": 1, "fn": len(fray) - 1}
