"""Open circuit or mouse bite: copper missing from a trace, across its whole width (fraction 1:
an open) or bitten from one edge (fraction < 1); the board laid bare is the mask."""

from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect
from render.parts.pieces import Piece, box, placer, strip
from render.ranges import Range, uniform


class OpenRecipe(DefectRecipe):
    """Copper missing from a trace."""

    category: str = "open"
    length: Range(0.02, 20) = (0.3, 1.0)  # mm along the trace
    fraction: Range(0.1, 1) = (1.0, 1.0)  # of the trace's width (1: cut through)


@dataclass(frozen=True)
class Open(ItemDefect):
    type = "open"
    Recipe = OpenRecipe
    draw_order = 16

    segment: int  # of the trace's path
    start: float  # mm along that segment
    length: float
    fraction: float
    side: float  # +1: bitten from the left of the segment's direction, -1: from the right
    width: float  # the trace's
    axis: tuple  # (u, v) direction along the trace; `center` is the missing copper's centre

    @classmethod
    def suits(cls, it, r) -> bool:
        """A trace with a segment long enough for the gap and some copper either side."""
        return it.kind == "trace" and np.linalg.norm(np.diff(it.path, axis=0), axis=1).max() > 4 * it.size[1]

    @classmethod
    def sample(cls, rng, r: OpenRecipe, lo, hi, part) -> "Open":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        path = np.asarray(item.path)
        seg_len = np.linalg.norm(np.diff(path, axis=0), axis=1)
        ok = seg_len > 4 * item.size[1]
        mid = (path[1:] + path[:-1]) / 2
        seen = ok & np.all((mid >= lo) & (mid <= hi), axis=1)
        i = int(rng.choice(np.nonzero(seen if seen.any() else ok)[0]))
        w = item.size[1]
        length = min(uniform(rng, r.length), seg_len[i] - 2 * w)
        start = float(rng.uniform(w, max(w, seg_len[i] - w - length)))
        fraction, side = uniform(rng, r.fraction), float(rng.choice([-1.0, 1.0]))
        d = (path[i + 1] - path[i]) / seg_len[i]
        n = np.array([-d[1], d[0]])
        c = path[i] + d * (start + length / 2) + n * side * (w - fraction * w) / 2
        return cls(item=k, center=tuple(c.tolist()), reach=float(length + w), segment=i, start=start,
                   length=float(length), fraction=fraction, side=side, width=w, axis=tuple(d.tolist()))

    def _half(self) -> np.ndarray:
        return np.array([self.length / 2, self.fraction * self.width / 2])

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        d = np.asarray(self.axis)
        rel = uv - self.center
        local = np.column_stack([rel @ d, rel @ [-d[1], d[0]]])
        return np.all(np.abs(local) <= self._half(), axis=1)

    def refinement(self, across: float):
        c, d, half = np.asarray(self.center), np.asarray(self.axis), self._half()
        n = np.array([-d[1], d[0]])
        step = max(0.01, min(half) / 3)
        t = np.linspace(-1, 1, max(3, int(2 * half.max() / step) + 1))
        outline = np.vstack([c + np.outer(t * half[0], d) + s * half[1] * n for s in (-1, 1)]
                            + [c + s * half[0] * d + np.outer(t * half[1], n) for s in (-1, 1)])
        return outline, step, step

    def modify(self, built, defect_id: int) -> None:
        path, w = built.meta["path"], self.width
        a, b = path[self.segment], path[self.segment + 1]
        d = (b - a) / np.linalg.norm(b - a)
        cut0, cut1 = a + d * self.start, a + d * (self.start + self.length)
        z, h, paint = built.meta["z"], built.meta["height"], built.meta["paint"]
        keep = [np.vstack([path[: self.segment + 1], cut0]), np.vstack([cut1, path[self.segment + 1:]])]
        pieces = [Piece(v + [0, 0, z], f, paint=paint) for p in keep for v, f in strip(p, w, 0.0, h)]
        if self.fraction < 1:  # what the bite leaves of the trace's width
            rest = w * (1 - self.fraction)
            n = np.array([-d[1], d[0]])
            mid = (cut0 + cut1) / 2 - n * self.side * (w - rest) / 2
            v, f = box((self.length, rest, h))
            pieces.append(Piece(placer([*mid, z], float(np.arctan2(d[1], d[0])))(v), f, paint=paint))
        built.roles["copper"] = pieces
