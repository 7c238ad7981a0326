"""Draw the part, camera, lights and looks of one frame from a recipe's ranges."""

import colorsys
import math

import numpy as np

from render.config import SceneRecipe
from render.geometry import parts, user_mesh


def uniform(rng: np.random.Generator, r) -> float:
    return float(rng.uniform(r[0], r[1])) if r[0] < r[1] else float(r[0])


def sample_part(rng: np.random.Generator, recipe: SceneRecipe) -> dict:
    options = recipe.parts.enabled()
    names = list(options)
    w = np.array([options[n].weight for n in names])
    kind = names[int(rng.choice(len(names), p=w / w.sum()))]
    r = options[kind]
    if kind == "plate":
        part = {"type": "plate", "width": uniform(rng, r.width), "length": uniform(rng, r.length),
                "thickness": uniform(rng, r.thickness)}
        part = _with_grooves(rng, part, r.grooves, str(rng.choice(["u", "v"])))
        return _with_holes(rng, part, r.holes)
    if kind == "tile":
        return {"type": "tile", "radius": uniform(rng, r.radius), "width": uniform(rng, r.width),
                "length": uniform(rng, r.length), "thickness": uniform(rng, r.thickness)}
    # seam_angle is set with the camera, so the seam faces away from it
    if kind == "ring":
        return {"type": "ring", "outer_radius": uniform(rng, r.outer_radius), "width": uniform(rng, r.width),
                "thickness": uniform(rng, r.thickness), "seam_angle": 0.0}
    if kind == "mesh":  # the anchor of its defect patch is set with the camera (a spot it sees)
        size = uniform(rng, r.size)
        return {"type": "mesh", "path": r.path, "up": r.up, "sha256": user_mesh.load_unit_mesh(r.path, r.up).sha256,
                "size": size, "patch": size * uniform(rng, r.patch)}
    if kind == "dome":
        return {"type": "dome", "radius": uniform(rng, r.radius), "height": uniform(rng, r.height), "seam_angle": 0.0}
    part = {"type": "cylinder", "radius": uniform(rng, r.radius), "height": uniform(rng, r.height), "seam_angle": 0.0}
    return _with_grooves(rng, part, r.grooves, "u")


def _with_grooves(rng, part: dict, g, axis: str) -> dict:
    """Evenly pitched grooves along `axis` (u: at fixed v), a little jitter in position."""
    if g is None or rng.random() >= g.probability:
        return part
    U, V = parts.surface_extent(part)
    span = V if axis == "u" else U
    n = int(rng.integers(g.count[0], g.count[1] + 1))
    width = min(uniform(rng, g.width), 0.5 * span / (n + 1))
    pitch = span / (n + 1)
    helix = g.helix and part["type"] == "cylinder"
    jitter = 0.0 if helix else 0.05  # a thread's turns stay evenly pitched so they join up
    positions = (np.arange(1, n + 1) * pitch + rng.uniform(-jitter, jitter, n) * pitch).tolist()
    part["grooves"] = {"axis": axis, "positions": positions, "width": width, "depth": uniform(rng, g.depth),
                       "profile": str(rng.choice(g.profiles))}
    if helix:  # each turn climbs one pitch; it starts and ends at the seam (behind the part)
        part["grooves"]["lead"] = pitch
    return part


