"""Defect shapes as height fields over a part's (u, v) surface domain (millimetres).

Each defect type gives three pure functions of its spec:
- height(d, uv): displacement along the outward normal (negative = into the material);
- footprint(d, uv): where the defect visibly changes the surface (its instance mask on the mesh);
- refinement(d, across): (skeleton points, core radius, mesh spacing) that the mesher must resolve.
A spec's optional `darken` (0..1) darkens and roughens the material on the footprint: the dark
interior of cracks and pits, and the whole look of texture-only defects (stains).
"""

import numpy as np
from scipy.spatial import cKDTree

FOOTPRINT_FRACTION = 0.1  # a dent's flank shallower than this fraction of its depth is not annotated
END_TAPER = 0.15  # fraction of a scratch's length over which its depth fades in and out


# ---- scratch -----------------------------------------------------------------------------
def _resample(points: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Polyline resampled at about `step`; returns points and their arc length fraction t."""
    seg = np.linalg.norm(np.diff(points, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(2, int(np.ceil(s[-1] / step)) + 1)
    si = np.linspace(0.0, s[-1], n)
    out = np.column_stack([np.interp(si, s, points[:, 0]), np.interp(si, s, points[:, 1])])
    return out, si / max(s[-1], 1e-12)


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _scratch_local(d: dict, uv: np.ndarray, taper_len: float = END_TAPER):
    """Distance to the scratch curve, and the taper (0..1) at the nearest curve point."""
    curve, t = _resample(np.asarray(d["points"], dtype=float), d["width"] / 8)
    dist, idx = cKDTree(curve).query(uv)
    # exact distance to the two segments around the nearest sample
    best = dist.copy()
    tt = t[idx]
    for j in (-1, 1):
        k0 = np.clip(idx + min(j, 0), 0, len(curve) - 2)
        a, b = curve[k0], curve[k0 + 1]
        ab = b - a
        w = np.clip(np.einsum("ij,ij->i", uv - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-18), 0, 1)
        dd = np.linalg.norm(uv - (a + w[:, None] * ab), axis=1)
        closer = dd < best
        best = np.where(closer, dd, best)
        tt = np.where(closer, t[k0] + w * (t[k0 + 1] - t[k0]), tt)
    # depth fades in and out at the ends (points beyond an end project to t = 0 or 1: no groove)
    taper = _smoothstep(tt / taper_len) * _smoothstep((1 - tt) / taper_len)
    return best, taper


def _profile(name: str, s: np.ndarray) -> np.ndarray:
    """Groove depth (0..1) across the width, s = |distance| / half width in [0, 1]."""
    if name == "v":
        return 1 - s
    if name == "u":
        return np.sqrt(np.clip(1 - s * s, 0, 1))
    if name == "flat":
        return np.clip((1 - s) / 0.3, 0, 1)
    raise ValueError(f"unknown scratch profile {name!r}")


def _strands(d: dict) -> list[dict]:
    """A scratch's strands as single scratches: itself, plus the others of a cluster."""
    return [d] + [{**d, **strand} for strand in d.get("strands", [])]


def _one_scratch_height(d: dict, uv: np.ndarray) -> np.ndarray:
    dist, taper = _scratch_local(d, uv)
    half = d["width"] / 2
    s = dist / half
    depth = d["depth"] * taper
    h = np.where(s < 1, -depth * _profile(d["profile"], np.minimum(s, 1)), 0.0)
    lw = d["lip_width"]
    if d["lip_height"] > 0 and lw > 0:
        inside_lip = (s >= 1) & (s < 1 + lw)
        h = h + np.where(inside_lip, d["lip_height"] * depth * np.sin(np.pi * (s - 1) / lw), 0.0)
    return h


def scratch_height(d: dict, uv: np.ndarray) -> np.ndarray:
    """Where strands of a cluster meet, the one that moves the surface most wins."""
    hs = np.stack([_one_scratch_height(s, uv) for s in _strands(d)])
    return np.take_along_axis(hs, np.abs(hs).argmax(0)[None], 0)[0]


def scratch_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(uv), bool)
    for s in _strands(d):
        dist, taper = _scratch_local(s, uv)
        reach = 1 + (s["lip_width"] if s["lip_height"] > 0 else 0.0)
        inside |= (dist < s["width"] / 2 * reach) & (taper >= FOOTPRINT_FRACTION)
    return inside


