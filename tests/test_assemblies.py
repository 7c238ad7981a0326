"""Assemblies (boards, capacitors, cables) and their defect types, rendered with the real bpy:
each new defect type's mask against the geometry (an independent z-buffer of the mesh), its
visible change, and occlusion by a fixture and by a second part."""

import math
from dataclasses import replace

import cv2
import numpy as np
import pytest
from conftest import DATA
from raster import defect_image
from test_blender import iou, render_and_read

from render.config import load_quality, load_scene
from render.defects.registry import DEFECT_TYPES
from render.fixtures import build_frame_mesh
from render.parts.board import Board
from render.parts.cable import Cable
from render.parts.capacitor import STRIPE, Capacitor
from render.parts.cylinder import Cylinder
from render.sampling.frame import sample_frame_spec
from render.spec import Defect, Fixture, Light, Placed

RES = 96
BOARD = Board(width=50.0, length=40.0, thickness=1.6, seed=10, components=24,
              kinds=("chip", "soic", "qfp", "header", "connector", "housing", "can"),
              weights=(3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0), traces=25, vias=10, mask=(0.03, 0.15, 0.03, 0.3),
              finish="tin", silkscreen=(0.85, 0.85, 0.82), exposed=True)
CAPACITOR = Capacitor(radius=5.0, length=14.0, lead_length=10.0, stripe_at=math.pi * 5 + 6, stripe_width=4.0,
                      stripe=STRIPE["grey"], vent="cross")
CABLE = Cable(radius=2.5, length=60.0, bend=0.01, waves=((60.0, 0.0), (90.0, 1.0)), heading=0.3)


def _top_side(part, margin=4.0):
    """The (u, v) region on top of a lying cylinder (capacitor, cable)."""
    U, V = part.surface_extent()
    return np.array([U / 2 - 3.0, margin]), np.array([U / 2 + 3.0, V - margin])


def _whole(part):
    return np.zeros(2), np.array(part.surface_extent())


# type, part, recipe values, region sampler, seed
CASES = {
    "missing": ("missing", BOARD, {}, _whole, 1),
    "shifted": ("shifted", BOARD, {}, _whole, 2),
    "bridge": ("bridge", BOARD, {}, _whole, 3),
    "solder_excess": ("solder", BOARD, {"amount": (2.5, 3.0)}, _whole, 4),
    "solder_insufficient": ("solder", BOARD, {"amount": (0.1, 0.2)}, _whole, 5),
    "bent_lead": ("bent_lead", BOARD, {"angle": (50, 70), "kinds": ["header"]}, _whole, 6),
    "mark": ("mark", BOARD, {"value": (0.9, 1.0), "width": (0.5, 0.6), "kinds": ["housing"]}, _whole, 7),
    "open": ("open", BOARD, {"length": (0.6, 0.8)}, _whole, 8),
    "copper": ("copper", BOARD, {"shapes": ["spur"], "width": (0.4, 0.5), "length": (1.0, 1.5)}, _whole, 9),
    "missing_hole": ("missing_hole", BOARD, {}, _whole, 10),
    "bulge": ("bulge", CAPACITOR, {"height": (0.3, 0.35)}, _whole, 11),
    "capacitor_lead": ("bent_lead", CAPACITOR, {"angle": (40, 60)}, _whole, 12),
    "cut": ("cut", CABLE, {"radius": (1.2, 1.5)}, _top_side, 13),
    "kink": ("kink", CABLE, {}, _top_side, 14),
    "break": ("break", CABLE, {"gap": (1.5, 2.0)}, _top_side, 15),
}


def case_spec(name):
    kind, part, values, region, seed = CASES[name]
    cls = DEFECT_TYPES[kind]
    lo, hi = region(part)
    shape = cls.sample(np.random.default_rng(seed), cls.Recipe(category=kind, **values), lo, hi, part)
    spec = base_spec(part)
    uv = np.asarray(shape.bbox()).mean(0)
    target = part.surface_points(uv[None])[0]
    reach = float(np.max(np.asarray(shape.bbox()[1]) - shape.bbox()[0]))
    field = float(np.clip(2.2 * reach, 4.0, 30.0))
    if kind == "bulge":  # the top faces along +x: look at it from there
        target = np.array([part.length / 2, 0.0, part.radius])
        field, direction, up = 2.6 * part.radius, np.array([1.0, 0.0, 0.25]), [0.0, 0.0, 1.0]
    else:
        direction, up = np.array([0.0, 0.0, 1.0]), [0.0, 1.0, 0.0]
    dist = field / 0.36  # focal 100 mm on a 36 mm sensor
    location = target + dist * direction / np.linalg.norm(direction)
    camera = replace(spec.camera, location=location.tolist(), look_at=target.tolist(), up=up, focal_length=100.0,
                     sensor_width=36.0, roll=0.0, clip_start=1.0, clip_end=5000.0, f_stop=0.0)
    light = Light(type="area", location=(target + [-60.0, -40.0, 120.0]).tolist(), look_at=target.tolist(),
                  size=80.0, power=0.8 * np.pi * 0.08**2, color=[1.0, 1.0, 1.0])
    return replace(spec, camera=camera, lights=(light,), defects=(Defect(1, kind, shape),))


