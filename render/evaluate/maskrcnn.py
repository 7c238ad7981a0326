"""torchvision Mask R-CNN R50-FPN, trained the way the VISION23 kit trains its MMDetection model.

SGD lr 0.0016, momentum 0.9, weight decay 1e-4, batch 2, linear warm-up, lr x0.1 at 67% and
92% of the iterations, resize keeping the aspect ratio (long side = size), random flip. No
pretrained weights can be downloaded here: the ResNet-50 trains from scratch with GroupNorm
(BatchNorm statistics are useless at batch 2); a local weights file can be given instead.
For a GPU; on a CPU only as a smoke test.
"""

import numpy as np
import torch
from torch import nn

from render.evaluate.data import Sample


def build_maskrcnn(n_classes: int, size: int, weights: str | None = None):
    from torchvision.models import resnet50
    from torchvision.models.detection import MaskRCNN
    from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor

    backbone = _resnet_fpn_extractor(resnet50(weights=None, norm_layer=lambda c: nn.GroupNorm(32, c)), 5)
    model = MaskRCNN(backbone, num_classes=n_classes + 1, min_size=size, max_size=size)
    if weights:
        state = torch.load(weights, map_location="cpu")
        missing, unexpected = model.load_state_dict(state, strict=False)
        if len(missing) == len(model.state_dict()):
            raise ValueError(f"{weights}: no parameter matches this Mask R-CNN")
    return model


def _target(s: Sample, flip: bool, device) -> tuple[torch.Tensor, dict]:
    img = s.image[..., ::-1]
    masks = s.masks
    if flip:
        img, masks = img[:, ::-1], masks[:, :, ::-1]
    keep = masks.reshape(len(masks), -1).any(1) if len(masks) else np.zeros(0, bool)
    masks = masks[keep]
    boxes = np.zeros((len(masks), 4), np.float32)
    for k, m in enumerate(masks):
        ys, xs = np.nonzero(m)
        boxes[k] = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    x = torch.from_numpy(img.copy()).permute(2, 0, 1).float().div(255).to(device)
    t = {"boxes": torch.from_numpy(boxes).to(device), "labels": torch.from_numpy(s.labels[keep]).to(device),
         "masks": torch.from_numpy(masks.astype(np.uint8).copy()).to(device)}
    return x, t


def lr_at(it: int, iters: int, base: float = 0.0016, warmup: int = 500, ratio: float = 0.001) -> float:
    warm = min(warmup, max(iters // 10, 1))
    f = ratio + (1 - ratio) * it / warm if it < warm else 1.0
    return base * f * (0.1 if it >= 0.67 * iters else 1) * (0.1 if it >= 0.92 * iters else 1)


def train_maskrcnn(train: list[Sample], n_classes: int, iters: int, size: int, seed: int,
                   weights: str | None = None, log=None, device: str | None = None):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    model = build_maskrcnn(n_classes, size, weights).to(device)
    with_gt = [s for s in train if len(s.labels)]
    opt = torch.optim.SGD(model.parameters(), lr=lr_at(0, iters), momentum=0.9, weight_decay=1e-4)
    model.train()
    for it in range(iters):
        for g in opt.param_groups:
            g["lr"] = lr_at(it, iters)
        batch = [_target(with_gt[i], rng.random() < 0.5, device) for i in rng.integers(len(with_gt), size=2)]
        losses = model([b[0] for b in batch], [b[1] for b in batch])
        loss = sum(losses.values())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if log and (it % 50 == 0 or it == iters - 1):
            log(it, loss.item())
    return model


@torch.no_grad()
def predict_maskrcnn(model, image: np.ndarray, score_thr: float = 0.05) -> list[tuple[int, np.ndarray, float]]:
    model.eval()
    device = next(model.parameters()).device
    x = torch.from_numpy(image[..., ::-1].copy()).permute(2, 0, 1).float().div(255).to(device)
    out = model([x])[0]
    res = []
    for label, m, score in zip(out["labels"].cpu().numpy(), out["masks"].cpu().numpy(), out["scores"].cpu().numpy(),
                               strict=True):
        if score >= score_thr:
            res.append((int(label), m[0] > 0.5, float(score)))
    return res
