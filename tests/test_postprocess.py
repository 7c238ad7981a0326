import numpy as np

from render.config import load_quality
from render.postprocess import compute_contrast


def surface(h=64, w=64):
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:h, :w]
    return np.clip(100 + 0.8 * x + 0.3 * y + rng.normal(0, 1.0, (h, w)), 0, 255).astype(np.uint8)


def line_mask(h=64, w=64):
    m = np.zeros((h, w), bool)
    m[30:34, 10:50] = True  # a groove 4 px wide
    return m


def test_a_visible_thin_line_scores_high_and_an_invisible_one_low():
    base, mask = surface(), line_mask()
    visible = base.copy()
    visible[31, 10:50] += 25  # a 1 px highlight inside the groove mask
    faint = base.copy()
    faint[30:34, 10:50] += 1  # one grey level: nobody sees it
    threshold = load_quality("preview").min_contrast
    assert compute_contrast(visible, mask) >= 4 * threshold
    assert compute_contrast(faint, mask) < threshold
    assert compute_contrast(base, mask) < threshold
