"""Sensor effects: deterministic from the spec, and each does what it says."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from render.config import SensorRecipe
from render.sampling.scene import sample_sensor
from render.sensor import apply_noise, apply_optics
from render.spec import Sensor

OFF = Sensor(blur=0.0, vignetting=0.0, noise=0.0, shot_noise=0.0, jpeg_quality=100, seed=1)


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    img = np.full((96, 128, 3), 140, np.uint8)
    img[40:56, 20:100] = rng.integers(0, 255, (16, 80, 3))
    return img


def test_all_off_is_the_identity(image):
    assert np.array_equal(apply_noise(apply_optics(image, OFF), OFF, False), image)


def test_vignetting_darkens_the_corners_not_the_centre():
    flat = np.full((101, 101, 3), 200, np.uint8)
    out = apply_optics(flat, replace(OFF, vignetting=0.4))
    assert out[50, 50, 0] == 200 and out[0, 0, 0] == 120  # 200 * (1 - 0.4)


def test_blur_softens_edges(image):
    out = apply_optics(image, replace(OFF, blur=1.5))
    assert np.abs(np.diff(out.astype(int), axis=1)).max() < np.abs(np.diff(image.astype(int), axis=1)).max()


def test_noise_has_the_requested_std_and_is_seeded():
    flat = np.full((200, 200, 3), 128, np.uint8)
    s = replace(OFF, noise=4.0)
    a, b = apply_noise(flat, s, False), apply_noise(flat, s, False)
    assert np.array_equal(a, b)
    assert 3.7 < a.astype(float).std() < 4.3
    assert not np.array_equal(a, apply_noise(flat, replace(s, seed=2), False))


def test_mono_noise_is_grey_and_shot_noise_grows_with_signal():
    dark, bright = np.full((200, 200, 3), 20, np.uint8), np.full((200, 200, 3), 230, np.uint8)
    s = replace(OFF, shot_noise=8.0)
    d, b = apply_noise(dark, s, True), apply_noise(bright, s, True)
    assert np.array_equal(d[..., 0], d[..., 2])
    assert b.astype(float).std() > 2 * d.astype(float).std()


def test_jpeg_changes_the_image_a_little(image):
    out = apply_noise(image, replace(OFF, jpeg_quality=60), False)
    diff = np.abs(out.astype(int) - image)
    assert diff.max() > 0 and diff.mean() < 8


def test_sampled_values_stay_in_the_ranges():
    rec = SensorRecipe(blur=(0.2, 0.8), noise=(1, 3), jpeg_quality=(70, 95))
    for seed in range(20):
        s = sample_sensor(np.random.default_rng(seed), SimpleNamespace(sensor=rec))
        assert 0.2 <= s.blur <= 0.8 and 1 <= s.noise <= 3 and 70 <= s.jpeg_quality <= 95
        assert s.vignetting == 0 and s.shot_noise == 0
