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


def _blue_plate_with_brown_stain():
    """BGR image of blue paint with a rust-brown square of the same grey level, and its mask."""
    import cv2

    blue = np.zeros((64, 64, 3), np.uint8)
    blue[...] = (170, 110, 60)
    mask = np.zeros((64, 64), bool)
    mask[20:44, 20:44] = True
    grey_of_blue = cv2.cvtColor(blue[:1, :1], cv2.COLOR_BGR2GRAY)[0, 0]
    brown = np.array([40.0, 90.0, 0.0])
    brown[2] = (grey_of_blue - 0.114 * brown[0] - 0.587 * brown[1]) / 0.299  # same 0.114 B + 0.587 G + 0.299 R
    stain = blue.copy()
    stain[mask] = np.clip(np.rint(brown), 0, 255).astype(np.uint8)
    return stain, mask


def test_a_change_of_hue_at_equal_brightness_is_visible():
    """A rust-brown stain on blue paint can be as bright as the paint: grey alone misses it."""
    import cv2

    stain, mask = _blue_plate_with_brown_stain()
    threshold = load_quality("preview").min_contrast
    assert compute_contrast(cv2.cvtColor(stain, cv2.COLOR_BGR2GRAY), mask) < threshold
    assert compute_contrast(stain, mask) >= 4 * threshold


def test_a_grey_image_scores_the_same_in_one_channel_or_three():
    base, mask = surface(), line_mask()
    img = base.copy()
    img[31, 10:50] += 25
    three = np.repeat(img[..., None], 3, axis=2)
    assert compute_contrast(three, mask) == compute_contrast(img, mask)


def _frame(tmp_path, image, masks):
    """A frame directory as the renderer leaves it: ids.exr (defect ids, part index) + manifest."""
    import json

    import OpenEXR

    defect = np.zeros(image.shape[:2], np.float32)
    for i, m in enumerate(masks, 1):
        defect[m] = i
    OpenEXR.File({"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage},
                 {"defect": defect, "object": np.ones_like(defect)}).write(str(tmp_path / "ids.exr"))
    (tmp_path / "manifest.json").write_text(json.dumps({
        "files": {"ids": "ids.exr"}, "id_channels": {"defect": "defect", "object": "object"},
        "part_pass_index": 1, "instances": [{"id": i, "category": f"d{i}"} for i in range(1, len(masks) + 1)]}))
    return tmp_path


def test_a_rendered_frame_keeps_a_stain_seen_only_in_colour(tmp_path):
    """compute_instances judges a colour frame in colour, not by its grey levels."""
    from render.postprocess import compute_instances

    stain, mask = _blue_plate_with_brown_stain()
    q = load_quality("preview")
    kept, dropped = compute_instances(_frame(tmp_path, stain, [mask]), stain, q.min_area, q.min_contrast)
    assert [k.category for k in kept] == ["d1"] and not dropped
    assert (kept[0].mask == mask).all()


def test_a_neighbouring_stain_does_not_make_an_invisible_scratch_visible(tmp_path):
    """The surface a scratch interrupts is the paint beside it, not the stain next to it; a
    scratch across the stain interrupts the stain."""
    from render.postprocess import compute_instances

    stain, mask = _blue_plate_with_brown_stain()
    beside = np.zeros_like(mask)
    beside[45:47, 22:42] = True  # a groove that left the paint as it was, touching the stain's edge
    across = np.zeros_like(mask)
    across[30:32, 22:42] = True  # a groove through the stain, showing the paint
    image = stain.copy()
    image[across] = (170, 110, 60)
    q = load_quality("preview")
    kept, dropped = compute_instances(_frame(tmp_path, image, [mask & ~across, beside, across]), image,
                                      q.min_area, q.min_contrast)
    assert sorted(k.category for k in kept) == ["d1", "d3"] and dropped["low_contrast"] == 1
