"""Split statistics (render.dataset.measure) and the fit's searches, on images with known answers."""

import cv2
import numpy as np
import pytest
import yaml
from splits import toy_split

from render.config import load_scene
from render.dataset.coco import CocoWriter, categories_from_names, encode_instance
from render.dataset.measure import blur_sigma, compare, instance_shape, measure_split, noise_sigma
from render.errors import UserError


def _patches(seed=0, size=240):
    """Flat patches with sharp edges between them."""
    rng = np.random.default_rng(seed)
    return cv2.resize(rng.integers(40, 220, (12, 12)).astype(np.float64), (size, size),
                      interpolation=cv2.INTER_NEAREST)


def test_noise_estimate_recovers_added_noise_and_ignores_texture():
    rng = np.random.default_rng(0)
    for sigma in (2.0, 5.0, 10.0):
        noisy = np.clip(_patches() + rng.normal(0, sigma, (240, 240)), 0, 255)
        assert noise_sigma(noisy) == pytest.approx(sigma, rel=0.1)
    streaks = np.tile(60 * (np.arange(240) % 3 == 0), (240, 1)).astype(float)  # fine grinding marks
    textured = _patches() + cv2.GaussianBlur(streaks, (0, 0), 0.8) * (np.arange(240) < 160)[:, None]
    assert noise_sigma(textured + rng.normal(0, 3, textured.shape)) == pytest.approx(3, rel=0.15)


def test_blur_estimate_adds_in_squares():
    """Zhuo-Sim at edges: a sharp step reads ~0.8 px, a blur s on top of it sqrt(0.8^2 + s^2)."""
    sharp = blur_sigma(_patches())
    assert 0.5 < sharp < 1.0
    for s in (1.0, 1.5, 2.0, 3.0):
        assert blur_sigma(cv2.GaussianBlur(_patches(), (0, 0), s)) == pytest.approx(np.hypot(sharp, s), rel=0.1)


def test_instance_shape_of_bars():
    m = np.zeros((100, 200), bool)
    m[40:44, 20:120] = True  # horizontal bar, 100 x 4
    s = instance_shape(m)
    assert s["area"] == 400 and s["aspect"] == pytest.approx(25, rel=0.05)
    assert min(s["orientation"], 180 - s["orientation"]) < 1
    assert s["x"] == pytest.approx(70 / 200) and s["border"] == 20  # centre of pixels 20..119
    v = instance_shape(m.T.copy())
    assert v["orientation"] == pytest.approx(90, abs=1)


def _split_with(tmp_path, name, masks_per_image, size=(120, 100), value=100):
    root = tmp_path / name
    root.mkdir()
    coco = CocoWriter(root, categories_from_names(["pit", "crack"]))
    w, h = size
    for i, masks in enumerate(masks_per_image):
        img = np.full((h, w, 3), value, np.uint8)
        cv2.imwrite(str(root / f"{i}.png"), img)
        image_id = coco.add_image(f"{i}.png", w, h)
        for cat, m in masks:
            img[m] = 20
            coco.add_annotation(image_id, cat, *encode_instance(m, "rle"))
        cv2.imwrite(str(root / f"{i}.png"), img)
    coco.close()
    return root


def _disc(size, r, c=(50, 60)):
    h, w = size[1], size[0]
    y, x = np.mgrid[0:h, 0:w]
    return (x - c[1]) ** 2 + (y - c[0]) ** 2 <= r * r


def test_measure_and_compare_two_splits(tmp_path):
    size = (120, 100)
    small = _split_with(tmp_path, "small",
                        [[(1, _disc(size, 3))], [(1, _disc(size, 4)), (2, _disc(size, 2, (20, 20)))]])
    large = _split_with(tmp_path, "large", [[(1, _disc(size, 12))], [(1, _disc(size, 14))]])
    s, t = measure_split(small, progress=False), measure_split(large, progress=False)
    assert s.category_counts() == {"pit": 2, "crack": 1} and s.values("instances_per_image").tolist() == [1, 2]
    assert s.is_grey() and s.values("defect_contrast", "pit").max() < -50  # dark discs on grey
    d = compare(s, t)
    assert d["pit.area"] > 0.8  # log10 of the areas: ~1 decade apart
    assert compare(s, s)["pit.area"] == 0 and compare(s, s)["category_frequency"] == 0


