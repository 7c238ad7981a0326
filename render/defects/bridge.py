"""Solder bridge: a blob of solder joining two neighbouring leads' pads; the blob is the mask."""

from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect
from render.parts.components import PAD_H, SOLDER
from render.parts.pieces import Piece, dome, placer
from render.ranges import Range, uniform


class BridgeRecipe(DefectRecipe):
    """Solder joining two neighbouring pads."""

    category: str = "bridge"
    height: Range(0.05, 2) = (0.2, 0.35)  # mm above the pads


def neighbours(item) -> list[tuple[int, int]]:
    """Pairs of pads side by side at the item's smallest pad spacing (leads of one row)."""
    n = len(item.leads)
    if n < 2 or len(item.pads) < n:  # through-hole pins have no pads on top
        return []
    c = np.array([p[:2] for p in item.pads[:n]])
    d = np.linalg.norm(c[:, None] - c[None], axis=2) + np.eye(n) * 1e9
    pitch = d.min()
    return [(i, j) for i in range(n) for j in range(i + 1, n) if d[i, j] < 1.2 * pitch]


@dataclass(frozen=True)
class Bridge(ItemDefect):
    type = "bridge"
    Recipe = BridgeRecipe
    draw_order = 12

    pads: tuple  # the two pads' indices
    height: float

    @classmethod
    def suits(cls, it, r) -> bool:
        return bool(neighbours(it))

    @classmethod
    def sample(cls, rng, r: BridgeRecipe, lo, hi, part) -> "Bridge":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        pairs = neighbours(item)
        a, b = pairs[int(rng.integers(len(pairs)))]
        mid = item.to_board([(np.array(item.pads[a][:2]) + item.pads[b][:2]) / 2])[0]
        return cls(item=k, center=tuple(mid.tolist()), reach=2.0, pads=(a, b), height=uniform(rng, r.height))

    def modify(self, built, defect_id: int) -> None:
        item = built.meta["item"]
        (xa, ya, sx, sy), (xb, yb, _, _) = item.pads[self.pads[0]], item.pads[self.pads[1]]
        along = np.array([xb - xa, yb - ya])
        span = float(np.linalg.norm(along))
        across = sy if abs(along[0]) > abs(along[1]) else sx  # the pad's length, across the pair
        mid = [(xa + xb) / 2, (ya + yb) / 2, 0.0]
        blob = dome((span / 2 + 0.35 * min(sx, sy), 0.3 * across, self.height), PAD_H, 20, 5)
        v = placer(mid, float(np.arctan2(along[1], along[0])))(blob[0])
        built.add("bridge", Piece(built.meta["to_part"](v), blob[1], paint=SOLDER, smooth=True, defect=defect_id))
