"""Draw the part, camera, lights and looks of one frame from a recipe's ranges (pure: each
sampler returns new values and changes none of its inputs)."""

import colorsys
import math
from dataclasses import replace

import numpy as np

from render.colour import srgb_to_linear
from render.config import SceneRecipe
from render.parts.base import Part
from render.parts.registry import PART_TYPES
from render.ranges import uniform
from render.spec import Camera, Ground, Light, Material, Sensor, World


def sample_part(rng: np.random.Generator, recipe: SceneRecipe) -> Part:
    """One of the recipe's parts, drawn by weight, with its values drawn from its ranges."""
    options = recipe.parts.enabled()
    names = list(options)
    w = np.array([options[n].weight for n in names])
    kind = names[int(rng.choice(len(names), p=w / w.sum()))]
    return PART_TYPES[kind].sample(rng, options[kind])


def sample_camera(rng: np.random.Generator, recipe: SceneRecipe, part: Part, aspect: float) -> tuple[Camera, Part]:
    """Camera on a sphere around a look-at point, far enough that the part spans `fill` frames.

    Returns the camera and the part as this view places it (a new value): a turned part's seam
    goes behind it, a user's mesh gets its defect patch where the camera looks.
    """
    c = recipe.camera
    focal = uniform(rng, c.focal_length)
    tilt = math.radians(uniform(rng, c.tilt))
    # the plate's defect surface faces up, the cylinder's faces sideways
    elevation = math.pi / 2 - tilt if part.faces_up else tilt
    azimuth = float(rng.uniform(0, 2 * math.pi))
    fill = uniform(rng, c.fill)
    radius = part.bounding_radius()
    sensor = 36.0
    # the sensor spans the frame's longer side; the shorter side sets how much of the part fits
    tan_half = sensor / 2 / focal * min(aspect, 1 / aspect)
    distance = (radius / fill) / tan_half
    # close-ups (fill > 1) look at a random spot of the defect surface, not always the centre
    target = part.close_up_target(rng, part.part_center(), max(0.0, 1 - 1 / fill))
    part = part.facing(azimuth, target)
    target += rng.uniform(-1, 1, 3) * uniform(rng, c.jitter) * radius
    direction = np.array([math.cos(elevation) * math.cos(azimuth), math.cos(elevation) * math.sin(azimuth),
                          math.sin(elevation)])
    location = target + distance * direction
    part, target = part.anchored(rng, location, target, math.atan(tan_half))
    camera = Camera(
        location=location.tolist(),
        look_at=target.tolist(),
        # the image's up direction before roll: along the tile/plate's y axis, or the cylinder's axis
        up=[0.0, 1.0, 0.0] if part.faces_up else [0.0, 0.0, 1.0],
        focal_length=focal,
        sensor_width=sensor,
        short_side=min(aspect, 1 / aspect),
        azimuth=azimuth,
        fill=fill,
        exposure=uniform(rng, c.exposure),
        roll=math.radians(uniform(rng, c.roll)),
        grayscale=c.grayscale,
        # 0: a pinhole (all sharp); the mask is always the pinhole's, i.e. where the defect is
        f_stop=uniform(rng, c.f_stop) if c.depth_of_field > 0 and rng.random() < c.depth_of_field else 0.0,
        focus_distance=part.focus_distance(location, target),
        clip_start=max(0.1, distance - 2 * radius) * 0.5,
        clip_end=20000.0,  # beyond the studio dome (8 m)
    )
    return camera, part


def blackbody_rgb(kelvin: float) -> list[float]:
    """Linear RGB of a black body, normalised to max 1 (Tanner Helland's sRGB fit, linearised)."""
    t = kelvin / 100.0
    r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    g = 99.4708025861 * math.log(t) - 161.1195681661 if t <= 66 else 288.1221695283 * (t - 60) ** -0.0755148492
    b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307)
    srgb = np.clip(np.array([r, g, b]) / 255.0, 0, 1)
    lin = srgb_to_linear(srgb)
    return (lin / lin.max()).tolist()


def aimed_light(location, look_at, size, radiance, color, size_y=None, camera_visible=True) -> Light:
    area = size * (size if size_y is None else size_y) * 1e-6  # m^2
    return Light(type="area", location=np.asarray(location, dtype=float).tolist(),
                 look_at=np.asarray(look_at, dtype=float).tolist(), size=size, power=radiance * math.pi * area,
                 color=color, size_y=size_y, camera_visible=camera_visible)


def _on_sphere(center, dist, elevation, azimuth) -> np.ndarray:
    return center + dist * np.array([math.cos(elevation) * math.cos(azimuth),
                                     math.cos(elevation) * math.sin(azimuth), math.sin(elevation)])