def _with_holes(rng, part: dict, h) -> dict:
    """Button holes on a plate: inside it by a margin, apart from each other and from grooves."""
    if h is None or rng.random() >= h.probability:
        return part
    U, V = parts.surface_extent(part)
    holes = []
    for _ in range(int(rng.integers(h.count[0], h.count[1] + 1))):
        for _try in range(20):
            shape = str(rng.choice(h.shapes))
            w = uniform(rng, h.size)
            size = np.array([w, w]) if shape == "round" else np.array([w, uniform(rng, h.size)])
            margin = 0.05 * np.array([U, V])  # from the panel's edges, per axis (a panel may be long)
            size = np.minimum(size, 0.4 * np.array([U, V]))
            if shape == "round":
                size[:] = size.min()
            corner = size.min() / 2 if shape == "round" else uniform(rng, h.corner) * size.min()
            wall = min(uniform(rng, h.wall), 0.25 * size.min())
            center = rng.uniform(size / 2 + margin, np.array([U, V]) - size / 2 - margin)
            hole = {"center": center.tolist(), "size": size.tolist(), "corner": float(corner), "wall": wall,
                    "depth": min(uniform(rng, h.depth), 0.8 * part["thickness"])}
            clear = all(np.any(np.abs(center - o["center"]) > (size + np.asarray(o["size"])) / 2
                               + 2 * max(wall, o["wall"])) for o in holes)
            for k, pos, width in parts.groove_lines(part):
                clear &= abs(center[k] - pos) > size[k] / 2 + width / 2 + 2 * wall
            if clear:
                holes.append(hole)
                break
    if holes:
        part["holes"] = holes
    return part


def sample_camera(rng: np.random.Generator, recipe: SceneRecipe, part: dict, aspect: float) -> dict:
    """Camera on a sphere around a look-at point, far enough that the part spans `fill` frames."""
    c = recipe.camera
    focal = uniform(rng, c.focal_length)
    tilt = math.radians(uniform(rng, c.tilt))
    # the plate's defect surface faces up, the cylinder's faces sideways
    elevation = math.pi / 2 - tilt if parts.faces_up(part) else tilt
    azimuth = float(rng.uniform(0, 2 * math.pi))
    fill = uniform(rng, c.fill)
    if parts.is_periodic_u(part):
        part["seam_angle"] = azimuth + math.pi
    radius = parts.bounding_radius(part)
    sensor = 36.0
    # the sensor spans the frame's longer side; the shorter side sets how much of the part fits
    tan_half = sensor / 2 / focal * min(aspect, 1 / aspect)
    distance = (radius / fill) / tan_half
    # close-ups (fill > 1) look at a random spot of the defect surface, not always the centre
    target = parts.part_center(part).copy()
    U, V = parts.surface_extent(part)
    spread = max(0.0, 1 - 1 / fill)
    if part["type"] == "ring":  # close-ups look at the annulus, not into the hole
        a = rng.uniform(0, 2 * math.pi)
        r_mid = part["outer_radius"] - part["width"] / 2
        target[:2] += r_mid * min(1.0, 2 * spread) * np.array([math.cos(a), math.sin(a)])
        target[2] = parts.top_height(part)
    elif parts.faces_up(part):
        target[:2] += (rng.uniform(-0.5, 0.5, 2) * parts.look_span(part)) * spread
        target[2] = parts.top_height(part)
    else:
        target[2] += rng.uniform(-0.5, 0.5) * V * spread
    if part["type"] in ("ring", "dome") and np.hypot(*target[:2]) > 1e-6:
        # the seam goes opposite the spot looked at, so the seen arc never crosses it
        part["seam_angle"] = math.atan2(target[1], target[0]) + math.pi
    target += rng.uniform(-1, 1, 3) * uniform(rng, c.jitter) * radius
    direction = np.array([math.cos(elevation) * math.cos(azimuth), math.cos(elevation) * math.sin(azimuth),
                          math.sin(elevation)])
    location = target + distance * direction
    if part["type"] == "mesh":  # look at the defect patch's anchor, a spot this camera sees
        user_mesh.pick_anchor(rng, part, location, target, math.atan(tan_half))
        target = np.asarray(part["anchor"])
    return {
        "location": location.tolist(),
        "look_at": target.tolist(),
        # the image's up direction before roll: along the tile/plate's y axis, or the cylinder's axis
        "up": [0.0, 1.0, 0.0] if parts.faces_up(part) else [0.0, 0.0, 1.0],
        "focal_length": focal,
        "sensor_width": sensor,
        "short_side": min(aspect, 1 / aspect),  # the frame's shorter side / the sensor width
        "azimuth": azimuth,
        "fill": fill,
        "exposure": uniform(rng, c.exposure),
        "roll": math.radians(uniform(rng, c.roll)),
        "grayscale": c.grayscale,
        # 0: a pinhole (all sharp); the mask is always the pinhole's, i.e. where the defect is
        "f_stop": uniform(rng, c.f_stop) if c.depth_of_field > 0 and rng.random() < c.depth_of_field else 0.0,
        "focus_distance": focus_distance(part, location, target),
        "clip_start": max(0.1, distance - 2 * radius) * 0.5,
        "clip_end": 20000.0,  # beyond the studio dome (8 m)
    }


