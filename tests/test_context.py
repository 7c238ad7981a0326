"""Scenes with context: several parts per frame, fixtures, environment images; the spec carries
them, sampling places them, and a recipe without them is unchanged (tests/test_golden.py)."""

import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from render.config import HDRIS, SCENES_DIR, load_quality, load_scene
from render.defects.registry import DEFECT_TYPES
from render.errors import UserError
from render.fixtures import build_frame_mesh
from render.parts.plate import Plate
from render.sampling.frame import sample_frame_spec
from render.spec import FrameSpec, dumps

QUALITY = load_quality("preview", resolution=(64, 64), samples=2)


def test_specs_with_other_parts_fixtures_and_an_environment_round_trip():
    recipe = load_scene(SCENES_DIR / "capacitor.yaml")
    specs = [sample_frame_spec(recipe, QUALITY, 3, i) for i in range(1, 25)]
    assert any(s.others for s in specs) and any(s.fixtures for s in specs) and any(s.world.hdri for s in specs)
    for s in specs:
        assert FrameSpec.from_json(dumps(s)) == s
        raw = FrameSpec.from_json(dumps(s), raw=True)  # as Blender reads it, without the part classes
        assert dumps(raw) == dumps(s)


def test_other_parts_stand_apart_and_each_defect_names_its_part():
    recipe = load_scene(SCENES_DIR / "capacitor.yaml")
    for i in range(1, 30):
        s = sample_frame_spec(recipe, QUALITY, 5, i)
        circles = [(np.zeros(2), s.part.footprint_radius())]
        circles += [(np.asarray(p.offset), p.part.footprint_radius()) for p in s.others]
        for a in range(len(circles)):
            for b in range(a):
                assert np.linalg.norm(circles[a][0] - circles[b][0]) >= circles[a][1] + circles[b][1] - 1e-9
        assert [d.id for d in s.defects] == list(range(1, len(s.defects) + 1))
        assert {d.part for d in s.defects} <= set(range(len(s.others) + 1))


def test_fixtures_and_other_parts_are_in_the_frame_mesh():
    recipe = load_scene(SCENES_DIR / "electronics.yaml")
    s = next(s for i in range(1, 40) if (s := sample_frame_spec(recipe, QUALITY, 2, i)).fixtures and s.others)
    alone = build_frame_mesh(replace(s, others=(), fixtures=(), defects=tuple(d for d in s.defects if d.part == 0)))
    mesh = build_frame_mesh(s)
    assert len(mesh.faces) > len(alone.faces)
    assert set(np.unique(mesh.face_defect)) <= {0} | {d.id for d in s.defects}


def test_environment_images_are_named_by_the_recipe_and_ship_with_blender(tmp_path):
    text = (SCENES_DIR / "metal_parts.yaml").read_text().replace("world:\n", "world:\n  hdri: [moon]\n")
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(UserError, match="world.hdri"):
        load_scene(tmp_path / "bad.yaml")
    spec = importlib.util.find_spec("bpy")
    if spec is None:
        pytest.skip("the bpy module is not installed (make install)")
    folder = next(Path(spec.origin).parent.glob("*/datafiles/studiolights/world"))
    assert all((folder / f"{name}.exr").is_file() for name in HDRIS)


def test_item_defects_need_a_part_made_of_items():
    cls = DEFECT_TYPES["missing"]
    plate = Plate(width=40.0, length=30.0, thickness=3.0)
    with pytest.raises(UserError, match="part made of items"):
        cls.sample(np.random.default_rng(0), cls.Recipe(), np.zeros(2), np.array([40.0, 30.0]), plate)


@pytest.mark.parametrize("name", ["pcb_1", "pcb_2", "electronics", "capacitor", "cable"])
def test_new_recipes_put_their_defects_on_the_mesh(name):
    """Sampled frames of each new recipe mesh, and most of their defects label some faces (two
    defects on one spot: the later wins, and the earlier is dropped as not in view)."""
    recipe = load_scene(SCENES_DIR / f"{name}.yaml")
    labelled = total = 0
    for i in range(1, 6):
        s = sample_frame_spec(recipe, QUALITY, 0, i)
        ids = set(np.unique(build_frame_mesh(s).face_defect).tolist())
        total += len(s.defects)
        labelled += sum(d.id in ids for d in s.defects)
    assert labelled >= 0.7 * total, (labelled, total)


@pytest.mark.blender
def test_an_environment_image_changes_the_image_not_the_masks(tmp_path):
    from test_blender import known_spec, render_and_read

    spec = known_spec()
    lit = replace(spec, world=replace(spec.world, hdri="forest", hdri_strength=1.0),
                  material=replace(spec.material, metallic=1.0, roughness=0.1))
    out = render_and_read(tmp_path, {"gradient": replace(spec, material=lit.material), "forest": lit})
    assert np.array_equal(out["gradient"]["ids"], out["forest"]["ids"])
    assert np.abs(out["gradient"]["rgb"] - out["forest"]["rgb"]).mean() > 3
    assert json.loads((tmp_path / "forest" / "spec.json").read_text())["world"]["hdri"] == "forest"
