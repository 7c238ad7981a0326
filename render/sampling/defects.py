"""Draw the defect instances of one frame, placed where the camera looks."""

import math

import numpy as np

from render.config import SceneRecipe
from render.defects.registry import DEFECT_TYPES
from render.parts.base import Part
from render.spec import Camera, Defect


def visible_region(part: Part, camera: Camera, n: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) corners in (u, v) of the part surface that the camera sees.

    A grid of surface points is tested: inside the cone inscribed in the frame (so any roll
    keeps them in view) and facing the camera within ~70 degrees (steeper flanks foreshorten
    defects to slivers). Occlusion is ignored
    (the built-in parts are convex where defects go). If no point passes, the region around
    the point nearest the line of sight is used. On a user's mesh (possibly concave) the
    chart keeps defects on faces turned to the camera, but a fold in front of them is not tested.
    """
    U, V = part.surface_extent()
    uv = part.surface_grid(n)
    p = part.surface_points(uv)
    loc, look = np.asarray(camera.location), np.asarray(camera.look_at)
    forward = (look - loc) / np.linalg.norm(look - loc)
    ray = p - loc
    dist = np.linalg.norm(ray, axis=1)
    cos_view = ray @ forward / dist
    half_angle = math.atan(camera.sensor_width / 2 / camera.focal_length * camera.short_side)
    facing = -np.einsum("ij,ij->i", part.surface_normals(uv), ray) / dist
    seen = (cos_view >= math.cos(half_angle)) & (facing > 0.35) & part.surface_valid(uv)
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


def _on_surface(part: Part, shape) -> bool:
    """Whether the middle of the defect (a 3 x 3 grid over the inner half of its bbox) touches
    the surface; chips centred just past an edge still count."""
    lo, hi = shape.bbox()
    t = np.linspace(0.25, 0.75, 3)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    return bool(part.surface_valid(lo + grid * (hi - lo)).any())


def sample_defects(rng: np.random.Generator, recipe: SceneRecipe, part: Part, camera: Camera,
                   first_id: int = 1, part_index: int = 0) -> list[Defect]:
    """The defects of one part (its index among the frame's parts), ids from first_id on; camera
    in the part's own frame."""
    # the types that fit this part (a recipe may mix parts: a bent lead needs leads)
    enabled = [(k, r) for k, r in recipe.defects.enabled() if DEFECT_TYPES[k].applies_to(part, r)]
    lo_n, hi_n = recipe.defects.count
    n = int(rng.integers(lo_n, hi_n + 1))
    if n == 0 or not enabled:
        return []
    w = np.array([r.weight for _, r in enabled])
    lo, hi = visible_region(part, camera)
    retries = 8 if part.has_holes() else 0  # a defect that misses the surface is drawn again
    out = []
    for i in range(n):
        kind, r = enabled[int(rng.choice(len(enabled), p=w / w.sum()))]
        shape = DEFECT_TYPES[kind].sample(rng, r, lo, hi, part)
        for _ in range(retries):
            if _on_surface(part, shape):
                break
            shape = DEFECT_TYPES[kind].sample(rng, r, lo, hi, part)
        out.append(Defect(id=first_id + i, category=r.category, shape=shape, part=part_index))
    return out
