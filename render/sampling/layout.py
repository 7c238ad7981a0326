"""Scenes with context: more parts beside the first (each with its own defects) and fixtures
(a tray or a conveyor under them, clamps over the first part's edge).

Each draws from its own stream, and only where the recipe asks for it, so a recipe without
these keys draws exactly what it drew before they existed.
"""

import colorsys
import math
from dataclasses import replace

import numpy as np

from render.config import SceneRecipe
from render.parts.base import Part
from render.ranges import uniform
from render.sampling.defects import sample_defects
from render.sampling.scene import sample_part
from render.spec import Camera, Defect, Fixture, Placed

# tray and belt looks: (hue, saturation, value ranges, metallic, roughness)
TRAYS = [((0.0, 0.0), (0.0, 0.0), (0.02, 0.08), 0.0, 0.5),  # black ESD plastic
         ((0.55, 0.62), (0.4, 0.7), (0.2, 0.5), 0.0, 0.4),  # blue plastic
         ((0.0, 0.0), (0.0, 0.0), (0.4, 0.7), 0.9, 0.35)]  # stainless steel
BELTS = [((0.0, 0.0), (0.0, 0.0), (0.01, 0.05), 0.0, 0.8),  # black rubber
         ((0.28, 0.38), (0.4, 0.8), (0.15, 0.35), 0.0, 0.5),  # green PVC
         ((0.55, 0.62), (0.3, 0.6), (0.2, 0.5), 0.0, 0.5),  # blue PU
         ((0.0, 0.0), (0.0, 0.0), (0.6, 0.85), 0.0, 0.6)]  # white PU
CLAMPS = [((0.0, 0.0), (0.0, 0.0), (0.3, 0.6), 1.0, 0.3),  # steel
          ((0.0, 0.0), (0.0, 0.0), (0.01, 0.05), 0.5, 0.4),  # black oxide
          ((0.02, 0.1), (0.6, 0.9), (0.3, 0.6), 0.0, 0.4)]  # red / orange painted


def _paint(rng, palette) -> list[float]:
    hue, sat, val, metallic, rough = palette[int(rng.integers(len(palette)))]
    rgb = colorsys.hsv_to_rgb(uniform(rng, hue), uniform(rng, sat), uniform(rng, val))
    return [*map(float, rgb), metallic, rough]


def local_camera(camera: Camera, offset, angle: float) -> Camera:
    """The camera as seen from a part moved by offset (x, y) and turned by angle about z."""
    c, s = math.cos(-angle), math.sin(-angle)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    off = np.array([offset[0], offset[1], 0.0])
    to_local = lambda p: (rot @ (np.asarray(p) - off)).tolist()  # noqa: E731
    return replace(camera, location=to_local(camera.location), look_at=to_local(camera.look_at))


def sample_others(rng, recipe: SceneRecipe, part: Part, camera: Camera,
                  first_id: int) -> tuple[tuple[Placed, ...], list[Defect]]:
    """The frame's other parts, around the first without touching it or each other, each turned
    at random, with defects where the camera sees them."""
    lo_n, hi_n = recipe.layout.parts
    n = int(rng.integers(lo_n, hi_n + 1)) - 1
    first = part.footprint_radius()
    circles = [(np.zeros(2), first)]
    placed, defects = [], []
    half_angle = math.atan(camera.sensor_width / 2 / camera.focal_length * camera.short_side)
    for _ in range(n):
        other = sample_part(rng, recipe)
        radius = other.footprint_radius()
        for _try in range(12):
            a = rng.uniform(0, 2 * math.pi)
            dist = first + radius + uniform(rng, recipe.layout.spacing) * first
            center = dist * np.array([math.cos(a), math.sin(a)])
            if all(np.linalg.norm(center - c) >= r + radius for c, r in circles):
                break
        else:
            continue  # no room: one part fewer
        circles.append((center, radius))
        turn = float(rng.uniform(0, 2 * math.pi))
        cam = local_camera(camera, center, turn)
        loc = np.asarray(cam.location)
        other = other.facing(math.atan2(loc[1], loc[0]), np.zeros(3))
        other, _ = other.anchored(rng, loc, np.asarray(cam.look_at), half_angle)
        index = len(placed) + 1
        if _in_view(cam, other):  # a part out of the frame gets no defects (they would all be dropped)
            defects += sample_defects(rng, recipe, other, cam, first_id + len(defects), index)
        placed.append(Placed(part=other, offset=center.tolist(), angle=turn))
    return tuple(placed), defects