def scratch_refinement(d: dict, across: float):
    strands = _strands(d)
    curve = np.vstack([_resample(np.asarray(s["points"], dtype=float), s["width"] / 4)[0] for s in strands])
    width = min(s["width"] for s in strands)
    core = max(s["width"] for s in strands) / 2 * (1 + d["lip_width"])
    return curve, core, width / across


# ---- crack: a branching hairline fracture, several V-grooves (main path + branches) -------
CRACK_TAPER = 0.3


def _crack_paths(d: dict):
    return [{"points": p, "width": w} for p, w in zip(d["paths"], d["widths"], strict=True)]


def crack_height(d: dict, uv: np.ndarray) -> np.ndarray:
    h = np.zeros(len(uv))
    for p in _crack_paths(d):
        dist, taper = _scratch_local(p, uv, CRACK_TAPER)
        s = dist / (p["width"] / 2)
        h = np.minimum(h, np.where(s < 1, -d["depth"] * taper * (1 - np.minimum(s, 1)), 0.0))
    return h


def crack_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    out = np.zeros(len(uv), bool)
    for p in _crack_paths(d):
        dist, taper = _scratch_local(p, uv, CRACK_TAPER)
        out |= (dist < p["width"] / 2) & (taper >= FOOTPRINT_FRACTION)
    return out


def crack_refinement(d: dict, across: float):
    w = min(d["widths"])
    skel = np.vstack([_resample(np.asarray(p, dtype=float), w / 4)[0] for p in d["paths"]])
    return skel, max(d["widths"]) / 2, w / across


# ---- pit / blowhole / porosity: small steep cavities, one or a cluster per instance -------
def _pit_s(d: dict, uv: np.ndarray) -> np.ndarray:
    """Distance to the nearest pit centre in units of that pit's radius."""
    c = np.asarray(d["centers"], dtype=float)
    r = np.asarray(d["radii"], dtype=float)
    return (np.linalg.norm(uv[:, None, :] - c[None], axis=2) / r[None]).min(axis=1)


def pit_height(d: dict, uv: np.ndarray) -> np.ndarray:
    s = _pit_s(d, uv)
    # steep walls, rounded bottom: 1 - s^4
    return np.where(s < 1, -d["depth"] * (1 - np.minimum(s, 1) ** 4), 0.0)


def pit_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    return _pit_s(d, uv) < 1


def pit_refinement(d: dict, across: float):
    r = min(d["radii"])
    return np.asarray(d["centers"], dtype=float), max(d["radii"]), r / (across + 2)


# ---- stain / dirt: texture only, an irregular blob --------------------------------------
def _stain_s(d: dict, uv: np.ndarray) -> np.ndarray:
    """Radius in units of the blob's wobbly outline (< 1 inside)."""
    rel = uv - np.asarray(d["center"], dtype=float)
    theta = np.arctan2(rel[:, 1], rel[:, 0])
    wobble = np.ones(len(uv))
    for k, (a, ph) in enumerate(zip(d["wobble"], d["phases"], strict=True), start=2):
        wobble += a * np.sin(k * theta + ph) / k
    wobble = np.maximum(wobble, 0.2)  # a very irregular outline stays a closed blob around the centre
    c, s = np.cos(d["angle"]), np.sin(d["angle"])
    x, y = rel[:, 0] * c + rel[:, 1] * s, -rel[:, 0] * s + rel[:, 1] * c
    r = np.sqrt((x / d["elongation"]) ** 2 + y**2)
    return r / (d["radius"] * wobble)


def stain_height(d: dict, uv: np.ndarray) -> np.ndarray:
    return np.zeros(len(uv))


def stain_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    return _stain_s(d, uv) < 1


def stain_refinement(d: dict, across: float):
    n = 96
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    reach = d["radius"] * d["elongation"] * 1.6
    ring = np.asarray(d["center"]) + np.column_stack([np.cos(theta), np.sin(theta)]) * reach * 0.5
    return ring, reach * 0.6, d["radius"] / 24


# ---- dent --------------------------------------------------------------------------------
def _dent_s2(d: dict, uv: np.ndarray) -> np.ndarray:
    c, s = np.cos(d["angle"]), np.sin(d["angle"])
    rel = uv - np.asarray(d["center"], dtype=float)
    x = rel[:, 0] * c + rel[:, 1] * s
    y = -rel[:, 0] * s + rel[:, 1] * c
    return (x / (d["radius"] * d["elongation"])) ** 2 + (y / d["radius"]) ** 2


def dent_height(d: dict, uv: np.ndarray) -> np.ndarray:
    s2 = _dent_s2(d, uv)
    return np.where(s2 < 1, -d["depth"] * np.clip(1 - s2, 0, 1) ** d["falloff"], 0.0)


