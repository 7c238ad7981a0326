"""Draw the defect instances of one frame, placed where the camera looks."""

import math

import numpy as np

from render.config import (
    BurrRecipe,
    ChipRecipe,
    CollisionRecipe,
    CrackRecipe,
    DentRecipe,
    GapRecipe,
    PitRecipe,
    SceneRecipe,
    ScratchRecipe,
    StainRecipe,
    UnevenRecipe,
)
from render.geometry import defects as dfx
from render.geometry import parts, user_mesh
from render.sampling.scene import uniform

CURVE_POINTS = 24


def visible_region(part: dict, camera: dict, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) corners in (u, v) of the part surface that the camera sees.

    A grid of surface points is tested: inside the cone inscribed in the frame (so any roll
    keeps them in view) and facing the camera within ~70 degrees (steeper flanks foreshorten
    defects to slivers). Occlusion is ignored
    (the built-in parts are convex where defects go). If no point passes, the region around
    the point nearest the line of sight is used. On a user's mesh (possibly concave) the
    chart keeps defects on faces turned to the camera, but a fold in front of them is not tested.
    """
    U, V = parts.surface_extent(part)
    uv = parts.surface_grid(part, n)
    p = parts.surface_points(part, uv)
    loc, look = np.asarray(camera["location"]), np.asarray(camera["look_at"])
    forward = (look - loc) / np.linalg.norm(look - loc)
    ray = p - loc
    dist = np.linalg.norm(ray, axis=1)
    cos_view = ray @ forward / dist
    half_angle = math.atan(camera["sensor_width"] / 2 / camera["focal_length"] * camera["short_side"])
    facing = -np.einsum("ij,ij->i", parts.surface_normals(part, uv), ray) / dist
    seen = (cos_view >= math.cos(half_angle)) & (facing > 0.35) & parts.surface_valid(part, uv)
    step = np.array([U, V]) / n
    margin = 0.04 * min(U, V)
    if seen.any():
        lo, hi = uv[seen].min(0) - step / 2, uv[seen].max(0) + step / 2
    else:
        c = uv[np.argmax(cos_view + (facing > 0))]
        lo, hi = c - step, c + step
    lo = np.maximum(lo, margin)
    hi = np.minimum(hi, [U - margin, V - margin])
    return lo, np.maximum(hi, lo)


def _place(rng, shape_lo, shape_hi, lo, hi) -> np.ndarray:
    """Offset that puts a shape's bbox inside [lo, hi] (centred on the region if it cannot fit)."""
    free_lo, free_hi = lo - shape_lo, hi - shape_hi
    mid = (lo + hi) / 2 - (shape_lo + shape_hi) / 2
    return np.where(free_lo <= free_hi, rng.uniform(np.minimum(free_lo, free_hi), np.maximum(free_lo, free_hi)), mid)


def sample_scratch(rng, r: ScratchRecipe, lo, hi, part) -> dict:
    length = uniform(rng, r.length)
    width = uniform(rng, r.width)
    # the curve bends with a smoothly varying curvature; its sign picks the bending side
    kappa = uniform(rng, r.curvature) * rng.choice([-1.0, 1.0])
    wobble, phase = rng.uniform(0, 0.6), rng.uniform(0, 2 * math.pi)
    fit = float(np.min(hi - lo))
    length = min(length, 0.95 * max(fit, 1e-6) * math.sqrt(2))
    t = np.linspace(0, 1, CURVE_POINTS)
    ds = length / (CURVE_POINTS - 1)
    heading = rng.uniform(0, 2 * math.pi) + np.cumsum(kappa * (1 + wobble * np.sin(2 * math.pi * t + phase)) * ds)
    pts = np.vstack([[0, 0], np.cumsum(np.column_stack([np.cos(heading[:-1]), np.sin(heading[:-1])]) * ds, axis=0)])
    extent = pts.max(0) - pts.min(0)
    shrink = min(1.0, float(np.min((hi - lo) / np.maximum(extent, 1e-9))))
    pts = pts * shrink
    pts = pts + _place(rng, pts.min(0), pts.max(0), lo, hi)
    has_lips = bool(rng.random() < r.lip_probability)
    d = {
        "type": "scratch",
        "points": pts.tolist(),
        "width": width,
        "depth": uniform(rng, r.depth),
        "profile": str(rng.choice(r.profiles)),
        "lip_height": uniform(rng, r.lip_height) if has_lips else 0.0,
        "lip_width": uniform(rng, r.lip_width) if has_lips else 0.0,
    }
    if r.cluster[1] > 1:  # drawn only for clusters, so single scratches keep their numbers
        n = int(rng.integers(r.cluster[0], r.cluster[1] + 1))
        if n > 1:
            d["strands"] = _cluster_strands(rng, pts, n, r, d)
    return d


