"""The presets' render settings against the settings before them, on tiny frames: the masks (id
pass) stay byte-identical and the image stays as close to a 1024-spp reference (PSNR within
0.5 dB, whole frame and inside the defects). Speed is measured in bench/render_quality.py."""

import math

import numpy as np
import pytest

from render.cluster import Workers
from render.config import SCENES_DIR, load_quality, load_scene
from render.frames import frame_dir
from render.image_quality import BEFORE, REFERENCE, compare_frames, frame_ids, psnr
from render.pipeline import render_dataset

FRAMES = 3
SIZE = (64, 64)


def test_psnr_is_infinite_for_equal_images_and_falls_with_the_error():
    a = np.full((4, 4, 3), 100, np.uint8)
    b = a.copy()
    assert psnr(a, b) == math.inf
    b[0, 0, 0] = 110
    c = b.copy()
    c[1, 1, 1] = 90
    assert psnr(a, c) < psnr(a, b) < math.inf
    only = np.zeros((4, 4), bool)
    only[3, 3] = True
    assert psnr(a, c, only) == math.inf


@pytest.mark.blender
@pytest.mark.parametrize("preset", ["preview"])
def test_the_preset_keeps_masks_and_image_quality(tmp_path, preset):
    recipe = load_scene(SCENES_DIR / "metal_parts.yaml")
    new = load_quality(preset, resolution=SIZE)
    old = new.model_copy(update=BEFORE[preset])
    roots = {}
    for name, quality in (("reference", old.model_copy(update=REFERENCE)), ("old", old), ("new", new)):
        render_dataset(recipe, quality, FRAMES, tmp_path / name, seed=3, workers=Workers(workers=1))
        roots[name] = tmp_path / name / recipe.name
    frames = list(range(1, FRAMES + 1))
    for i in frames:
        assert np.array_equal(frame_ids(frame_dir(roots["old"], i)), frame_ids(frame_dir(roots["new"], i)))
    q_old, q_new = compare_frames(roots["old"], roots["reference"], frames), compare_frames(
        roots["new"], roots["reference"], frames)
    with_defects = [k for k, q in enumerate(q_old) if q.defect_px > 0]
    assert with_defects, "the test's frames must show defects"
    assert np.mean([q.psnr for q in q_new]) >= np.mean([q.psnr for q in q_old]) - 0.5
    assert (np.mean([q_new[k].psnr_defects for k in with_defects])
            >= np.mean([q_old[k].psnr_defects for k in with_defects]) - 0.5)


def test_the_light_tree_is_on_for_many_lights_only_and_older_specs_keep_it_on():
    import json

    from render.sampling.frame import MANY_LIGHTS, sample_frame_spec
    from render.spec import FrameSpec, dumps

    screw = load_scene(SCENES_DIR / "screw.yaml")
    specs = [sample_frame_spec(screw, load_quality("preview"), 0, i) for i in range(1, 9)]
    assert {len(s.lights) >= MANY_LIGHTS for s in specs} == {True, False}  # the screw's ring light is 8
    assert all(s.render.light_tree == (len(s.lights) >= MANY_LIGHTS) for s in specs)
    off = load_quality("preview", light_tree=False)
    assert all(sample_frame_spec(screw, off, 0, i).render.light_tree is False for i in range(1, 9))
    spec = next(s for s in specs if not s.render.light_tree)
    data = json.loads(dumps(spec))
    del data["render"]["light_tree"]  # a spec written before the key existed
    assert FrameSpec.from_json(json.dumps(data)).render.light_tree is True