def sample_lights(rng: np.random.Generator, recipe: SceneRecipe, part: Part, camera: Camera) -> list[Light]:
    """The lights of one frame: one rig drawn from the recipe's `rigs`.

    area: 1-8 square area lights on a hemisphere; grazing: the same at low elevation;
    ring: 8 small lights on a circle around the lens; coaxial: one light at the lens, along the
    line of sight (invisible to the camera, as behind a beam splitter); bar: one long
    rectangular light; dome: one huge soft light overhead (diffuse, shadowless).
    """
    r = recipe.lights
    rig = r.rigs[int(rng.integers(len(r.rigs)))]
    center = part.part_center()
    color = blackbody_rgb(uniform(rng, r.temperature))
    radiance = uniform(rng, r.radiance)
    if rig in ("area", "grazing"):
        n = int(rng.integers(r.count[0], r.count[1] + 1))
        lights = []
        for _ in range(n):
            el = math.radians(uniform(rng, r.grazing_elevation if rig == "grazing" else r.elevation))
            loc = _on_sphere(center, uniform(rng, r.distance), el, float(rng.uniform(0, 2 * math.pi)))
            lights.append(aimed_light(loc, center, uniform(rng, r.size), radiance, color))
            radiance, color = uniform(rng, r.radiance), blackbody_rgb(uniform(rng, r.temperature))
        return lights
    cam, look = np.asarray(camera.location), np.asarray(camera.look_at)
    forward = (look - cam) / np.linalg.norm(look - cam)
    if rig == "ring":
        side = np.cross(forward, [0.0, 0.0, 1.0] if abs(forward[2]) < 0.9 else [1.0, 0.0, 0.0])
        side /= np.linalg.norm(side)
        up = np.cross(side, forward)
        rad = uniform(rng, r.ring_radius)
        size = max(2.0, 2 * math.pi * rad / 8 * 0.5)
        return [aimed_light(cam + rad * (math.cos(a) * side + math.sin(a) * up), look, size, radiance, color,
                       camera_visible=False) for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)]
    if rig == "coaxial":
        size = uniform(rng, r.size)
        return [aimed_light(cam - forward * 1.0, look, size, radiance, color, camera_visible=False)]
    if rig == "bar":
        el = math.radians(uniform(rng, r.elevation))
        loc = _on_sphere(center, uniform(rng, r.distance), el, float(rng.uniform(0, 2 * math.pi)))
        return [aimed_light(loc, center, uniform(rng, r.bar_length), radiance, color, size_y=uniform(rng, r.size) / 4)]
    # dome: a soft light overhead, three times wider than its distance
    dist = uniform(rng, r.distance)
    return [aimed_light(center + [0.0, 0.0, dist], center, 3 * dist, radiance * 0.5, color)]


def sample_material(rng: np.random.Generator, recipe: SceneRecipe, part: Part) -> Material:
    m = recipe.material
    rgb = colorsys.hsv_to_rgb(uniform(rng, m.hue), uniform(rng, m.saturation), uniform(rng, m.value))
    return Material(
        base_color=[float(x) for x in rgb],
        metallic=uniform(rng, m.metallic),
        roughness=uniform(rng, m.roughness),
        brushing=uniform(rng, m.brushing),
        # machining marks: across a plate at a random angle (always drawn, so that the other
        # values do not depend on the part), along a tile, around turned parts
        brush_angle=_brush_angle(float(rng.uniform(0, math.pi)), part),
        grain=uniform(rng, m.grain),
        texture_offset=rng.uniform(0, 1000, 3).tolist(),
        grain_scale=uniform(rng, m.grain_scale),
        relief=uniform(rng, m.relief),
        transmission=uniform(rng, m.transmission),
        ior=uniform(rng, m.ior),
    )


def _brush_angle(random_angle: float, part: Part) -> float:
    return random_angle if part.brush_angle is None else part.brush_angle


def sample_world(rng: np.random.Generator, recipe: SceneRecipe) -> World:
    """The studio gradient's strength and a turn; an environment image is drawn only where the
    recipe lists some (so that other recipes draw what they drew before)."""
    w = recipe.world
    world = World(strength=uniform(rng, w.strength), rotation=float(rng.uniform(0, 2 * math.pi)))
    if not w.hdri:
        return world
    name = w.hdri[int(rng.integers(len(w.hdri)))]
    strength = uniform(rng, w.hdri_strength)
    return world if name == "gradient" else replace(world, hdri=name, hdri_strength=strength)


def sample_sensor(rng: np.random.Generator, recipe: SceneRecipe) -> Sensor:
    """Camera sensor effects of one frame (applied by render.sensor after rendering)."""
    r = recipe.sensor
    return Sensor(
        blur=uniform(rng, r.blur),
        vignetting=uniform(rng, r.vignetting),
        noise=uniform(rng, r.noise),
        shot_noise=uniform(rng, r.shot_noise),
        jpeg_quality=int(round(uniform(rng, r.jpeg_quality))),
        seed=int(rng.integers(2**31)),
    )


def sample_ground(rng: np.random.Generator, recipe: SceneRecipe) -> Ground:
    v = uniform(rng, recipe.ground.value)
    return Ground(color=[v, v, v], roughness=float(rng.uniform(0.4, 0.9)))