def test_fit_look_recovers_exposure_blur_and_noise(tmp_path):
    """The 'real' split is the clean images made darker, blurred and noisy by known amounts."""
    from render.colour import linear_to_srgb, srgb_to_linear
    from render.fit import fit_look

    rng = np.random.default_rng(2)
    clean = [np.repeat(_patches(k, 160)[..., None], 3, -1).astype(np.uint8) for k in range(6)]
    root = tmp_path / "real"
    root.mkdir()
    coco = CocoWriter(root, categories_from_names(["x"]))
    for i, c in enumerate(clean):
        dark = np.rint(linear_to_srgb(srgb_to_linear(c / 255.0) * 0.5) * 255)  # -1 EV
        img = cv2.GaussianBlur(dark, (0, 0), 1.5) + rng.normal(0, 4.0, dark.shape)
        img = np.repeat(cv2.cvtColor(np.clip(np.rint(img), 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)[..., None],
                        3, -1)
        cv2.imwrite(str(root / f"{i}.png"), img)
        coco.add_image(f"{i}.png", 160, 160)
    coco.close()
    grey = [np.repeat(cv2.cvtColor(c, cv2.COLOR_BGR2GRAY)[..., None], 3, -1) for c in clean]
    look = fit_look(grey, measure_split(root, progress=False), grey=True)
    assert look["exposure"] == pytest.approx(-1.0, abs=0.25)
    assert look["blur"] == pytest.approx(1.5, abs=0.5)
    assert look["noise"] == pytest.approx(4.0, abs=1.5)


def test_adjust_defects_moves_sizes_weights_and_count_towards_the_reference(tmp_path):
    from render.config import SCENES_DIR
    from render.fit import _validate, adjust_defects

    size = (120, 100)
    real = measure_split(_split_with(tmp_path, "real", [[(1, _disc(size, 12))]] * 3 + [[(2, _disc(size, 3))]]),
                         progress=False)
    syn = measure_split(_split_with(tmp_path, "syn", [[(1, _disc(size, 4)), (2, _disc(size, 3, (20, 20)))]] * 4),
                        progress=False)
    data = {"name": "x", "categories": ["pit", "crack"], "parts": {"plate": {}},
            "defects": {"count": [2, 2], "pit": {"category": "pit", "radius": [0.2, 0.4]},
                        "crack": {"category": "crack"}}}
    recipe = _validate(data, SCENES_DIR / "x.yaml", SCENES_DIR)
    changes = adjust_defects(data, recipe, real, syn)
    assert data["defects"]["pit"]["radius"][0] > 0.2 * 2  # real pits are 3x wider
    assert data["defects"]["pit"]["weight"] > data["defects"]["crack"]["weight"]
    assert data["defects"]["count"] == [1, 1] and changes
    _validate(data, SCENES_DIR / "x.yaml", SCENES_DIR)  # still a valid recipe


def test_fit_refuses_a_recipe_for_other_categories(tmp_path):
    from render.fit import fit_recipe

    real = toy_split(tmp_path / "real", ["blowhole", "crack"], 2)
    scene = tmp_path / "s.yaml"
    scene.write_text(yaml.safe_dump({"name": "s", "categories": ["scratch"], "parts": {"plate": {}},
                                     "defects": {"scratch": {}}}))
    load_scene(scene)
    with pytest.raises(UserError, match="do not match the reference"):
        fit_recipe(real, scene, tmp_path / "work")