def _cluster_strands(rng, pts: np.ndarray, n: int, r: ScratchRecipe, d: dict) -> list[dict]:
    """Near-parallel companions of a scratch (one abrasive event): shifted sideways by `spread`
    steps, each a random stretch of the curve, a little narrower or shallower."""
    chord = pts[-1] - pts[0]
    side = np.array([-chord[1], chord[0]]) / max(np.linalg.norm(chord), 1e-9)
    strands, reach = [], {1: 0.0, -1: 0.0}
    for i in range(1, n):
        sign = 1 if i % 2 else -1  # companions alternate sides, each side moving outwards
        reach[sign] += uniform(rng, r.spread)
        shift = side * sign * reach[sign]
        a = int(rng.integers(0, len(pts) // 3))
        b = int(rng.integers(2 * len(pts) // 3, len(pts))) + 1
        strands.append({"points": (pts[a:b] + shift + rng.normal(0, 0.02, 2)).tolist(),
                        "width": d["width"] * rng.uniform(0.5, 1.0), "depth": d["depth"] * rng.uniform(0.4, 1.0)})
    return strands


def sample_dent(rng, r: DentRecipe, lo, hi, part) -> dict:
    radius = uniform(rng, r.radius)
    elongation = uniform(rng, r.elongation)
    # a dent never grows beyond half the visible region
    radius = min(radius, 0.25 * float(np.min(hi - lo)) / elongation) if np.min(hi - lo) > 0 else radius
    reach = radius * elongation
    center = _place(rng, np.array([-reach, -reach]), np.array([reach, reach]), lo, hi)
    return {
        "type": "dent",
        "center": center.tolist(),
        "radius": radius,
        "depth": uniform(rng, r.depth),
        "falloff": uniform(rng, r.falloff),
        "elongation": elongation,
        "angle": float(rng.uniform(0, math.pi)),
    }


def _fit(rng, paths: list[np.ndarray], lo, hi) -> list[np.ndarray]:
    """Shrink (if needed) and move point sets together so their bbox lies in [lo, hi]."""
    allp = np.vstack(paths)
    extent = allp.max(0) - allp.min(0)
    shrink = min(1.0, float(np.min((hi - lo) / np.maximum(extent, 1e-9))))
    paths = [p * shrink for p in paths]
    allp = np.vstack(paths)
    off = _place(rng, allp.min(0), allp.max(0), lo, hi)
    return [p + off for p in paths]


def _walk(rng, start, heading, length, steps, wander_rad) -> np.ndarray:
    ds = length / steps
    h = heading + np.cumsum(rng.normal(0, wander_rad, steps))
    return np.vstack([start, start + np.cumsum(np.column_stack([np.cos(h), np.sin(h)]) * ds, axis=0)])


def sample_crack(rng, r: CrackRecipe, lo, hi, part) -> dict:
    length, width = uniform(rng, r.length), uniform(rng, r.width)
    wander = math.radians(uniform(rng, r.wander))
    main = _walk(rng, np.zeros(2), rng.uniform(0, 2 * math.pi), length, 20, wander)
    paths, widths = [main], [width]
    for _ in range(int(rng.integers(r.branches[0], r.branches[1] + 1))):
        k = int(rng.integers(3, 17))
        seg = main[k + 1] - main[k]
        heading = math.atan2(seg[1], seg[0]) + rng.choice([-1, 1]) * math.radians(rng.uniform(25, 60))
        paths.append(_walk(rng, main[k], heading, length * rng.uniform(0.2, 0.5), 8, wander))
        widths.append(0.6 * width)
    paths = _fit(rng, paths, lo, hi)
    return {"type": "crack", "paths": [p.tolist() for p in paths], "widths": widths,
            "depth": uniform(rng, r.depth), "darken": uniform(rng, r.darken)}


def sample_pit(rng, r: PitRecipe, lo, hi, part) -> dict:
    n = int(rng.integers(r.cluster[0], r.cluster[1] + 1))
    spread = uniform(rng, r.spread) if n > 1 else 0.0
    radii = [uniform(rng, r.radius) for _ in range(n)]
    ang, rad = rng.uniform(0, 2 * math.pi, n), spread * np.sqrt(rng.uniform(0, 1, n))
    centers = np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
    centers[0] = 0.0
    pad = max(radii)
    (centers,) = _fit(rng, [centers], lo + pad, np.maximum(hi - pad, lo + pad))
    return {"type": "pit", "centers": centers.tolist(), "radii": radii, "depth": uniform(rng, r.depth),
            "darken": uniform(rng, r.darken)}


def sample_stain(rng, r: StainRecipe, lo, hi, part) -> dict:
    radius, elongation = uniform(rng, r.radius), uniform(rng, r.elongation)
    irregular = uniform(rng, r.irregularity)
    radius = min(radius, 0.25 * float(np.min(hi - lo)) / elongation) if np.min(hi - lo) > 0 else radius
    reach = radius * elongation * (1 + irregular)
    center = _place(rng, np.array([-reach, -reach]), np.array([reach, reach]), lo, hi)
    return {"type": "stain", "center": center.tolist(), "radius": radius, "elongation": elongation,
            "angle": float(rng.uniform(0, math.pi)), "wobble": rng.uniform(0, irregular, 4).tolist(),
            "phases": rng.uniform(0, 2 * math.pi, 4).tolist(), "darken": uniform(rng, r.darken)}


def _edge_anchor(rng, part: dict, lo, hi) -> tuple[np.ndarray, np.ndarray, bool]:
    """A point on an edge of the surface domain near the seen region, the inward normal, and
    whether the edge is a groove's rim (which climbs along a helical thread).

    Edges: u = 0, u = U, v = 0, v = V (a cylinder's u is periodic: only its rims v = 0, V).
    Among the edges that the seen region reaches (or the nearest one), one is drawn; the point
    is drawn along the part of it that is seen.
    """
    if part["type"] == "mesh":
        return _mesh_edge_anchor(rng, part, lo, hi)
    U, V = parts.surface_extent(part)
    edges = [(1, 0.0, [0.0, 1.0])]  # (coordinate index, value, inward normal)
    if part["type"] != "dome":  # a dome's v = V is the tiny cap at its pole, not an edge
        edges.append((1, V, [0.0, -1.0]))
    if not parts.is_periodic_u(part):
        edges += [(0, 0.0, [1.0, 0.0]), (0, U, [-1.0, 0.0])]
    n_part_edges = len(edges)
    for k, pos, width in parts.groove_lines(part):  # the rims of machined grooves are edges too
        inward = np.eye(2)[k]
        edges += [(k, pos - width / 2, list(-inward)), (k, pos + width / 2, list(inward))]
    reach = 0.1 * max(U, V)
    near = [e for e in edges if lo[e[0]] - reach <= e[1] <= hi[e[0]] + reach]
    if not near:
        center = (lo + hi) / 2
        near = [min(edges, key=lambda e: abs(center[e[0]] - e[1]))]
    i = int(rng.integers(len(near)))
    k, value, normal = near[i]
    along = 1 - k
    point = np.zeros(2)
    a, b = lo[along], hi[along]
    if along == 0 and parts.is_periodic_u(part):  # keep clear of the seam at u = 0 = U
        a, b = max(a, 0.08 * U), min(b, 0.92 * U)
    point[along] = rng.uniform(a, max(a, b))
    groove_rim = edges.index(near[i]) >= n_part_edges
    point[k] = value + (parts.groove_offset(part, point[along]) if groove_rim else 0.0)  # a thread climbs
    return point, np.asarray(normal), groove_rim


def _mesh_edge_anchor(rng, part: dict, lo, hi) -> tuple[np.ndarray, np.ndarray, bool]:
    """A point on a sharp edge of a mesh's chart near the seen region, and the inward normal.

    Each edge is clipped to the seen region (grown by 10% of the patch) and weighted by the
    length inside it; a chart with no sharp edge there gives a point in the region and a
    random direction.
    """
    seg = user_mesh.chart(part).edge_segments()
    reach = 0.1 * part["patch"]
    t0, t1 = _clip_segments(seg, lo - reach, hi + reach)
    d = seg[:, 1] - seg[:, 0] if len(seg) else np.zeros((0, 2))
    inside = np.maximum(t1 - t0, 0) * np.linalg.norm(d, axis=1)
    if inside.sum() <= 0:
        turn = rng.uniform(0, 2 * math.pi)
        return rng.uniform(lo, hi), np.array([math.cos(turn), math.sin(turn)]), False
    i = int(rng.choice(len(seg), p=inside / inside.sum()))
    inward = np.array([-d[i, 1], d[i, 0]]) / np.linalg.norm(d[i])  # the chart lies left of its ccw boundary
    return seg[i, 0] + rng.uniform(t0[i], t1[i]) * d[i], inward, False


def _clip_segments(seg: np.ndarray, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Parameter range [t0, t1] of each segment a + t (b - a) inside the box [lo, hi]
    (Liang-Barsky); t0 > t1 where a segment misses the box."""
    a, d = seg[:, 0], seg[:, 1] - seg[:, 0]
    t0, t1 = np.zeros(len(seg)), np.ones(len(seg))
    for k in (0, 1):
        with np.errstate(divide="ignore", invalid="ignore"):
            ta, tb = (lo[k] - a[:, k]) / d[:, k], (hi[k] - a[:, k]) / d[:, k]
        flat = d[:, k] == 0
        outside = flat & ((a[:, k] < lo[k]) | (a[:, k] > hi[k]))
        t0 = np.where(flat, t0, np.maximum(t0, np.minimum(ta, tb)))
        t1 = np.where(flat, t1, np.minimum(t1, np.maximum(ta, tb)))
        t1 = np.where(outside, -1.0, t1)
    return t0, t1


def _outline(rng, irregularity: float) -> dict:
    return {"wobble": rng.uniform(0, irregularity, 4).tolist(), "phases": rng.uniform(0, 2 * math.pi, 4).tolist()}


def _waves(rng, size: float, n: int = 12) -> list[list[float]]:
    """Plane waves with wavelengths around `size` (mm) in random directions, for _waves()."""
    k = 2 * math.pi / (size * rng.uniform(0.7, 1.4, n))
    a = rng.uniform(0, 2 * math.pi, n)
    return np.column_stack([k * np.cos(a), k * np.sin(a), rng.uniform(0, 2 * math.pi, n)]).tolist()


def sample_chip(rng, r: ChipRecipe, lo, hi, part) -> dict:
    point, normal, _ = _edge_anchor(rng, part, lo, hi)
    radius, elongation = uniform(rng, r.radius), uniform(rng, r.elongation)
    bump = uniform(rng, r.bump)
    # the long axis runs along the edge; the centre sits a little outside so the scoop is open
    angle = math.atan2(normal[1], normal[0]) + math.pi / 2
    center = point - normal * radius * rng.uniform(0.0, 0.3)
    return {"type": "chip", "center": center.tolist(), "radius": radius, "elongation": elongation, "angle": angle,
            **_outline(rng, uniform(rng, r.irregularity)), "depth": uniform(rng, r.depth),
            "rough": uniform(rng, r.rough), "bump": bump, "waves": _waves(rng, bump),
            "darken": uniform(rng, r.darken)}


def sample_collision(rng, r: CollisionRecipe, lo, hi, part) -> dict:
    d = sample_dent(rng, r, lo, hi, part)
    d.update(type="collision", rim_height=uniform(rng, r.rim_height), rim_width=uniform(rng, r.rim_width))
    if rng.random() < r.edge_probability:
        point, normal, _ = _edge_anchor(rng, part, lo, hi)
        reach = d["radius"] * (1 + d["rim_width"])  # just inside the edge, rim included
        d["center"] = (point + normal * reach * rng.uniform(1.0, 1.5)).tolist()
        d["angle"] = math.atan2(normal[1], normal[0]) + math.pi / 2
    return d


def sample_burr(rng, r: BurrRecipe, lo, hi, part) -> dict:
    width = uniform(rng, r.width)
    if rng.random() < r.edge_probability:
        point, normal, on_groove_rim = _edge_anchor(rng, part, lo, hi)
        along = np.array([-normal[1], normal[0]])
        length = uniform(rng, r.length)
        t = np.linspace(-0.5, 0.5, CURVE_POINTS)[:, None] * length
        pts = point + normal * width * 0.6 + along * t
        k = int(np.argmax(np.abs(along)))  # clip to the seen stretch of the edge
        pts[:, k] = np.clip(pts[:, k], lo[k], max(hi[k], lo[k] + width))
        if on_groove_rim:  # climb with a helical thread (no offset on straight grooves)
            pts[:, 1 - k] += parts.groove_offset(part, pts[:, k]) - parts.groove_offset(part, point[k])
        pts = pts[np.concatenate([[True], np.any(np.diff(pts, axis=0) != 0, axis=1)])]
        if len(pts) < 2:
            pts = np.vstack([pts[0], pts[0] + along * width])
    else:
        shape = ScratchRecipe(length=r.length, width=(width, width), curvature=r.curvature)
        pts = np.asarray(sample_scratch(rng, shape, lo, hi, part)["points"])
    return {"type": "burr", "points": pts.tolist(), "width": width, "height": uniform(rng, r.height),
            "waves": _waves(rng, max(4 * width, 0.5), 8)}


def sample_gap(rng, r: GapRecipe, lo, hi, part) -> dict:
    U, V = parts.surface_extent(part)
    axis = "v" if parts.is_periodic_u(part) else str(rng.choice(["u", "v"]))  # a cylinder's seam runs around it
    k = 0 if axis == "u" else 1
    width = uniform(rng, r.width)
    position = rng.uniform(lo[k] + width, max(hi[k] - width, lo[k] + width))
    return {"type": "gap", "axis": axis, "position": float(position), "width": width, "extent": [U, V],
            "depth": uniform(rng, r.depth), "step": uniform(rng, r.step), "darken": uniform(rng, r.darken)}


def sample_uneven(rng, r: UnevenRecipe, lo, hi, part) -> dict:
    d = sample_stain(rng, StainRecipe(radius=r.radius, elongation=r.elongation, irregularity=r.irregularity,
                                      darken=r.darken), lo, hi, part)
    bump = uniform(rng, r.bump)
    d.update(type="uneven", bump=bump, bump_height=uniform(rng, r.bump_height), waves=_waves(rng, bump, 16))
    return d


SAMPLERS = {"scratch": sample_scratch, "dent": sample_dent, "crack": sample_crack, "pit": sample_pit,
            "stain": sample_stain, "chip": sample_chip, "collision": sample_collision, "burr": sample_burr,
            "gap": sample_gap, "uneven": sample_uneven}


def _on_surface(part: dict, d: dict) -> bool:
    """Whether the middle of the defect (a 3 x 3 grid over the inner half of its bbox) touches
    the surface; chips centred just past an edge still count."""
    lo, hi = dfx.bbox(d)
    t = np.linspace(0.25, 0.75, 3)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    return bool(parts.surface_valid(part, lo + grid * (hi - lo)).any())


def sample_defects(rng: np.random.Generator, recipe: SceneRecipe, part: dict, camera: dict) -> list[dict]:
    enabled = recipe.defects.enabled()
    lo_n, hi_n = recipe.defects.count
    n = int(rng.integers(lo_n, hi_n + 1))
    if n == 0 or not enabled:
        return []
    w = np.array([r.weight for _, r in enabled])
    lo, hi = visible_region(part, camera)
    out = []
    for i in range(n):
        kind, r = enabled[int(rng.choice(len(enabled), p=w / w.sum()))]
        d = SAMPLERS[kind](rng, r, lo, hi, part)
        for _ in range(8 if part["type"] == "mesh" or part.get("holes") else 0):  # holes in the surface
            if _on_surface(part, d):
                break
            d = SAMPLERS[kind](rng, r, lo, hi, part)
        out.append({"id": i + 1, "category": r.category, **d})
    return out