def _in_view(camera: Camera, part: Part) -> bool:
    """Whether any of the part's outline, seen from the camera, lies inside the frame's cone."""
    loc, look = np.asarray(camera.location), np.asarray(camera.look_at)
    forward = (look - loc) / np.linalg.norm(look - loc)
    half_angle = math.atan(camera.sensor_width / 2 / camera.focal_length * camera.short_side)
    to = part.part_center() - loc
    off = math.acos(np.clip(to @ forward / np.linalg.norm(to), -1, 1))
    return off - math.atan(part.footprint_radius() / np.linalg.norm(to)) < half_angle


def sample_fixtures(rng, recipe: SceneRecipe, part: Part, others) -> tuple[Fixture, ...]:
    """A tray or a conveyor belt under all the parts, and clamps over the first part's edge."""
    f = recipe.fixtures
    circles = [(np.zeros(2), part.footprint_radius())]
    circles += [(np.asarray(p.offset), p.part.footprint_radius()) for p in others]
    out = []
    support = rng.random()
    angle = float(rng.uniform(0, math.pi))
    height = uniform(rng, f.height)
    # the parts' extent in the support's own frame
    c, s = math.cos(angle), math.sin(angle)
    along = [(p @ [c, s], r) for p, r in circles]
    across = [(p @ [-s, c], r) for p, r in circles]
    lo = np.array([min(a - r for a, r in along), min(a - r for a, r in across)])
    hi = np.array([max(a + r for a, r in along), max(a + r for a, r in across)])
    margin = 0.15 * circles[0][1] + rng.uniform(0, 0.5) * circles[0][1]
    mid = (lo + hi) / 2
    center = [mid[0] * c - mid[1] * s, mid[0] * s + mid[1] * c, 0.0]
    if support < f.tray:
        size = hi - lo + 2 * margin
        out.append(Fixture(kind="tray", center=center, size=[*size.tolist(), height], angle=angle,
                           paint=_paint(rng, TRAYS)))
    elif support < f.tray + f.conveyor:
        width = float(hi[1] - lo[1] + 2 * margin)
        out.append(Fixture(kind="conveyor", center=center, size=[4000.0, width, height], angle=angle,
                           paint=_paint(rng, BELTS)))
    if rng.random() < f.clamps:
        paint = _paint(rng, CLAMPS)
        n = int(rng.integers(f.clamp_count[0], f.clamp_count[1] + 1))
        for a in rng.uniform(0, 2 * math.pi) + np.arange(n) * 2 * math.pi / n + rng.uniform(-0.4, 0.4, n):
            out.append(_clamp(rng, part, float(a), paint))
    return tuple(out)


def _clamp(rng, part: Part, a: float, paint) -> Fixture:
    """A hold-down arm from outside the part towards its centre along direction a, reaching
    `overlap` past its edge, resting on its highest point."""
    R = part.footprint_radius()
    U, V = part.surface_extent()
    t = np.linspace(0, 1, 41)
    xy = part.surface_points(np.stack(np.meshgrid(t * U, t * V, indexing="ij"), -1).reshape(-1, 2))[:, :2]
    direction = np.array([math.cos(a), math.sin(a)])
    ang = np.abs((np.arctan2(xy[:, 1], xy[:, 0]) - a + math.pi) % (2 * math.pi) - math.pi)
    near = ang < 0.15
    edge = float((xy[near] @ direction).max()) if near.any() else R
    reach = edge - uniform(rng, (0.08, 0.25)) * R  # the tip lies this far from the centre
    width = uniform(rng, (0.1, 0.2)) * R
    length = R * uniform(rng, (0.5, 0.8)) + (edge - reach)
    thickness = uniform(rng, (0.05, 0.1)) * R
    tip = direction * reach
    return Fixture(kind="clamp", center=[*tip.tolist(), part.top_height()], size=[length, width, thickness],
                   angle=a, paint=paint)