def focus_distance(part: dict, location: np.ndarray, look_at: np.ndarray, n: int = 64) -> float:
    """Distance along the line of sight to the defect surface where the camera looks (the
    look-at point itself can lie inside the part, e.g. on a cylinder's axis): the surface point
    turned to the camera that lies nearest the line of sight."""
    forward = (look_at - location) / np.linalg.norm(look_at - location)
    if part["type"] == "mesh":  # its look-at is the anchor, on the surface
        return float((look_at - location) @ forward)
    uv = parts.surface_grid(part, n)
    ray = parts.surface_points(part, uv) - location
    along = ray @ forward
    facing = np.einsum("ij,ij->i", parts.surface_normals(part, uv), ray) < 0
    off_axis = np.linalg.norm(ray - along[:, None] * forward, axis=1)
    if not facing.any():
        return float((look_at - location) @ forward)
    return float(along[facing][np.argmin(off_axis[facing])])


def blackbody_rgb(kelvin: float) -> list[float]:
    """Linear RGB of a black body, normalised to max 1 (Tanner Helland's sRGB fit, linearised)."""
    t = kelvin / 100.0
    r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    g = 99.4708025861 * math.log(t) - 161.1195681661 if t <= 66 else 288.1221695283 * (t - 60) ** -0.0755148492
    b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307)
    srgb = np.clip(np.array([r, g, b]) / 255.0, 0, 1)
    lin = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return (lin / lin.max()).tolist()


def _aimed(location, look_at, size, radiance, color, size_y=None, camera_visible=True) -> dict:
    area = size * (size if size_y is None else size_y) * 1e-6  # m^2
    light = {"type": "area", "location": np.asarray(location, dtype=float).tolist(),
             "look_at": np.asarray(look_at, dtype=float).tolist(), "size": size, "power": radiance * math.pi * area,
             "color": color}
    if size_y is not None:
        light["size_y"] = size_y
    if not camera_visible:
        light["camera_visible"] = False
    return light


def _on_sphere(center, dist, elevation, azimuth) -> np.ndarray:
    return center + dist * np.array([math.cos(elevation) * math.cos(azimuth),
                                     math.cos(elevation) * math.sin(azimuth), math.sin(elevation)])


