"""COCO segm and bbox metrics through pycocotools' COCOeval, as the kit scores submissions."""

import contextlib
import copy
import io

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

STAT_NAMES = ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large"]


def coco_from_dict(data: dict) -> COCO:
    coco = COCO()
    coco.dataset = copy.deepcopy(data)
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def evaluate_predictions(gt: dict, predictions: list[dict]) -> dict:
    """{'segm': {AP, AP50, ...}, 'bbox': {...}} for predictions in COCO results format.

    Each prediction: image_id, category_id, score, segmentation (RLE with str counts); bbox
    is derived from the mask when absent. No prediction at all scores 0, not an error.
    """
    coco_gt = coco_from_dict(gt)
    out = {}
    for iou_type in ("segm", "bbox"):
        if not predictions:
            out[iou_type] = {k: 0.0 for k in STAT_NAMES}
            out[iou_type]["per_category"] = {coco_gt.cats[c]["name"]: 0.0
                                              for c in sorted({a["category_id"] for a in gt["annotations"]})}
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            coco_dt = coco_gt.loadRes(copy.deepcopy(predictions))
            ev = COCOeval(coco_gt, coco_dt, iou_type)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        # COCOeval reports -1 where a metric has no ground truth (e.g. no small objects)
        out[iou_type] = {k: float(max(v, 0.0)) for k, v in zip(STAT_NAMES, ev.stats[:6], strict=True)}
        out[iou_type]["per_category"] = _per_category_ap(ev, coco_gt)
    return out


def _per_category_ap(ev: COCOeval, coco_gt: COCO) -> dict[str, float]:
    """AP (IoU .50:.95, all areas, 100 detections) of each category with ground truth."""
    precision = ev.eval["precision"]  # (iou, recall, category, area, max detections)
    out = {}
    for k, cat_id in enumerate(ev.params.catIds):
        p = precision[:, :, k, 0, -1]
        if (p > -1).any():
            out[coco_gt.cats[cat_id]["name"]] = float(p[p > -1].mean())
    return out


def mean_std(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
