"""The fast proxy: a small U-Net trained from scratch on crops, its class maps cut into instances.

Not Mask R-CNN: a semantic segmenter whose per-class probability maps become instances by
connected components above a threshold (score = mean probability of the component), scored by the
same COCOeval.
It learns the same thing that matters here (where the defect pixels are and what class they
are), trains in minutes on 2 CPU cores, and so can rank training sets; touching instances of
one class merge into one, which Mask R-CNN would separate.
"""

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from render.evaluate.data import Sample, semantic_map


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.GroupNorm(min(8, cout), cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.GroupNorm(min(8, cout), cout), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    def __init__(self, n_classes: int, base: int = 16, depth: int = 4):
        super().__init__()
        ch = [base * 2**i for i in range(depth)]
        self.down = nn.ModuleList([_block(3 if i == 0 else ch[i - 1], c) for i, c in enumerate(ch)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(ch[i], ch[i - 1], 2, stride=2) for i in range(depth - 1, 0, -1)])
        self.dec = nn.ModuleList([_block(2 * ch[i - 1], ch[i - 1]) for i in range(depth - 1, 0, -1)])
        self.head = nn.Conv2d(ch[0], n_classes, 1)
        self.stride = 2 ** (depth - 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips[:-1]), strict=True):
            x = dec(torch.cat([up(x), skip], 1))
        return self.head(x)


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    """(B, H, W, 3) uint8 BGR -> (B, 3, H, W) float, roughly zero mean."""
    return torch.from_numpy(images[..., ::-1].copy()).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def _crop(rng: np.random.Generator, image: np.ndarray, target: np.ndarray, size: int, fg_bias: float = 0.5):
    """A size x size crop, centred on a defect pixel half of the time; reflect-padded if small."""
    h, w = target.shape
    if h < size or w < size:
        ph, pw = max(0, size - h), max(0, size - w)
        image = cv2.copyMakeBorder(image, 0, ph, 0, pw, cv2.BORDER_REFLECT)
        target = np.pad(target, ((0, ph), (0, pw)))
        h, w = target.shape
    fg = np.argwhere(target > 0)
    if len(fg) and rng.random() < fg_bias:
        cy, cx = fg[rng.integers(len(fg))]
        y0 = int(np.clip(cy - size // 2 + rng.integers(-size // 4, size // 4 + 1), 0, h - size))
        x0 = int(np.clip(cx - size // 2 + rng.integers(-size // 4, size // 4 + 1), 0, w - size))
    else:
        y0, x0 = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    im, tg = image[y0:y0 + size, x0:x0 + size], target[y0:y0 + size, x0:x0 + size]
    if rng.random() < 0.5:
        im, tg = im[:, ::-1], tg[:, ::-1]
    if rng.random() < 0.5:
        im, tg = im[::-1], tg[::-1]
    return im, tg


def train_unet(train: list[Sample], n_classes: int, iters: int, size: int, seed: int, batch: int = 8,
               lr: float = 2e-3, weights: str | None = None, log=None) -> UNet:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = UNet(n_classes + 1)
    if weights:
        model.load_state_dict(torch.load(weights, map_location="cpu"), strict=False)
    targets = [semantic_map(s) for s in train]
    # rare classes weigh more (inverse square root of pixel frequency)
    counts = np.bincount(np.concatenate([t.ravel() for t in targets]), minlength=n_classes + 1).astype(float)
    cw = torch.tensor(1 / np.sqrt(np.maximum(counts, 1) / counts.sum()), dtype=torch.float32)
    cw = cw / cw.mean()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(iters, 1), pct_start=0.1)
    model.train()
    for it in range(iters):
        idx = rng.integers(len(train), size=batch)
        crops = [_crop(rng, train[i].image, targets[i], size) for i in idx]
        x = _to_tensor(np.stack([c[0] for c in crops]))
        y = torch.from_numpy(np.stack([c[1] for c in crops]).copy())
        loss = F.cross_entropy(model(x), y, weight=cw)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if log and (it % 50 == 0 or it == iters - 1):
            log(it, loss.item())
    return model


@torch.no_grad()
def predict_unet(model: UNet, image: np.ndarray, min_area: int = 32,
                 threshold: float = 0.3) -> list[tuple[int, np.ndarray, float]]:
    """(label, mask, score) instances of one image: connected components of each class's
    probability above `threshold`, score = their mean probability.

    Per-class thresholds, not an argmax: measured on magnetic_tile (same model, real train ->
    val), argmax gave segm AP 0.0045, thresholding the defect probability 0.0030, and per-class
    0.3 0.0188 (0.2: 0.0145, 0.5: 0.0031); components under 32 px are mostly noise.
    """
    model.eval()
    h, w = image.shape[:2]
    s = model.stride
    ph, pw = (-h) % s, (-w) % s
    padded = cv2.copyMakeBorder(image, 0, ph, 0, pw, cv2.BORDER_REFLECT)
    prob = F.softmax(model(_to_tensor(padded[None])), 1)[0, :, :h, :w].numpy()
    out = []
    for label in range(1, prob.shape[0]):
        n, comp = cv2.connectedComponents((prob[label] > threshold).astype(np.uint8), connectivity=8)
        for k in range(1, n):
            m = comp == k
            if m.sum() >= min_area:
                out.append((label, m, float(prob[label][m].mean())))
    return out