def sample_lights(rng: np.random.Generator, recipe: SceneRecipe, part: dict, camera: dict) -> list[dict]:
    """The lights of one frame: one rig drawn from the recipe's `rigs`.

    area: 1-8 square area lights on a hemisphere; grazing: the same at low elevation;
    ring: 8 small lights on a circle around the lens; coaxial: one light at the lens, along the
    line of sight (invisible to the camera, as behind a beam splitter); bar: one long
    rectangular light; dome: one huge soft light overhead (diffuse, shadowless).
    """
    r = recipe.lights
    rig = r.rigs[int(rng.integers(len(r.rigs)))]
    center = parts.part_center(part)
    color = blackbody_rgb(uniform(rng, r.temperature))
    radiance = uniform(rng, r.radiance)
    if rig in ("area", "grazing"):
        n = int(rng.integers(r.count[0], r.count[1] + 1))
        lights = []
        for _ in range(n):
            el = math.radians(uniform(rng, r.grazing_elevation if rig == "grazing" else r.elevation))
            loc = _on_sphere(center, uniform(rng, r.distance), el, float(rng.uniform(0, 2 * math.pi)))
            lights.append(_aimed(loc, center, uniform(rng, r.size), radiance, color))
            radiance, color = uniform(rng, r.radiance), blackbody_rgb(uniform(rng, r.temperature))
        return lights
    cam, look = np.asarray(camera["location"]), np.asarray(camera["look_at"])
    forward = (look - cam) / np.linalg.norm(look - cam)
    if rig == "ring":
        side = np.cross(forward, [0.0, 0.0, 1.0] if abs(forward[2]) < 0.9 else [1.0, 0.0, 0.0])
        side /= np.linalg.norm(side)
        up = np.cross(side, forward)
        rad = uniform(rng, r.ring_radius)
        size = max(2.0, 2 * math.pi * rad / 8 * 0.5)
        return [_aimed(cam + rad * (math.cos(a) * side + math.sin(a) * up), look, size, radiance, color,
                       camera_visible=False) for a in np.linspace(0, 2 * math.pi, 8, endpoint=False)]
    if rig == "coaxial":
        size = uniform(rng, r.size)
        return [_aimed(cam - forward * 1.0, look, size, radiance, color, camera_visible=False)]
    if rig == "bar":
        el = math.radians(uniform(rng, r.elevation))
        loc = _on_sphere(center, uniform(rng, r.distance), el, float(rng.uniform(0, 2 * math.pi)))
        return [_aimed(loc, center, uniform(rng, r.bar_length), radiance, color, size_y=uniform(rng, r.size) / 4)]
    # dome: a soft light overhead, three times wider than its distance
    dist = uniform(rng, r.distance)
    return [_aimed(center + [0.0, 0.0, dist], center, 3 * dist, radiance * 0.5, color)]


def sample_material(rng: np.random.Generator, recipe: SceneRecipe, part: dict) -> dict:
    m = recipe.material
    rgb = colorsys.hsv_to_rgb(uniform(rng, m.hue), uniform(rng, m.saturation), uniform(rng, m.value))
    return {
        "base_color": [float(x) for x in rgb],
        "metallic": uniform(rng, m.metallic),
        "roughness": uniform(rng, m.roughness),
        "brushing": uniform(rng, m.brushing),
        # machining marks: across the plate at a random angle, around the cylinder (turning)
        # (around a ring or dome: turned)
        "brush_angle": {"plate": float(rng.uniform(0, math.pi)), "tile": math.pi / 2}.get(part["type"], 0.0),
        "grain": uniform(rng, m.grain),
        "texture_offset": rng.uniform(0, 1000, 3).tolist(),
        "grain_scale": uniform(rng, m.grain_scale),
        "relief": uniform(rng, m.relief),
        "transmission": uniform(rng, m.transmission),
        "ior": uniform(rng, m.ior),
    }


def sample_world(rng: np.random.Generator, recipe: SceneRecipe) -> dict:
    return {"strength": uniform(rng, recipe.world.strength), "rotation": float(rng.uniform(0, 2 * math.pi))}


def sample_sensor(rng: np.random.Generator, recipe: SceneRecipe) -> dict:
    """Camera sensor effects of one frame (applied by render.sensor after rendering)."""
    r = recipe.sensor
    return {
        "blur": uniform(rng, r.blur),
        "vignetting": uniform(rng, r.vignetting),
        "noise": uniform(rng, r.noise),
        "shot_noise": uniform(rng, r.shot_noise),
        "jpeg_quality": int(round(uniform(rng, r.jpeg_quality))),
        "seed": int(rng.integers(2**31)),
    }


def sample_ground(rng: np.random.Generator, recipe: SceneRecipe) -> dict:
    v = uniform(rng, recipe.ground.value)
    return {"color": [v, v, v], "roughness": float(rng.uniform(0.4, 0.9))}