def base_spec(part):
    quality = load_quality("preview", resolution=(RES, RES), samples=8)
    spec = sample_frame_spec(load_scene(DATA / "tiny_scene.yaml"), quality, 0, 1)
    material = replace(spec.material, metallic=0.0, roughness=0.4, brushing=0.0, grain=0.05,
                       base_color=[0.05, 0.05, 0.05])
    return replace(spec, part=part, material=material)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    specs = {}
    for name in CASES:
        spec = case_spec(name)
        specs[name] = spec
        specs[name + "_clean"] = replace(spec, defects=())
    return specs, render_and_read(tmp_path_factory.mktemp("assemblies"), specs)


@pytest.mark.blender
@pytest.mark.parametrize("name", sorted(CASES))
def test_each_assembly_defect_is_masked_as_its_geometry_and_visible(rendered, name):
    specs, out = rendered
    r, clean = out[name], out[name + "_clean"]
    mask = r["ids"] == 1
    assert mask.sum() >= 12, (name, int(mask.sum()))
    assert (r["obj"][mask] == 1).all()
    expected = defect_image(build_frame_mesh(specs[name]), specs[name].camera, RES, RES) == 1
    assert iou(mask, expected) > 0.9, (name, iou(mask, expected))
    diff = np.abs(r["rgb"] - clean["rgb"]).mean(axis=2)
    far = ~cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    assert diff[mask].mean() > 5 * max(diff[far].mean(), 0.5), (name, diff[mask].mean(), diff[far].mean())


# ---- occlusion ---------------------------------------------------------------------------
def occluded_specs():
    """The known plate's dent, half under a clamp's arm (seen from above); and the same dent
    seen at a slant behind a tall cylinder standing beside the plate."""
    from test_blender import DENT, known_spec

    spec = replace(known_spec(), defects=known_spec().defects[:1])  # the dent alone
    top = spec.part.thickness
    dent_xy = np.array(DENT["center"]) - [20.0, 20.0]
    clamp = Fixture(kind="clamp", center=[dent_xy[0], dent_xy[1] - 0.5, top], size=[25.0, 4.0, 1.5], angle=-math.pi / 2,
                    paint=[0.5, 0.1, 0.05, 0.0, 0.4])
    tall = Cylinder(radius=4.0, height=40.0, seam_angle=0.0)
    behind = dent_xy + [3.0, -9.0]
    cam = spec.camera
    slant = replace(cam, location=[dent_xy[0], dent_xy[1] - 60.0, top + 30.0], look_at=[*dent_xy, top],
                    up=[0.0, 0.0, 1.0])
    return {"clamped": replace(spec, fixtures=(clamp,)), "open": spec,
            "behind": replace(spec, camera=slant, others=(Placed(part=tall, offset=behind.tolist(), angle=0.0),)),
            "unhidden": replace(spec, camera=slant)}


@pytest.mark.blender
def test_an_occluded_defect_loses_exactly_the_hidden_pixels(tmp_path):
    specs = occluded_specs()
    out = render_and_read(tmp_path, specs)
    res = specs["open"].render.width
    for hidden, whole in (("clamped", "open"), ("behind", "unhidden")):
        mask, full = out[hidden]["ids"] == 1, out[whole]["ids"] == 1
        expected = defect_image(build_frame_mesh(specs[hidden]), specs[hidden].camera, res, res) == 1
        lost = full & ~mask
        assert lost.sum() > 0.2 * full.sum() and mask.sum() > 0.2 * full.sum(), (hidden, lost.sum(), full.sum())
        assert not (mask & ~full).any()  # an occluder only takes pixels away
        assert iou(mask, expected) > 0.97, (hidden, iou(mask, expected))
        # the lost pixels are exactly those where the occluder is seen in front
        occluder = (out[hidden]["obj"] == 1) & (out[hidden]["ids"] == 0) & full
        assert (occluder == lost).mean() > 0.999
