"""Electronic components on a board, as pieces: SMD chips, SOT and SOIC/QFP packages with
gull-wing leads, pin headers, connectors, shield cans, housings, SMD electrolytic cans, and the
board's own copper (traces, vias, holes, fiducials).

An Item is one component's values (drawn once with the board's layout); build_item turns it
into pieces by role (pads, body, leads, fillets, marks), which item defects then change. Items
are built in their own frame (x along the body's length, z = 0 on the board's top) and moved
onto the board.
"""

import math
from dataclasses import dataclass

import numpy as np

from render.parts.pieces import STEP, Built, Piece, annulus, box, disc_outline, dome, placer, prism, strip, tube, wedge
from render.parts.silkscreen import text_strokes, text_width

PAD_H = 0.035  # mm: copper pads and bare traces above the solder mask
TRACE_H = 0.012  # traces under the mask: a low ridge (crossing traces: up to 8 micrometres higher)
SILK_H = 0.022  # silkscreen ink, over the mask and the traces under it (up to 10 micrometres higher)
CLEAR_H = 0.006  # bare laminate around pads (the mask's openings)

# paint: linear rgb, metallic, roughness
FINISHES = {"tin": (0.72, 0.72, 0.74, 1.0, 0.22), "gold": (0.92, 0.66, 0.3, 1.0, 0.2),
            "copper": (0.85, 0.42, 0.26, 1.0, 0.3)}
SOLDER = (0.75, 0.75, 0.77, 1.0, 0.12)
LAMINATE = (0.33, 0.3, 0.14, 0.0, 0.5)  # bare FR4 at the mask's openings and the board's edges
EPOXY = (0.018, 0.018, 0.02, 0.0, 0.5)
MARKING = (0.35, 0.35, 0.35, 0.0, 0.6)  # laser marking on black epoxy
DARK = (0.004, 0.004, 0.004, 0.0, 0.9)  # a hole's inside, an opening
GOLD = FINISHES["gold"]
NICKEL = (0.62, 0.62, 0.6, 1.0, 0.3)
ALUMINIUM = (0.7, 0.7, 0.72, 1.0, 0.25)
BODIES = {  # body paints per kind: a few plausible colours
    "chip": [EPOXY, (0.42, 0.26, 0.12, 0.0, 0.5), (0.3, 0.17, 0.07, 0.0, 0.5)],  # resistor, ceramic capacitors
    "connector": [(0.75, 0.72, 0.62, 0.0, 0.45), (0.02, 0.02, 0.02, 0.0, 0.45), (0.8, 0.8, 0.8, 0.0, 0.45)],
    "housing": [(0.02, 0.08, 0.35, 0.0, 0.35), (0.02, 0.02, 0.02, 0.0, 0.4), (0.8, 0.8, 0.78, 0.0, 0.4)],
}
KINDS = ("chip", "sot", "soic", "qfp", "header", "connector", "shield", "housing", "can")
PREFIX = {"sot": "Q", "soic": "U", "qfp": "U", "header": "J", "connector": "J", "shield": "SH", "housing": "K",
          "can": "C"}  # designators (a chip's is R or C, by its body)


@dataclass(frozen=True)
class Item:
    """A component (or a trace, via, hole) of a board's layout; lengths in mm, in its own frame."""

    kind: str
    center: tuple  # (u, v) on the board's surface
    angle: float  # about z
    size: tuple  # body length (x), width (y), height (z); a trace's width in size[1]
    pads: tuple = ()  # (x, y, sx, sy) each
    leads: tuple = ()  # (x0, y0, x1, y1): from the body's edge to the foot's end; a pin: x0 = x1, y0 = y1
    paint: tuple = EPOXY  # body paint
    label: str = ""  # silkscreen designator (its prefix until the layout numbers it)
    marking: str = ""  # laser-marked part number on the body
    path: tuple = ()  # a trace's polyline (u, v)

    def extent(self) -> np.ndarray:
        """Half extents (x, y) in the board's frame, pads included (angles are multiples of 90°)."""
        pts = [np.array(self.size[:2]) / 2]
        pts += [np.abs([x, y]) + np.array([sx, sy]) / 2 for x, y, sx, sy in self.pads]
        pts += [np.abs([x1, y1]) for _, _, x1, y1 in self.leads]
        half = np.max(pts, axis=0)
        return half[::-1] if round(self.angle / (math.pi / 2)) % 2 else half

    def to_board(self, xy) -> np.ndarray:
        """Points of the item's frame in the board's (u, v)."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        return np.asarray(xy, float) @ np.array([[c, s], [-s, c]]) + self.center


def body_top(item: Item) -> float:
    """Height of the item's top above the board."""
    L, W, H = item.size
    return {"chip": PAD_H + 0.02 + H * 1.02, "sot": 0.15 + H, "soic": 0.15 + H, "qfp": 0.15 + H,
            "connector": PAD_H + H, "header": H + 6.0}.get(item.kind, H if item.kind in KINDS else PAD_H)


