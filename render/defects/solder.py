"""Insufficient or excess solder at one joint: the fillet is replaced by a thin smear (amount < 1)
or a ball of solder (amount > 1); the joint (the solder and its pad) is the mask."""

from dataclasses import dataclass

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect, drop, mark
from render.parts.components import PAD_H, SOLDER
from render.parts.pieces import Piece, dome
from render.ranges import Range, uniform


class SolderRecipe(DefectRecipe):
    """A joint with too little (amount < 1) or too much (amount > 1) solder."""

    category: str = "solder"
    amount: Range(0.05, 4) = (1.6, 2.5)  # solder height relative to a good joint


def _joint_height(item) -> float:
    """A good joint's height: a chip's fillet climbs 0.6 of its terminal; a lead's is low."""
    return 0.6 * item.size[2] if item.kind == "chip" else 0.15


@dataclass(frozen=True)
class Solder(ItemDefect):
    type = "solder"
    Recipe = SolderRecipe
    draw_order = 13

    joint: int  # the pad's index
    amount: float

    @classmethod
    def suits(cls, it, r) -> bool:
        return it.kind in ("chip", "sot", "soic", "qfp", "connector")

    @classmethod
    def sample(cls, rng, r: SolderRecipe, lo, hi, part) -> "Solder":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        j = int(rng.integers(len(item.leads) or len(item.pads)))
        center = item.to_board([item.pads[j][:2]])[0]
        return cls(item=k, center=tuple(center.tolist()), reach=2.0, joint=j, amount=uniform(rng, r.amount))

    def modify(self, built, defect_id: int) -> None:
        item = built.meta["item"]
        x, y, sx, sy = item.pads[self.joint]
        drop(built.get("fillets"), self.joint)
        grow = 0.45 if self.amount < 1 else 0.5 + 0.15 * self.amount
        h = _joint_height(item) * self.amount
        v, f = dome((min(grow * sx, 0.55 * sx), min(grow * sy, 0.55 * sy), h), PAD_H, 18, 5)
        built.add("solder", Piece(built.meta["to_part"](v + [x, y, 0.0]), f, paint=SOLDER, smooth=True,
                                  defect=defect_id))
        mark(built.get("pads")[2 * self.joint: 2 * self.joint + 2], defect_id)