def dent_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    return np.clip(1 - _dent_s2(d, uv), 0, 1) ** d["falloff"] >= FOOTPRINT_FRACTION


def dent_refinement(d: dict, across: float):
    # a dent is smooth: ~12 edges across its minor radius resolve its shading
    spacing = d["radius"] / 12
    r_major = d["radius"] * d["elongation"]
    n = int(np.ceil(2 * r_major / spacing)) + 1
    g = np.linspace(-r_major, r_major, n)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2) + np.asarray(d["center"])
    return grid[_dent_s2(d, grid) <= 1], 0.0, spacing


# ---- dispatch ----------------------------------------------------------------------------
HEIGHT = {"scratch": scratch_height, "dent": dent_height, "crack": crack_height, "pit": pit_height,
          "stain": stain_height}
FOOTPRINT = {"scratch": scratch_footprint, "dent": dent_footprint, "crack": crack_footprint, "pit": pit_footprint,
             "stain": stain_footprint}
REFINEMENT = {"scratch": scratch_refinement, "dent": dent_refinement, "crack": crack_refinement,
              "pit": pit_refinement, "stain": stain_refinement}


def bbox(d: dict) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned (lo, hi) corners in (u, v) outside which the defect has no effect."""
    t = d["type"]
    if t in ("scratch", "burr"):
        strands = _strands(d)
        p = np.vstack([np.asarray(s["points"], dtype=float) for s in strands])
        pad = max(s["width"] for s in strands) / 2 * (1 + d.get("lip_width", 0.0))
        return p.min(0) - pad, p.max(0) + pad
    if t == "crack":
        p = np.vstack([np.asarray(q, dtype=float) for q in d["paths"]])
        return p.min(0) - max(d["widths"]), p.max(0) + max(d["widths"])
    if t == "pit":
        c = np.asarray(d["centers"], dtype=float)
        r = max(d["radii"])
        return c.min(0) - r, c.max(0) + r
    if t in ("stain", "chip", "uneven"):
        r = d["radius"] * max(d["elongation"], 1) * (1 + sum(d["wobble"]))
        c = np.asarray(d["center"], dtype=float)
        return c - r, c + r
    if t == "gap":  # the seam and the whole side that stands proud of the other
        k = 0 if d["axis"] == "u" else 1
        lo, hi = np.zeros(2), np.asarray(d["extent"], dtype=float)
        lo[k] = d["position"] - d["width"] / 2
        if d["step"] == 0:
            hi[k] = d["position"] + d["width"] / 2
        return lo, hi
    r = d["radius"] * d["elongation"] * (1 + d.get("rim_width", 0.0))  # dent, collision
    c = np.asarray(d["center"], dtype=float)
    return c - r, c + r


# ---- shared: an irregular outline, and band-limited noise ---------------------------------
def _waves(d: dict, uv: np.ndarray) -> np.ndarray:
    """Band-limited noise in about [-1, 1]: a sum of plane waves [ku, kv, phase] (rad/mm)."""
    w = np.asarray(d["waves"], dtype=float)
    if len(w) == 0:
        return np.zeros(len(uv))
    return np.sin(uv @ w[:, :2].T + w[:, 2]).sum(axis=1) * np.sqrt(2.0 / len(w))


def _blob_grid(d: dict, spacing: float) -> np.ndarray:
    lo, hi = bbox(d)
    n = np.minimum(np.ceil((hi - lo) / spacing).astype(int) + 1, 400)
    g = np.stack(np.meshgrid(np.linspace(lo[0], hi[0], n[0]), np.linspace(lo[1], hi[1], n[1])), -1).reshape(-1, 2)
    return g[_stain_s(d, g) <= 1.05]


# ---- chip: material broken off at an edge; a rough scoop through the part's boundary -------
def chip_height(d: dict, uv: np.ndarray) -> np.ndarray:
    s = _stain_s(d, uv)
    profile = np.sqrt(np.clip(1 - s * s, 0, 1))
    return -d["depth"] * profile * np.clip(1 + d["rough"] * _waves(d, uv), 0.2, 2.0)


def chip_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    return _stain_s(d, uv) < 0.99


def chip_refinement(d: dict, across: float):
    spacing = min(d["radius"] / 24, d["bump"] / 4)
    return _blob_grid(d, spacing), 0.0, spacing


# ---- collision mark: an impact dent with a raised rim ------------------------------------
def collision_height(d: dict, uv: np.ndarray) -> np.ndarray:
    s = np.sqrt(_dent_s2(d, uv))
    rw = d["rim_width"]
    h = np.where(s < 1, -d["depth"] * np.clip(1 - s * s, 0, 1) ** d["falloff"], 0.0)
    rim = (s >= 1) & (s < 1 + rw)
    return h + np.where(rim, d["rim_height"] * d["depth"] * np.sin(np.pi * (s - 1) / rw), 0.0)


def collision_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    s2 = _dent_s2(d, uv)
    inner = np.clip(1 - s2, 0, 1) ** d["falloff"] >= FOOTPRINT_FRACTION
    s = np.sqrt(s2)
    rim = (s >= 1) & (s < 1 + d["rim_width"]) & (np.sin(np.pi * (s - 1) / d["rim_width"]) >= FOOTPRINT_FRACTION)
    return inner | rim


def collision_refinement(d: dict, across: float):
    spacing = d["radius"] * min(1.0, d["rim_width"]) / 8
    reach = d["radius"] * d["elongation"] * (1 + d["rim_width"])
    n = min(int(np.ceil(2 * reach / spacing)) + 1, 400)
    g = np.linspace(-reach, reach, n)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2) + np.asarray(d["center"])
    return grid[np.sqrt(_dent_s2(d, grid)) <= 1 + d["rim_width"]], 0.0, spacing


# ---- burr: a thin raised ridge of material, irregular in height -------------------------
def burr_height(d: dict, uv: np.ndarray) -> np.ndarray:
    dist, taper = _scratch_local(d, uv)
    s = np.minimum(dist / (d["width"] / 2), 1)
    irregular = np.clip(1 + 0.6 * _waves(d, uv), 0.2, 2.0)
    return d["height"] * taper * irregular * (1 - s * s) ** 2


def burr_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    dist, taper = _scratch_local(d, uv)
    return (dist < d["width"] / 2 * 0.8) & (taper >= FOOTPRINT_FRACTION)


def burr_refinement(d: dict, across: float):
    curve, _ = _resample(np.asarray(d["points"], dtype=float), d["width"] / 4)
    return curve, d["width"] / 2, d["width"] / across


# ---- gap / misalignment: a straight seam across the part, one side standing proud ----------
def _gap_x(d: dict, uv: np.ndarray) -> np.ndarray:
    return uv[:, 0 if d["axis"] == "u" else 1] - d["position"]


def gap_height(d: dict, uv: np.ndarray) -> np.ndarray:
    x = _gap_x(d, uv)
    half = d["width"] / 2
    s = np.abs(x) / half
    groove = np.where(s < 1, -d["depth"] * np.clip((1 - s) / 0.15, 0, 1), 0.0)  # steep walls, flat bottom
    return groove + np.where(x >= half, d["step"], 0.0)


def gap_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    return np.abs(_gap_x(d, uv)) < d["width"] / 2


def gap_refinement(d: dict, across: float):
    U, V = d["extent"]
    length = V if d["axis"] == "u" else U
    t = np.linspace(0, length, max(2, int(np.ceil(length / (d["width"] / 4)))))
    half = d["width"] / 2
    walls = [np.column_stack([np.full_like(t, d["position"] + o), t]) for o in (-half, half)]
    pts = np.vstack(walls)
    return (pts if d["axis"] == "u" else pts[:, ::-1]), d["width"] / 2, d["width"] / across


# ---- uneven / unfinished surface: a patch of coarser texture (bumps), slightly different look -
def uneven_height(d: dict, uv: np.ndarray) -> np.ndarray:
    s = _stain_s(d, uv)
    fade = np.clip((1 - s) / 0.2, 0, 1)
    return d["bump_height"] * fade * _waves(d, uv)


def uneven_footprint(d: dict, uv: np.ndarray) -> np.ndarray:
    return _stain_s(d, uv) < 0.95


def uneven_refinement(d: dict, across: float):
    spacing = max(d["bump"] / 4, d["radius"] * d["elongation"] / 60)
    return _blob_grid(d, spacing), 0.0, spacing


HEIGHT.update(chip=chip_height, collision=collision_height, burr=burr_height, gap=gap_height, uneven=uneven_height)
FOOTPRINT.update(chip=chip_footprint, collision=collision_footprint, burr=burr_footprint, gap=gap_footprint,
                 uneven=uneven_footprint)
REFINEMENT.update(chip=chip_refinement, collision=collision_refinement, burr=burr_refinement, gap=gap_refinement,
                  uneven=uneven_refinement)
