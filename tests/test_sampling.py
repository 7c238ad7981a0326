import json

import numpy as np
import pytest

from render.config import DEFAULT_SCENE, SCENES_DIR, load_quality, load_scene
from render.errors import UserError
from render.sampling.frame import sample_frame_spec
from render.spec import FrameSpec, dumps


def specs(seed, n=20):
    recipe, quality = load_scene(DEFAULT_SCENE), load_quality("preview")
    return [sample_frame_spec(recipe, quality, seed, i) for i in range(1, n + 1)]


def test_same_seed_same_specs_different_seed_different():
    a, b, c = specs(0), specs(0), specs(1)
    assert [dumps(s) for s in a] == [dumps(s) for s in b]
    assert all(dumps(x) != dumps(y) for x, y in zip(a, c, strict=False))


def test_specs_read_back_from_json_with_defects_inside_the_surface():
    seen_types = set()
    for s in specs(3, 40):
        assert FrameSpec.from_dict(json.loads(dumps(s))) == s
        U, V = s.part.surface_extent()
        seen_types.add(s.part.type)
        for d in s.defects:
            pts = np.asarray(d.shape.points if d.shape.type == "scratch" else [d.shape.center])
            assert (pts >= 0).all() and (pts[:, 0] <= U).all() and (pts[:, 1] <= V).all()
        assert s.categories == {"scratch": 1, "dent": 2}
    assert seen_types == {"plate", "cylinder"}


def test_adding_a_defect_does_not_shift_the_camera():
    recipe, quality = load_scene(DEFAULT_SCENE), load_quality("preview")
    more = recipe.model_copy(update={"defects": recipe.defects.model_copy(update={"count": (5, 6)})})
    a = sample_frame_spec(recipe, quality, 0, 7)
    b = sample_frame_spec(more, quality, 0, 7)
    assert a.camera == b.camera and a.lights == b.lights and a.material == b.material


def test_burrs_on_a_thread_follow_its_helix():
    recipe, quality = load_scene(SCENES_DIR / "screw.yaml"), load_quality("preview")
    on_rims = 0
    for i in range(30):
        s = sample_frame_spec(recipe, quality, 0, i)
        g = s.part.grooves
        for d in (d.shape for d in s.defects if d.shape.type == "burr"):
            p = np.asarray(d.points)
            climb = s.part.groove_offset(p[:, 0])
            for pos in g.positions:
                for rim in (pos - g.width / 2, pos + g.width / 2):
                    off = p[:, 1] - rim - climb
                    if np.abs(off).max() < 2 * d.width:  # this burr runs along this rim
                        on_rims += 1
                        assert np.ptp(off) < 1e-9  # at a constant distance from it, all along
    assert on_rims >= 3


def test_holes_fit_a_long_narrow_panel():
    from render.parts.machining import HolesRecipe, sample_holes
    from render.parts.plate import Plate

    for seed in range(60):
        rng = np.random.default_rng(seed)
        for h in sample_holes(rng, Plate(width=100.0, length=15.0, thickness=4.0), HolesRecipe()):
            c, half = np.asarray(h.center), np.asarray(h.size) / 2
            assert (c - half >= 0).all() and (c + half <= [100, 15]).all()


def test_depth_of_field_focuses_on_the_surface_not_the_axis():
    from render.parts.cylinder import Cylinder

    part = Cylinder(radius=10.0, height=40.0, seam_angle=np.pi)
    loc, look = np.array([100.0, 0.0, 20.0]), np.array([0.0, 0.0, 20.0])
    assert part.focus_distance(loc, look) == pytest.approx(90.0, abs=0.2)  # the near side, not the axis


def test_a_thread_on_a_plate_is_refused(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("name: t\ncategories: [a]\nparts: {plate: {grooves: {helix: true}}}\n"
                 "defects: {scratch: {category: a}}\n")
    with pytest.raises(UserError, match="helix"):
        load_scene(p)


def test_samplers_never_change_their_inputs():
    """The camera sampler hands back the part as the view places it; the part it was given,
    and the recipe, are unchanged (frozen records: a write would raise)."""
    import copy

    from render import seeding
    from render.sampling.scene import sample_camera, sample_part

    recipe = load_scene(SCENES_DIR / "ring.yaml")
    before = copy.deepcopy(recipe.model_dump())
    part = sample_part(seeding.stream(5, "part"), recipe)
    drawn = copy.deepcopy(part)
    camera, placed = sample_camera(seeding.stream(5, "camera"), recipe, part, 1.0)
    assert part == drawn and part.seam_angle == 0.0 and placed.seam_angle != 0.0
    assert recipe.model_dump() == before
    with pytest.raises(AttributeError):
        part.seam_angle = 1.0
