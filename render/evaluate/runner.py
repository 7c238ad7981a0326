"""`defectsynth evaluate`: train on the union of train splits, score on a real val split."""

import time
from pathlib import Path

import cv2
import numpy as np

from render.dataset.coco import encode_instance
from render.dataset.measure import is_grey
from render.dataset.preview import draw_overlay
from render.dataset.validate import require_valid
from render.errors import UserError
from render.evaluate import require_torch
from render.evaluate.data import load_samples
from render.evaluate.metrics import evaluate_predictions
from render.files import write_atomic
from render.spec import dumps


def evaluate(train_splits: list[Path], val_split: Path, out: Path, model: str = "unet", seed: int = 0,
             iters: int = 1500, size: int = 128, weights: str | None = None, overlays: int = 4,
             log=print, max_side: int = 1024) -> dict:
    """Train `model` on the union of `train_splits`, score it on `val_split` with COCOeval.

    Images keep their native resolution up to `max_side` (the kit's own resize is 1024), so
    defects of a few pixels stay a few pixels. Grey datasets train on one channel.
    """
    require_torch("evaluate" if model == "unet" else "evaluate --model maskrcnn", vision=model == "maskrcnn")

    val_split = Path(val_split)
    train_splits = [Path(s) for s in train_splits]
    for s in train_splits:
        if s.resolve() == val_split.resolve():
            raise UserError(f"{s} is both a train and the val split: train and val must never mix")
    val_data = require_valid(val_split, "--val")
    for s in train_splits:
        require_valid(s, "--train")
    names = [c["name"] for c in val_data["categories"]]
    t0 = time.perf_counter()
    train = [smp for s in train_splits for smp in load_samples(s, names, max_side=max_side)]
    if not any(len(s.labels) for s in train):
        raise UserError("the train splits hold no annotation to learn from")
    val = load_samples(val_split, names, max_side=max_side)

    def progress(it, loss):
        log(f"iter {it}/{iters} loss {loss:.4f}")

    if model == "unet":
        from render.evaluate.unet import predict_unet as predict
        from render.evaluate.unet import train_unet

        channels = 1 if all(is_grey(smp.image) for smp in train + val) else 3
        net = train_unet(train, len(names), iters, size, seed, channels=channels, weights=weights, log=progress)
    elif model == "maskrcnn":
        from render.evaluate.maskrcnn import predict_maskrcnn as predict
        from render.evaluate.maskrcnn import train_maskrcnn

        net = train_maskrcnn(train, len(names), iters, size, seed, weights=weights, log=progress)
    else:
        raise UserError(f"unknown --model {model!r} (unet, maskrcnn)")
    train_s = time.perf_counter() - t0
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    import torch

    torch.save(net.state_dict(), out / "weights.pt")  # for --weights, or to look again at what it learned

    # predictions at the val images' own resolution
    cat_ids = [c["id"] for c in val_data["categories"]]
    preds = []
    for k, (img, smp) in enumerate(zip(val_data["images"], val, strict=True)):
        found = predict(net, smp.image)
        for label, m, score in found:
            if m.shape != (img["height"], img["width"]):
                m = cv2.resize(m.astype(np.uint8), (img["width"], img["height"]), interpolation=cv2.INTER_NEAREST) > 0
            if m.any():
                segm, _, bbox = encode_instance(m, "rle")
                preds.append({"image_id": img["id"], "category_id": cat_ids[label - 1], "segmentation": segm,
                              "bbox": bbox, "score": score})
        if k < overlays:
            full = cv2.imread(str(val_split / img["file_name"]), cv2.IMREAD_COLOR)
            mine = [p for p in preds if p["image_id"] == img["id"] and p["score"] >= 0.3]
            cv2.imwrite(str(out / f"pred_{k + 1:02d}.png"),
                        draw_overlay(full, mine, {c["id"]: c["name"] for c in val_data["categories"]}))
    metrics = evaluate_predictions(val_data, preds)
    result = {"model": model, "seed": seed, "iters": iters, "size": size,
              "train": [str(s) for s in train_splits], "val": str(val_split),
              "train_images": len(train), "val_images": len(val), "predictions": len(preds),
              "train_s": train_s, "total_s": time.perf_counter() - t0, **metrics}
    write_atomic(out / "metrics.json", dumps(result))
    write_atomic(out / "predictions.json", dumps(preds))  # COCO results format, for a closer look
    return result