def make_item(rng, kind: str) -> Item:
    """A component of `kind` with package values drawn (centre and angle come later)."""
    if kind == "chip":
        L, W, H = [(1.0, 0.5, 0.35), (1.6, 0.8, 0.45), (2.0, 1.25, 0.5), (3.2, 1.6, 0.55)][int(rng.integers(4))]
        paint = BODIES["chip"][int(rng.integers(3))]
        H = H if paint is EPOXY else W * 0.8  # ceramic capacitors are about as tall as wide
        p = 0.25 * L + 0.35 * W
        pads = tuple((s * (L / 2 - 0.2 * L + p / 2), 0.0, p, W * 1.15) for s in (-1, 1))
        return Item("chip", (0, 0), 0.0, (L, W, H), pads, (), paint, "RC"[paint is not EPOXY])
    if kind in ("sot", "soic", "qfp"):
        if kind == "sot":
            L, W, H, pitch, n, sides = 2.9, 1.3, 1.0, 0.95, 1, 0
        elif kind == "soic":
            n = int(rng.choice([4, 7, 8]))
            L, W, H, pitch, sides = n * 1.27 + 0.1, 3.9, 1.5, 1.27, 2
        else:
            n = int(rng.choice([8, 10, 12, 16]))
            pitch = float(rng.choice([0.65, 0.8]))
            L = W = n * pitch + 1.2
            H, sides = 1.4, 4
        return gull_wing(kind, L, W, H, pitch, n, sides, rng)
    if kind == "header":
        n, rows = int(rng.integers(2, 11)), int(rng.integers(1, 3))
        pins = [((i - (n - 1) / 2) * 2.54, (r - (rows - 1) / 2) * 2.54) for i in range(n) for r in range(rows)]
        return Item("header", (0, 0), 0.0, (n * 2.54, rows * 2.54, 2.5), (), tuple((x, y, x, y) for x, y in pins),
                    EPOXY, "J")
    if kind == "connector":
        n = int(rng.integers(2, 9))
        pitch = float(rng.choice([1.0, 1.25, 2.0]))
        L, W, H = n * pitch + 2.5, float(rng.uniform(3.5, 6)), float(rng.uniform(2.5, 5.5))
        xs = (np.arange(n) - (n - 1) / 2) * pitch
        leads = tuple((x, -W / 2, x, -W / 2 - 0.9) for x in xs)
        pads = tuple((x, -W / 2 - 0.6, 0.55 * pitch, 1.3) for x in xs)
        pads += tuple((s * (L / 2 - 0.6), 0.4, 1.0, 2.2) for s in (-1, 1))  # mounting tabs
        return Item("connector", (0, 0), 0.0, (L, W, H), pads, leads, BODIES["connector"][int(rng.integers(3))], "J")
    if kind == "shield":
        L, W = rng.uniform(6, 20, 2)
        return Item("shield", (0, 0), 0.0, (L, W, float(rng.uniform(1.2, 2.5))), (), (), NICKEL, "SH")
    if kind == "housing":
        L, W = rng.uniform(5, 15), rng.uniform(4, 10)
        return Item("housing", (0, 0), 0.0, (L, W, float(rng.uniform(3, 9))), (), (),
                    BODIES["housing"][int(rng.integers(3))], "K", str(rng.choice(["5V DC", "12V", "G5V-1", "HK4100"])))
    if kind == "can":
        d = float(rng.choice([4.0, 5.0, 6.3, 8.0]))
        pads = tuple((s * d * 0.42, 0.0, d * 0.35, d * 0.3) for s in (-1, 1))
        return Item("can", (0, 0), 0.0, (d * 1.05, d * 1.05, d * 0.9 + 0.5), pads, (), ALUMINIUM, "C")
    raise ValueError(f"unknown component kind {kind!r}")


