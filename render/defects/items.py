"""Defects of an assembly's items (a board's components and copper, a capacitor's leads): what
they share. Not a defect type itself (it names no `type`).

An item defect names an item of the part's `layout` by its index and changes the item's pieces
as the part builds them (`modify(built, id)`: a missing component loses its body, a bent lead
turns), or adds pieces of its own (`pieces(part, id)`: a solder bridge's blob). The faces it
changes or adds carry its id, so its mask is exact; the defect surface is changed only where a
subclass gives a footprint (the bare board where a component is missing).
"""

from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectType
from render.errors import UserError
from render.parts.pieces import Piece


@dataclass(frozen=True)
class ItemDefect(DefectType):
    item: int  # index in the part's layout
    center: tuple  # (u, v) of the region it changes
    reach: float  # half the size of that region, mm

    @classmethod
    def suits(cls, item, r) -> bool:
        """Whether it can act on this item."""
        return False

    @classmethod
    def applies_to(cls, part, r) -> bool:
        return any(cls.suits(item, r) for item in getattr(part, "layout", ()))

    @classmethod
    def pick(cls, rng, part, lo, hi, r) -> int:
        return pick_item(rng, part, lo, hi, lambda it: cls.suits(it, r), cls.type)

    def displacement(self, uv: np.ndarray) -> np.ndarray:
        return np.zeros(len(uv))

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return np.zeros(len(uv), bool)

    def refinement(self, across: float):
        return np.zeros((0, 2)), 0.0, 1e9  # nothing on the surface to resolve

    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        c = np.asarray(self.center, float)
        return c - self.reach, c + self.reach


def pick_item(rng, part, lo, hi, ok, what: str) -> int:
    """Index of an item for which ok(item) holds, preferring items inside the seen region [lo, hi]."""
    layout = getattr(part, "layout", None)
    if layout is None:
        raise UserError(f"{what} defects need a part made of items (board, capacitor, cable), not a {part.type}")
    cand = [k for k, it in enumerate(layout) if ok(it)]
    if not cand:
        raise UserError(f"{what}: this {part.type} has no item it can act on (check the recipe's kinds)")
    centers = np.array([layout[k].center for k in cand], float)
    inside = np.all((centers >= lo) & (centers <= hi), axis=1)
    if inside.any():
        cand = [k for k, i in zip(cand, inside, strict=True) if i]
    else:  # the nearest to the seen region's middle
        cand = [cand[int(np.argmin(np.linalg.norm(centers - (lo + hi) / 2, axis=1)))]]
    return cand[int(rng.integers(len(cand)))]


def mark(pieces, defect_id: int) -> list:
    """The pieces, now carrying the defect's id."""
    for p in pieces:
        p.defect = defect_id
    return pieces


def drop(pieces: list, j: int) -> None:
    """Empty piece j in place (the others keep their indices)."""
    if j < len(pieces):
        pieces[j] = Piece(np.zeros((0, 3)), np.zeros((0, 3), np.int64))


def rect_footprint(center, half, uv: np.ndarray) -> np.ndarray:
    return np.all(np.abs(uv - np.asarray(center)) <= np.asarray(half), axis=1)


def rect_outline(center, half, step: float) -> np.ndarray:
    """Points along an axis-aligned rectangle's outline, about `step` apart."""
    (cx, cy), (hx, hy) = center, half
    nx, ny = max(2, int(np.ceil(2 * hx / step)) + 1), max(2, int(np.ceil(2 * hy / step)) + 1)
    xs, ys = np.linspace(cx - hx, cx + hx, nx), np.linspace(cy - hy, cy + hy, ny)
    return np.vstack([np.column_stack([xs, np.full(nx, cy - hy)]), np.column_stack([xs, np.full(nx, cy + hy)]),
                      np.column_stack([np.full(ny, cx - hx), ys]), np.column_stack([np.full(ny, cx + hx), ys])])
