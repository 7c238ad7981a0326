"""Missing hole: a via or plated hole never drilled: solid copper where the hole should be; the
pad is the mask."""

from dataclasses import dataclass

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect, mark
from render.parts.components import PAD_H
from render.parts.pieces import Piece, disc_outline, prism


class MissingHoleRecipe(DefectRecipe):
    """A hole that was never drilled."""

    category: str = "missing_hole"


@dataclass(frozen=True)
class MissingHole(ItemDefect):
    type = "missing_hole"
    Recipe = MissingHoleRecipe
    draw_order = 18

    @classmethod
    def suits(cls, it, r) -> bool:
        return it.kind in ("via", "hole")

    @classmethod
    def sample(cls, rng, r: MissingHoleRecipe, lo, hi, part) -> "MissingHole":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        return cls(item=k, center=tuple(item.center), reach=float(item.size[0]))

    def modify(self, built, defect_id: int) -> None:
        ring = built.get("pads")[0]
        item = built.meta["item"]
        v, f = prism(disc_outline(item.size[1] / 2 * 1.02, 16), 0.0, PAD_H)
        built.roles["hole"] = [Piece(built.meta["to_part"](v), f, paint=ring.paint)]
        mark([ring, *built.roles["hole"]], defect_id)
