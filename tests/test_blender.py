"""Renders with the real bpy (tiny frames) and checks masks against pixels and geometry."""

import json
import subprocess
import sys
from dataclasses import replace

import cv2
import numpy as np
import pytest
from conftest import DATA, ROOT
from pycocotools import mask as mask_util
from pycocotools.coco import COCO
from specs import defect_of, part_of, shape_of

from render import launcher
from render.config import load_quality, load_scene
from render.dataset.validate import validate_split
from render.frames import prepare_frame
from render.postprocess import read_id_passes
from render.sampling.frame import sample_frame_spec
from render.spec import Light

pytestmark = pytest.mark.blender

RES = 128
PLATE = {"type": "plate", "width": 40.0, "length": 40.0, "thickness": 4.0}
DENT = {"id": 1, "category": "dent", "type": "dent", "center": [16.0, 23.0], "radius": 2.5, "depth": 0.8,
        "falloff": 2.0, "elongation": 1.6, "angle": 0.5}
SCRATCH = {"id": 2, "category": "scratch", "type": "scratch", "points": [[22.0, 14.0], [26.0, 15.5], [30.0, 18.0]],
           "width": 1.0, "depth": 0.4, "profile": "u", "lip_height": 0.0, "lip_width": 0.0}
DISTANCE, FOCAL, SENSOR = 66.0, 100.0, 36.0


def known_spec(plate=PLATE):
    """A plate seen straight from above, with one dent and one scratch at known places."""
    quality = load_quality("preview", resolution=(RES, RES), samples=8)
    spec = sample_frame_spec(load_scene(DATA / "tiny_scene.yaml"), quality, 0, 1)
    top = plate["thickness"]
    camera = replace(spec.camera, location=[0.0, 0.0, top + DISTANCE], look_at=[0.0, 0.0, top], focal_length=FOCAL,
                     sensor_width=SENSOR, exposure=0.0, clip_start=1.0, clip_end=1000.0, up=[0.0, 1.0, 0.0],
                     roll=0.0, grayscale=False)
    light = Light(type="area", location=[-60.0, -40.0, 120.0], look_at=[0.0, 0.0, top], size=80.0,
                  power=0.8 * np.pi * 0.08**2, color=[1.0, 1.0, 1.0])
    return replace(spec, part=part_of(plate), defects=(defect_of(DENT), defect_of(SCRATCH)), camera=camera,
                   lights=(light,), material=replace(spec.material, roughness=0.3, brushing=0.0, grain=0.05))


def expected_mask(defect, plate=PLATE):
    """The defect's footprint as seen by the top-down camera, pixel centre by pixel centre."""
    mm_per_px = SENSOR / FOCAL * DISTANCE / RES
    c = (np.arange(RES) + 0.5 - RES / 2) * mm_per_px
    x, y = np.meshgrid(c, -c)
    uv = np.column_stack([x.ravel() + plate["width"] / 2, y.ravel() + plate["length"] / 2])
    inside = (uv >= 0).all(1) & (uv <= [plate["width"], plate["length"]]).all(1)
    return (shape_of(defect).footprint(uv) & inside).reshape(RES, RES)


def render_and_read(root, named_specs) -> dict:
    """Render {name: spec} in one Blender process; read back rgb, ids, object ids and spec."""
    dirs = {}
    for name, s in named_specs.items():
        dirs[name] = root / name
        prepare_frame(dirs[name], s)
    launcher.run_batch(list(dirs.values()), root / "render.log", lambda ev: None)
    out = {}
    for name, d in dirs.items():
        manifest = json.loads((d / "manifest.json").read_text())
        ids, obj = read_id_passes(d / "ids.exr", manifest["id_channels"])
        out[name] = {"rgb": cv2.imread(str(d / "rgb.png")).astype(np.float32), "ids": ids, "obj": obj,
                     "spec": json.loads((d / "spec.json").read_text())}
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """One Blender process renders: the known scene, the same without defects, two sampled frames."""
    root = tmp_path_factory.mktemp("frames")
    spec = known_spec()
    clean = replace(spec, defects=())
    quality = load_quality("preview", resolution=(96, 96), samples=4)
    recipe = load_scene(DATA / "tiny_scene.yaml")
    sampled = [sample_frame_spec(recipe, quality, 3, i) for i in (1, 2)]
    return render_and_read(root, {"known": spec, "clean": clean, "s1": sampled[0], "s2": sampled[1]})


def iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_masks_match_the_geometry(rendered):
    ids = rendered["known"]["ids"]
    assert iou(ids == DENT["id"], expected_mask(DENT)) > 0.9
    assert iou(ids == SCRATCH["id"], expected_mask(SCRATCH)) > 0.8


def test_defects_are_visible_where_masked(rendered):
    diff = np.abs(rendered["known"]["rgb"] - rendered["clean"]["rgb"]).mean(axis=2)
    masks = rendered["known"]["ids"] > 0
    far = ~cv2.dilate(masks.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    for d in (DENT, SCRATCH):
        inside = diff[rendered["known"]["ids"] == d["id"]].mean()
        assert inside > 5 * max(diff[far].mean(), 0.5), (d["type"], inside, diff[far].mean())
    assert (rendered["clean"]["ids"] == 0).all()


def test_masks_lie_inside_the_part_and_ids_are_exact(rendered):
    seen = 0
    for name in ("known", "s1", "s2"):
        r = rendered[name]
        part = r["obj"] == 1
        assert part.any() and (~part).any() or name == "known"
        assert (r["ids"][~part] == 0).all()
        valid = {0} | {d["id"] for d in r["spec"]["defects"]}
        assert set(np.unique(r["ids"]).tolist()) <= valid
        seen += (r["ids"] > 0).any()
    assert seen >= 2


def run_render(out, seed, *extra):
    cmd = [sys.executable, "-m", "render.cli", "render", "--scene", str(DATA / "tiny_scene.yaml"), "--n", "3",
           "--out", str(out), "--seed", str(seed), "--resolution", "96x96", "--samples", "4", *extra]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-3000:]
    return out / "tiny"


def test_cli_render_end_to_end_and_determinism(tmp_path):
    a = run_render(tmp_path / "a", 5)
    b = run_render(tmp_path / "b", 5)
    c = run_render(tmp_path / "c", 6)
    split = a / "train"
    rep = validate_split(split)
    assert rep.ok, rep.errors
    coco = COCO(str(split / "_annotations.coco.json"))
    anns = coco.loadAnns(coco.getAnnIds())
    assert anns, "the tiny scene should give visible defects"
    for ann in anns:
        img = coco.loadImgs(ann["image_id"])[0]
        m = coco.annToMask(ann)
        assert m.shape == (img["height"], img["width"])
        assert m.sum() == ann["area"]
        assert list(mask_util.toBbox(mask_util.encode(np.asfortranarray(m)))) == ann["bbox"]
    text = lambda root, rel: (root / rel).read_text()  # noqa: E731
    assert text(a, "train/_annotations.coco.json") == text(b, "train/_annotations.coco.json")
    for i in range(1, 4):
        assert text(a, f"frames/{i:06d}/spec.json") == text(b, f"frames/{i:06d}/spec.json")
        assert text(a, f"frames/{i:06d}/spec.json") != text(c, f"frames/{i:06d}/spec.json")
        assert not (a / f"frames/{i:06d}/mesh.npz").exists()
    assert text(a, "train/_annotations.coco.json") != text(c, "train/_annotations.coco.json")

    # slicing rendered frames and stitching the tiles back gives the masks exactly
    from test_dataset_tools import assert_round_trip

    assert_round_trip(split, tmp_path / "slices", tile=40)

    # running again renders nothing and gives the same dataset (and, asked, its report)
    before = text(a, "train/_annotations.coco.json")
    run_render(tmp_path / "a", 5, "--report", str(tmp_path / "report.html"), "--report-reference", str(split))
    assert "Distance to the real split" in (tmp_path / "report.html").read_text()
    assert json.loads(text(a, "report.json"))["rendered"] == 0
    assert text(a, "train/_annotations.coco.json") == before


