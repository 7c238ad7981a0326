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
        out[iou_type]["matches"] = _matches(ev, coco_gt)
    return out


def _matches(ev: COCOeval, coco_gt: COCO, score: float = 0.5) -> dict[str, dict[str, int]]:
    """Per category, at IoU 0.5 over all areas: detections scored >= `score` that match a ground
    truth instance (tp) or none (fp), and ground truth instances no such detection matches (fn)."""
    out = {}
    area_all = ev.params.areaRng[0]
    for e in ev.evalImgs:
        if e is None or e["aRng"] != area_all:
            continue
        name = coco_gt.cats[e["category_id"]]["name"]
        c = out.setdefault(name, {"tp": 0, "fp": 0, "fn": 0})
        keep = np.asarray(e["dtScores"]) >= score
        matched = np.asarray(e["dtMatches"][0]) > 0 if len(e["dtMatches"]) else np.zeros(0, bool)
        ignored = np.asarray(e["dtIgnore"][0], bool) if len(e["dtIgnore"]) else np.zeros(0, bool)
        c["tp"] += int((keep & matched & ~ignored).sum())
        c["fp"] += int((keep & ~matched & ~ignored).sum())
        gt_found = set(np.asarray(e["dtMatches"][0])[keep & matched].astype(int).tolist()) if len(keep) else set()
        c["fn"] += sum(1 for g, ig in zip(e["gtIds"], e["gtIgnore"], strict=True) if not ig and g not in gt_found)
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