def gull_wing(kind, L, W, H, pitch, n, sides, rng) -> Item:
    """A moulded package with leads bent down and out to pads: SOT-23 (sides 0), SOIC (2), QFP (4)."""
    reach, pad_len = (0.55, 0.8) if kind == "sot" else (0.9, 1.5 if kind == "soic" else 1.3)
    if sides == 0:  # SOT-23: two leads on one side, one on the other
        feet = [(-pitch, -1.0), (pitch, -1.0), (0.0, 1.0)]
    else:
        offsets = (np.arange(n) - (n - 1) / 2) * pitch
        feet = [(x, s) for s in (-1.0, 1.0) for x in offsets]
    leads, pads = [], []
    for x, s in feet:
        y0, y1 = s * W / 2, s * (W / 2 + reach)
        leads.append((x, y0, x, y1))
        pads.append((x, s * (W / 2 + reach - 0.25), min(0.6 * pitch, 0.6), pad_len))
    if sides == 4:  # the same on the other two sides, turned
        leads += [(y0, -x, y1, -x) for x, y0, _, y1 in leads]
        pads += [(y, -x, sy, sx) for x, y, sx, sy in pads]
    part = str(rng.choice(["74HC04", "LM358", "NE555", "ATMEGA", "STM32", "MAX232", "TL072", "AD8605"]))
    return Item(kind, (0, 0), 0.0, (L, W, H), tuple(pads), tuple(leads), EPOXY, PREFIX[kind],
                part if kind != "sot" else "")


# ---- pieces ------------------------------------------------------------------------------
def _pad(x, y, sx, sy, finish) -> list[Piece]:
    """A copper pad, and the bare laminate of the mask's opening around it."""
    return [Piece(*_at(box((sx + 0.2, sy + 0.2, CLEAR_H)), x, y), paint=LAMINATE),
            Piece(*_at(box((sx, sy, PAD_H)), x, y), paint=finish)]


def _at(shape, x=0.0, y=0.0, z=0.0):
    v, f = shape
    return v + [x, y, z], f