NEW_DEFECTS = {
    "crack": {"type": "crack", "paths": [[[14.0, 18.0], [18.0, 20.5], [23.0, 19.5], [27.0, 22.0]],
                                         [[18.0, 20.5], [19.5, 16.0]]],
              "widths": [0.5, 0.3], "depth": 0.3, "darken": 0.8},
    "pit": {"type": "pit", "centers": [[20.0, 20.0], [22.0, 21.0], [19.0, 22.5]], "radii": [0.9, 0.6, 0.7],
            "depth": 0.5, "darken": 0.5},
    "stain": {"type": "stain", "center": [20.0, 20.0], "radius": 3.0, "elongation": 1.4, "angle": 0.3,
              "wobble": [0.3, 0.2, 0.1, 0.1], "phases": [0.0, 1.0, 2.0, 3.0], "darken": 0.4},
    # broken off at the left edge of a narrower plate (NARROW), so that the edge is in view
    "chip": {"type": "chip", "center": [0.3, 20.0], "radius": 2.5, "elongation": 1.4, "angle": 1.57,
             "wobble": [0.2, 0.1, 0.1, 0.0], "phases": [0.0, 1.0, 2.0, 3.0], "depth": 1.2, "rough": 0.3,
             "bump": 0.5, "waves": [[12.0, 3.0, 0.0], [-4.0, 11.0, 1.0], [7.0, -9.0, 2.0]], "darken": 0.1},
    "collision": {"type": "collision", "center": [20.0, 20.0], "radius": 2.5, "depth": 0.6, "falloff": 1.5,
                  "elongation": 1.3, "angle": 0.4, "rim_height": 0.5, "rim_width": 0.4},
    "burr": {"type": "burr", "points": [[14.0, 17.0], [20.0, 19.0], [26.0, 22.0]], "width": 0.9, "height": 0.35,
             "waves": [[2.0, 1.0, 0.0], [-1.0, 2.0, 1.0]]},
    "gap": {"type": "gap", "axis": "u", "position": 20.0, "width": 1.0, "extent": [40.0, 40.0], "depth": 1.5,
            "step": 0.3, "darken": 0.6},
    "uneven": {"type": "uneven", "center": [20.0, 20.0], "radius": 3.5, "elongation": 1.3, "angle": 0.2,
               "wobble": [0.2, 0.1, 0.1, 0.0], "phases": [0.0, 1.0, 2.0, 3.0], "bump": 0.5, "bump_height": 0.05,
               "waves": [[12.0, 3.0, 0.0], [-4.0, 11.0, 1.0], [7.0, -9.0, 2.0], [-10.0, -6.0, 0.5]], "darken": 0.1},
}
NARROW = {**PLATE, "width": 22.0}
PLATE_OF = {"chip": NARROW}


@pytest.fixture(scope="module")
def rendered_types(tmp_path_factory):
    """Each new defect type alone on the known plate, and the same frame without it."""
    specs = {}
    for name, d in NEW_DEFECTS.items():
        spec = known_spec(PLATE_OF.get(name, PLATE))
        specs[name] = replace(spec, defects=(defect_of({"id": 1, "category": name, **d}),))
        specs[name + "_clean"] = replace(spec, defects=())
    return render_and_read(tmp_path_factory.mktemp("types"), specs)


@pytest.mark.parametrize("kind", sorted(NEW_DEFECTS))
def test_each_defect_type_is_masked_inside_the_part_and_visible(rendered_types, kind):
    r, clean = rendered_types[kind], rendered_types[kind + "_clean"]
    mask = r["ids"] == 1
    assert mask.sum() >= 20
    assert (r["obj"][mask] == 1).all()
    assert iou(mask, expected_mask({"id": 1, **NEW_DEFECTS[kind]}, PLATE_OF.get(kind, PLATE))) > 0.75
    diff = np.abs(r["rgb"] - clean["rgb"]).mean(axis=2)
    far = ~cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    assert diff[mask].mean() > 5 * max(diff[far].mean(), 0.5), (kind, diff[mask].mean(), diff[far].mean())