def build_item(item: Item, finish: tuple, to_part) -> Built:
    """The item's pieces by role, in the part's frame (to_part: item frame -> part frame)."""
    b = Built(meta={"item": item, "to_part": to_part, "center": to_part(np.zeros((1, 3)))[0]})
    for x, y, sx, sy in item.pads:
        b.add("pads", *_pad(x, y, sx, sy, finish))
    L, W, H = item.size
    k = item.kind
    if k == "chip":
        t = 0.2 * L
        b.add("body", Piece(*_at(box((L - 2 * t, W, H), PAD_H + 0.02)), paint=item.paint))
        for s in (-1, 1):
            b.add("body", Piece(*_at(box((t, W, H * 1.02), PAD_H + 0.02), s * (L - t) / 2), paint=SOLDER))
            x_out = max(abs(px) + sx / 2 for px, _, sx, _ in item.pads)
            fillet = wedge(x_out - L / 2, W * 0.95, 0.6 * H)
            b.add("fillets", Piece(*_turned(fillet, s, s * L / 2, 0.0, PAD_H), paint=SOLDER))
    elif k in ("sot", "soic", "qfp", "connector"):
        standoff = 0.15 if k != "connector" else PAD_H
        b.add("body", Piece(*_at(box((L, W, H), standoff)), paint=item.paint))
        lead_paint = SOLDER if k != "connector" else GOLD
        z_top = standoff + H
        for x0, y0, x1, y1 in item.leads:
            d = np.array([x1 - x0, y1 - y0])
            d /= np.linalg.norm(d)
            z0 = standoff + (0.45 * H if k != "connector" else 0.3)
            length = np.hypot(x1 - x0, y1 - y0)
            path = np.array([[x0, y0, z0], [*(np.array([x0, y0]) + d * 0.25 * length), z0],
                             [*(np.array([x0, y0]) + d * 0.55 * length), PAD_H + 0.06],
                             [x1, y1, PAD_H + 0.06]])
            r = 0.07 if k == "qfp" else 0.1
            b.add("leads", Piece(*tube(path, r, 6), paint=lead_paint, smooth=True, anchor=path[0]))
            foot = np.array([x1, y1]) - d * 0.2 * length
            fillet = dome((0.3 * length, 2.2 * r, 0.1), PAD_H)
            b.add("fillets", Piece(*_turned(fillet, 1, *foot, 0.0, math.atan2(d[1], d[0])), paint=SOLDER, smooth=True))
        if k == "connector":  # the opening of the housing, seen from above
            b.add("marks", Piece(*_at(box((L * 0.8, W * 0.45, 0.01), z_top), 0.0, W * 0.12), paint=DARK))
        else:
            r_dot = 0.12 * min(L, W)
            b.add("marks", Piece(*_at(prism(disc_outline(r_dot, 12), z_top, z_top + 0.005),
                                      -L / 2 + 1.6 * r_dot, -W / 2 + 1.6 * r_dot), paint=MARKING))
            b.add("marks", *_text(item.marking, min(0.22 * W, 0.9), z_top, MARKING))
    elif k == "header":
        b.add("body", Piece(*box((L, W, H)), paint=item.paint))
        for x, y, _, _ in item.leads:
            b.add("body", Piece(*_at(box((0.64, 0.64, H)), x, y), paint=GOLD))
            b.add("leads", Piece(*_at(box((0.64, 0.64, 6.0), H), x, y), paint=GOLD, anchor=np.array([x, y, H])))
    elif k == "shield":
        b.add("body", Piece(*box((L, W, H)), paint=item.paint))
        n = (np.array([L, W]) / 1.5).astype(int)
        for i in range(1, n[0]):
            for j in range(1, n[1]):
                if (i + j) % 2 == 0:
                    b.add("marks", Piece(*_at(box((0.5, 0.5, 0.005), H), i * L / n[0] - L / 2, j * W / n[1] - W / 2),
                                         paint=DARK))
    elif k == "housing":
        b.add("body", Piece(*box((L, W, H)), paint=item.paint))
        ink = (0.8, 0.8, 0.8, 0.0, 0.6) if item.paint[0] < 0.5 else EPOXY
        b.add("marks", *_text(item.marking, min(0.15 * W, 1.2), H, ink))
    elif k == "can":
        b.add("body", Piece(*box((L, W, 0.5)), paint=EPOXY))
        r = W * 0.47
        n = 40
        a = np.linspace(0, 2 * np.pi, n, endpoint=False)
        b.add("body", Piece(*prism(np.column_stack([r * np.cos(a), r * np.sin(a)]), 0.5, H), paint=ALUMINIUM,
                            smooth=False))
        arc = a[: n // 2 + 1] + np.pi / 2
        half = np.column_stack([r * 0.9 * np.cos(arc), r * 0.9 * np.sin(arc)])
        b.add("marks", Piece(*prism(half, H, H + 0.005), paint=EPOXY))
    else:
        raise ValueError(f"unknown component kind {k!r}")
    for role, pieces in b.roles.items():
        b.roles[role] = [p.moved(to_part) for p in pieces]
    return b


def _turned(shape, sign, x, y, z, angle=0.0):
    """A shape built along +x, turned by angle (and flipped for sign -1), moved to (x, y, z)."""
    v, f = shape
    return placer([x, y, z], angle + (math.pi if sign < 0 else 0.0))(v), f


def _text(text: str, height: float, z: float, paint) -> list[Piece]:
    """Marking on a body's top, centred."""
    strokes = text_strokes(text, height, (-text_width(text, height) / 2, -height / 2))
    return [Piece(v, f, paint=paint) for k, line in enumerate(strokes)
            for v, f in strip(line, 0.12 * height, z, z + 0.005, (k % 8) * STEP * 8)]


# ---- the board's own copper ----------------------------------------------------------------
def trace_pieces(path_xy: np.ndarray, width: float, paint, height: float) -> list[Piece]:
    return [Piece(v, f, paint=paint) for v, f in strip(path_xy, width, 0.0, height)]


def trace_height(item: Item, exposed: bool) -> float:
    """A trace's copper height: traces that cross differ by a few micrometres (its own `lift`,
    drawn with the layout; see pieces.strip), bare ones stand just above the pads they join."""
    return (PAD_H + STEP if exposed else TRACE_H) + item.size[2]


def via_pieces(xy, r_hole: float, r_ring: float, finish, plugged: bool = False) -> dict:
    """A plated hole: its copper ring and its dark inside (copper too, where it was never drilled)."""
    ring = Piece(*_at(annulus(r_hole, r_ring, 0.0, PAD_H, 16), *xy), paint=finish)
    hole = Piece(*_at(prism(disc_outline(r_hole * 1.02, 16), 0.0, PAD_H * (1.0 if plugged else 0.2)), *xy),
                 paint=finish if plugged else DARK)
    return {"pads": [ring], "hole": [hole]}
